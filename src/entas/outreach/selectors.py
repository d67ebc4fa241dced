"""Reads of awareness campaigns, every one scoped through ``restrict(user, action)``: campaigns and
events, attendance, and the results (reach against the target population, knowledge before and
after, follow-ups) computed from them in aggregate."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import region_q
from entas.regions.models import Region, RegionLevel
from entas.registry.models import Household, Member

from . import rules
from .choices import Group, Phase, Theme
from .models import Answer, Attendance, Campaign, Event, FollowUp, HeadCount

if TYPE_CHECKING:
    from entas.accounts.models import User


def can_see_results(user: User) -> bool:
    return user.is_authenticated and any(
        user.can(c) for c in (Capability.MANAGE_OUTREACH, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT)
    )


def campaigns_for(user: User) -> QuerySet[Campaign]:
    return (
        Campaign.objects.restrict(user, "view")
        .select_related("programme")
        .annotate(event_count=Count("events", distinct=True))
        .order_by("-start", "code")
    )


def campaign_for(user: User, key: int | str) -> Campaign:
    qs = Campaign.objects.restrict(user, "view")
    return qs.get(pk=key) if isinstance(key, int) or str(key).isdigit() else qs.get(code=key)


def materials_for(user: User, campaign: Campaign) -> list[tuple[str, list[Any]]]:
    """A campaign's materials by title, each with its versions, newest first."""
    from .models import Material

    titles: dict[str, list[Any]] = {}
    for m in Material.objects.restrict(user, "view").filter(campaign=campaign).select_related("uploaded_by"):
        titles.setdefault(m.title, []).append(m)
    return sorted(titles.items())


def material_for(user: User, pk: int) -> Any:
    from .models import Material

    return Material.objects.restrict(user, "view").select_related("campaign").get(pk=pk)


def events_for(user: User, campaign: Campaign | None = None) -> QuerySet[Event]:
    qs = Event.objects.restrict(user, "view").select_related("kelurahan", "campaign")
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.annotate(attendee_count=Count("attendance", distinct=True)).order_by("-date", "code")


def event_for(user: User, key: int | str, action: str = "view") -> Event:
    qs = Event.objects.restrict(user, action).select_related("kelurahan", "campaign")
    return qs.get(pk=key) if isinstance(key, int) or str(key).isdigit() else qs.get(code=key)


def attendance_for(user: User, event: Event) -> QuerySet[Attendance]:
    return Attendance.objects.restrict(user, "view").filter(event=event).select_related("kelurahan").order_by("name")


# -- reach -----------------------------------------------------------------------------------------------


@dataclass
class ReachRow:
    """Reach in one kelurahan: people and households reached against the target households (those of
    the kelurahan up to the campaign's desil ceiling), and the poorest desil reached."""

    code: str
    name: str
    people: int = 0  # people identified (registry and NIK-checked) who live here
    counted: int = 0  # people counted without a name at events held here
    households: int = 0  # registry households reached (any desil)
    target_households: int = 0
    target_reached: int = 0  # target households reached
    desil1_households: int = 0
    desil1_reached: int = 0

    @property
    def reach(self) -> float | None:
        return rules.share(self.target_reached, self.target_households)

    @property
    def poorest_reach(self) -> float | None:
        return rules.share(self.desil1_reached, self.desil1_households)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "reach": self.reach, "poorest_reach": self.poorest_reach}


@dataclass
class Reach:
    rows: list[ReachRow] = field(default_factory=list)
    people: int = 0
    repeated: int = 0  # people who attended two events or more
    counted: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "people": self.people,
            "repeated": self.repeated,
            "counted": self.counted,
            "kelurahan": [r.as_dict() for r in self.rows],
        }


def reach_for(user: User, campaign: Campaign) -> Reach:
    """Reach of a campaign per kelurahan (its targets and wherever its attendees live), within the user's
    areas."""
    attendance = Attendance.objects.restrict(user, "aggregate").filter(event__campaign=campaign)
    people = list(attendance.values_list("nik", "kelurahan_id", "household_id", "household__desil_city"))
    visits = Counter(nik for nik, *_rest in people)
    counted = dict(
        HeadCount.objects.restrict(user, "view")
        .filter(event__campaign=campaign)
        .values("event__kelurahan_id")
        .annotate(n=Sum("count"))
        .values_list("event__kelurahan_id", "n")
    )
    codes = set(campaign.target_kelurahan.values_list("pk", flat=True)) | {k for _n, k, _h, _d in people}
    codes |= set(counted)
    regions = Region.objects.filter(pk__in=codes, level=RegionLevel.KELURAHAN).filter(region_q(user)).order_by("code")
    rows = {r.pk: ReachRow(r.code, r.name) for r in regions}
    seen: set[str] = set()
    households: dict[int, set[int]] = defaultdict(set)
    desil_of: dict[int, int | None] = {}
    for nik, kelurahan, household, desil in people:
        row = rows.get(kelurahan)
        if row is None or nik in seen:
            continue
        seen.add(nik)
        row.people += 1
        if household is not None:
            households[kelurahan].add(household)
            desil_of[household] = desil
    for kelurahan, n in counted.items():
        if kelurahan in rows:
            rows[kelurahan].counted = n or 0
    targets = (
        Household.objects.filter(kelurahan_id__in=list(rows), desil_city__lte=campaign.max_desil)
        .values("kelurahan_id")
        .annotate(n=Count("pk"))
        .values_list("kelurahan_id", "n")
    )
    poorest = (
        Household.objects.filter(kelurahan_id__in=list(rows), desil_city=1)
        .values("kelurahan_id")
        .annotate(n=Count("pk"))
        .values_list("kelurahan_id", "n")
    )
    for kelurahan, n in targets:
        rows[kelurahan].target_households = n
    for kelurahan, n in poorest:
        rows[kelurahan].desil1_households = n
    for kelurahan, reached in households.items():
        row = rows[kelurahan]
        row.households = len(reached)
        row.target_reached = sum(1 for h in reached if (desil_of[h] or 99) <= campaign.max_desil)
        row.desil1_reached = sum(1 for h in reached if desil_of[h] == 1)
    result = Reach(rows=list(rows.values()))
    result.people = sum(r.people for r in result.rows)
    result.counted = sum(r.counted for r in result.rows)
    result.repeated = sum(1 for nik, n in visits.items() if n >= 2 and nik in seen)
    return result


def reach_map(reach: Reach) -> dict[str, Any] | None:
    """The reach as a map of the kelurahan: shaded by the share of target households reached (a
    choropleth on the boundaries of ../shared/data, loaded with ``entas regions boundaries``), or
    circles on the kelurahan centres where a boundary is missing; None when nothing can be placed."""
    from entas.core.charts import region_map

    regions = {
        r.code: r for r in Region.objects.filter(code__in=[row.code for row in reach.rows]).select_related("parent")
    }
    rows = [
        {
            "code": row.code,
            "name": row.name,
            "kecamatan": getattr(regions[row.code].parent, "name", ""),
            "reach": round(100 * row.reach, 1) if row.reach is not None else 0.0,
            "boundary": regions[row.code].boundary,
            "lat": regions[row.code].centroid_lat,
            "lng": regions[row.code].centroid_lng,
        }
        for row in reach.rows
        if row.code in regions
    ]
    return region_map(
        rows,
        value="reach",
        value_title=_("Target households reached (%)"),
        name_title=_("Kelurahan"),
        value_format=".1f",
    )


# -- knowledge -------------------------------------------------------------------------------------------

DIMENSIONS = ("", "event", "sex", "age_band")


@dataclass
class Knowledge:
    """The paired comparison of a campaign's test: the change of the score (questions right) overall
    and by ``by``, and McNemar's test per question."""

    overall: rules.PairedChange
    groups: list[tuple[str, rules.PairedChange]]
    questions: list[tuple[Any, rules.McNemar]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "groups": [{"label": label, **p.as_dict()} for label, p in self.groups],
            "questions": [{"number": q.number, "text": q.text, **m.__dict__} for q, m in self.questions],
        }


def knowledge_for(user: User, campaign: Campaign, by: str = "") -> Knowledge:
    """Knowledge before and after of the people who took both tests (the questions both answered)."""
    answers = (
        Answer.objects.restrict(user, "aggregate")
        .filter(question__campaign=campaign)
        .values_list("attendance_id", "question_id", "phase", "correct")
    )
    by_person: dict[int, dict[tuple[int, str], bool]] = defaultdict(dict)
    for attendance, question, phase, correct in answers:
        by_person[attendance][(question, phase)] = correct
    labels: dict[int, str] = {}
    if by:
        path = {"event": "event__code", "sex": "sex", "age_band": "age_band"}[by]
        labels = dict(Attendance.objects.filter(pk__in=list(by_person)).values_list("pk", path))
    questions = list(campaign.questions.order_by("number"))
    pairs: list[tuple[float, float]] = []
    grouped: dict[str, list[tuple[float, float]]] = defaultdict(list)
    per_question: dict[int, list[tuple[bool, bool]]] = defaultdict(list)
    for attendance, marks in by_person.items():
        both = [q for q in questions if (q.pk, Phase.BEFORE) in marks and (q.pk, Phase.AFTER) in marks]
        if not both:
            continue
        pair = (
            float(sum(marks[(q.pk, Phase.BEFORE)] for q in both)),
            float(sum(marks[(q.pk, Phase.AFTER)] for q in both)),
        )
        pairs.append(pair)
        if by:
            grouped[_label(by, labels.get(attendance, ""))].append(pair)
        for q in both:
            per_question[q.pk].append((marks[(q.pk, Phase.BEFORE)], marks[(q.pk, Phase.AFTER)]))
    return Knowledge(
        overall=rules.paired_change(pairs),
        groups=[(label, rules.paired_change(p)) for label, p in sorted(grouped.items())],
        questions=[(q, rules.mcnemar(per_question[q.pk])) for q in questions],
    )


def _label(by: str, value: str) -> str:
    if by == "sex":
        return _("Female") if value == "2" else _("Male")
    return value


# -- follow-ups ------------------------------------------------------------------------------------------


@dataclass
class Wave:
    """One wave of the follow-up for one group: households measured, and the shares of school-age
    members in school and of members with JKN, and applications per household."""

    months: int
    group: str
    households: int
    school_age: int
    in_school: int
    members: int
    with_jkn: int
    applications: int

    @property
    def school_rate(self) -> float | None:
        return rules.share(self.in_school, self.school_age)

    @property
    def jkn_rate(self) -> float | None:
        return rules.share(self.with_jkn, self.members)

    @property
    def applications_per_household(self) -> float | None:
        return rules.share(self.applications, self.households)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "school_rate": self.school_rate,
            "jkn_rate": self.jkn_rate,
            "applications_per_household": self.applications_per_household,
        }


def follow_ups_for(user: User, campaign: Campaign) -> list[Wave]:
    """The follow-up figures of a campaign by wave and group (descriptive)."""
    rows = (
        FollowUp.objects.restrict(user, "aggregate")
        .filter(campaign=campaign)
        .values("months", "group")
        .annotate(
            households=Count("pk"),
            school_age_sum=Sum("school_age"),
            in_school_sum=Sum("in_school"),
            members_sum=Sum("members"),
            jkn_sum=Sum("with_jkn"),
            applications_sum=Sum("applications"),
        )
        .order_by("months", "group")
    )
    return [
        Wave(
            r["months"],
            r["group"],
            r["households"],
            r["school_age_sum"] or 0,
            r["in_school_sum"] or 0,
            r["members_sum"] or 0,
            r["jkn_sum"] or 0,
            r["applications_sum"] or 0,
        )
        for r in rows
    ]


GROUP_ORDER = (Group.ATTENDED, Group.COMPARISON)


# -- suggestions -----------------------------------------------------------------------------------------


def suggestions(theme: str, n: int = 5, on: dt.date | None = None) -> list[tuple[Region, rules.Suggestion]]:
    """Kelurahan where a campaign of ``theme`` is most needed, from the registry (counts only): for
    education, school-age children (7–18) not in school; for health, JKN and stunting, people without
    health insurance; otherwise, households of desil 1–2."""
    on = on or dt.date.today()
    figures: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    members = Member.objects.filter(exited_on__isnull=True, merged_into__isnull=True)
    if theme == Theme.EDUCATION:
        young = members.filter(
            birth_date__gt=rules.add_months(on, -19 * 12), birth_date__lte=rules.add_months(on, -7 * 12)
        )
        for kelurahan, school, n_ in young.values_list("household__kelurahan_id", "school_participation").annotate(
            n=Count("pk")
        ):
            figures[kelurahan][1] += n_
            if school != "1":
                figures[kelurahan][0] += n_
    elif theme in (Theme.HEALTH, Theme.JKN, Theme.STUNTING):
        for kelurahan, insurance, n_ in members.values_list("household__kelurahan_id", "health_insurance").annotate(
            n=Count("pk")
        ):
            figures[kelurahan][1] += n_
            if insurance not in ("1", "2", "3"):
                figures[kelurahan][0] += n_
    else:
        for kelurahan, desil, n_ in Household.objects.values_list("kelurahan_id", "desil_city").annotate(n=Count("pk")):
            figures[kelurahan][1] += n_
            if desil is not None and desil <= 2:
                figures[kelurahan][0] += n_
    ranked = rules.rank_kelurahan({str(k): (f, p) for k, (f, p) in figures.items()}, n)
    regions = Region.objects.in_bulk([int(s.kelurahan) for s in ranked])
    return [(regions[int(s.kelurahan)], s) for s in ranked if int(s.kelurahan) in regions]


# -- the household page ----------------------------------------------------------------------------------


def attendance_of(household: Household) -> list[Attendance]:
    """The events the household's members attended, newest first (the caller found the household
    through the user's areas)."""
    return list(
        Attendance.objects.filter(household=household)
        .select_related("event__campaign", "event__kelurahan")
        .order_by("-event__date", "name")
    )


def follow_up_panel(
    user: User | None, campaign: Campaign, months: int, since_from: dt.date, since_to: dt.date
) -> list[dict[str, Any]]:
    """A campaign's follow-up as an evaluation's outcome (entas.evaluation.datasets; aggregates only):
    the households measured at the baseline (wave 0) and at ``months``, whose first attendance (or
    their matched household's) falls between the two days, inclusive. Each row: ``household``,
    ``kelurahan``, ``group`` (attended, comparison) and ``waves``: by wave (0 and ``months``) the counts
    ``school_age``, ``in_school``, ``members``, ``with_jkn``, ``applications``. ``user`` None: the whole
    city (the command line)."""
    base = FollowUp.objects.all() if user is None else FollowUp.objects.restrict(user, "aggregate")
    counts = ("school_age", "in_school", "members", "with_jkn", "applications")
    rows: dict[int, dict[str, Any]] = {}
    for r in (
        base.filter(campaign=campaign, months__in={0, months}, since__gte=since_from, since__lte=since_to)
        .order_by("household_id", "months")
        .values("household_id", "household__kelurahan_id", "group", "months", *counts)
    ):
        row = rows.setdefault(
            r["household_id"],
            {
                "household": r["household_id"],
                "kelurahan": r["household__kelurahan_id"],
                "group": r["group"],
                "waves": {},
            },
        )
        row["waves"][r["months"]] = {k: r[k] for k in counts}
    return [row for row in rows.values() if 0 in row["waves"] and months in row["waves"]]
