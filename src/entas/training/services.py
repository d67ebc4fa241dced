"""Writes of skills training, each an audited service: the catalogue (providers, courses, cohorts
with their sessions), applications (one person, a targeting rule, a file), the selection and changes
to it by hand, attendance, completion and certification, and tracer results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import can_act_in, region_q
from entas.core import audit
from entas.core.errors import Problem, Refused
from entas.core.ids import check_nik
from entas.core.services import service
from entas.regions.models import Region, RegionLevel
from entas.registry.models import Household, Member

from . import rules, selectors
from .choices import ApplicationStatus, AttendanceStatus, Channel, CohortStatus, Outcome
from .models import Application, Attendance, Cohort, Completion, Course, Provider, Session, TracerResult

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.programs.models import Programme

INSERTED, UPDATED, UNCHANGED = "inserted", "updated", "unchanged"
MAX_RULE_APPLICANTS = 5000  # a class of 16 draws tens or hundreds of applicants, not a city


def _require_manager(actor: User) -> None:
    if not selectors.can_manage(actor):
        raise Refused(_("Only a training officer may do this."), code="forbidden")


def _require_area(actor: User, kelurahan: Region) -> None:
    if not can_act_in(actor, kelurahan):
        raise Refused(_("%(kelurahan)s lies outside your areas.") % {"kelurahan": kelurahan.name}, code="forbidden")


# -- the catalogue --------------------------------------------------------------------------------------

PROVIDER_FIELDS = (
    "name",
    "kind",
    "accreditation",
    "address",
    "contact",
    "capacity_per_year",
    "mou_number",
    "mou_start",
    "mou_end",
    "partner",
    "contribution",
)
COURSE_FIELDS = (
    "name",
    "competency_area",
    "scheme",
    "hours",
    "mode",
    "class_size",
    "cost_per_trainee",
    "min_age",
    "max_age",
    "max_desil",
    "min_school_level",
    "kelurahan_codes",
    "min_women_share",
    "max_per_kelurahan",
    "attendance_threshold",
    "priorities",
)


def _upsert(model: Any, code: str, values: dict[str, Any]) -> tuple[Any, str]:
    """Create the row with this code, or bring it to ``values``: inserted, updated or unchanged."""
    row = model.objects.filter(code=code).first()
    if row is None:
        row = model(code=code, **values)
        row.full_clean()
        row.save()
        return row, INSERTED
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed:
        return row, UNCHANGED
    for k, v in changed.items():
        setattr(row, k, v)
    row.full_clean()
    row.save()
    return row, UPDATED


def _date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise Refused(_("%(what)s: %(value)r is not a date (YYYY-MM-DD).") % {"what": what, "value": value}) from None


def weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    """The working days (Monday to Friday) from start to end: a cohort's sessions."""
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@service
def save_cohort(
    *,
    course: Course,
    code: str,
    start: dt.date,
    end: dt.date,
    seats: int,
    actor: User,
    programme: Programme | None = None,
    venue: str = "",
    trainer: str = "",
    seed: str = "",
) -> tuple[Cohort, str]:
    """Create a cohort (with a session on each working day from start to end), or bring an existing
    one with this code to these values; a cohort whose selection is done keeps its dates and seats."""
    _require_manager(actor)
    problems = []
    if end < start:
        problems.append(Problem("end", _("The cohort ends before it starts.")))
    if seats < 1:
        problems.append(Problem("seats", _("A cohort has at least one seat.")))
    if programme is not None and not selectors.training_programmes().filter(pk=programme.pk).exists():
        problems.append(Problem("programme", _("This programme does not run training.")))
    if problems:
        raise Refused(" ".join(p.message for p in problems), code="invalid", issues=problems)
    values = {
        "course": course,
        "start": start,
        "end": end,
        "seats": seats,
        "programme": programme,
        "venue": venue,
        "trainer": trainer,
        "seed": seed or code,
    }
    existing = Cohort.objects.filter(code=code).first()
    if existing is not None and existing.status != CohortStatus.PLANNED:
        fixed = ("course", "start", "end", "seats", "seed")
        if any(getattr(existing, k) != values[k] for k in fixed):
            raise Refused(
                _("Cohort %(code)s has been selected: its course, dates, seats and seed no longer change.")
                % {"code": code},
                code="conflict",
            )
    cohort, outcome = _upsert(Cohort, code, values)
    if outcome != UNCHANGED and cohort.status == CohortStatus.PLANNED:
        cohort.sessions.all().delete()
        Session.objects.bulk_create(
            [Session(cohort=cohort, number=n, date=d) for n, d in enumerate(weekdays(start, end), 1)]
        )
    if outcome != UNCHANGED:
        audit.record(
            actor=actor,
            action=f"training.cohort_{'add' if outcome == INSERTED else 'change'}",
            obj=cohort,
            after={"course": course.code, "start": str(start), "end": str(end), "seats": seats},
        )
    return cohort, outcome


@service
def load_catalogue(*, data: dict[str, Any], actor: User) -> dict[str, dict[str, int]]:
    """Load providers, their courses and cohorts from a catalogue (``docs/examples/training.yaml``):
    each found by its code, created or brought to the file's values; loading it again changes
    nothing. Refused whole, with the entry at fault, when one entry is wrong."""
    _require_manager(actor)
    counts = {kind: {INSERTED: 0, UPDATED: 0, UNCHANGED: 0} for kind in ("providers", "courses", "cohorts")}
    programmes = {p.name: p for p in selectors.training_programmes()}
    for p in data.get("providers") or []:
        where = _("provider %(code)s") % {"code": p.get("code", "?")}
        try:
            values = {k: p[k] for k in PROVIDER_FIELDS if k in p}
            for k in ("mou_start", "mou_end"):
                if values.get(k):
                    values[k] = _date(values[k], k)
            provider, outcome = _upsert(Provider, str(p["code"]), values)
            counts["providers"][outcome] += 1
            for c in p.get("courses") or []:
                where = _("course %(code)s") % {"code": c.get("code", "?")}
                values = {k: c[k] for k in COURSE_FIELDS if k in c}
                values["provider"] = provider
                if "min_women_share" in values:
                    values["min_women_share"] = _share(values["min_women_share"])
                course, outcome = _upsert(Course, str(c["code"]), values)
                counts["courses"][outcome] += 1
                for k in c.get("cohorts") or []:
                    where = _("cohort %(code)s") % {"code": k.get("code", "?")}
                    programme = None
                    if k.get("programme"):
                        programme = programmes.get(k["programme"])
                        if programme is None:
                            raise Refused(_("no programme named %(name)r") % {"name": k["programme"]})
                    _cohort, outcome = save_cohort(
                        course=course,
                        code=str(k["code"]),
                        start=_date(k["start"], "start"),
                        end=_date(k["end"], "end"),
                        seats=int(k.get("seats") or course.class_size),
                        programme=programme,
                        venue=str(k.get("venue", "")),
                        trainer=str(k.get("trainer", "")),
                        seed=str(k.get("seed", "")),
                        actor=actor,
                    )
                    counts["cohorts"][outcome] += 1
        except KeyError as exc:
            raise Refused(_("%(where)s: %(field)s is missing.") % {"where": where, "field": exc.args[0]}) from None
        except Refused as exc:
            raise Refused(f"{where}: {exc.message}", code=exc.code) from None
        except Exception as exc:  # a ValidationError of a field, a value of the wrong type
            from django.core.exceptions import ValidationError

            if isinstance(exc, ValidationError | ValueError | TypeError):
                raise Refused(f"{where}: {'; '.join(_messages(exc))}", code="invalid") from None
            raise
    audit.record(actor=actor, action="training.load", after=counts)
    return counts


def _messages(exc: Exception) -> list[str]:
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError) and hasattr(exc, "message_dict"):
        return [f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()]
    return [str(exc)]


def _share(value: Any) -> Any:
    from decimal import Decimal

    return Decimal(str(value)).quantize(Decimal("0.01"))


# -- applications ------------------------------------------------------------------------------------------


@dataclass
class ApplyResult:
    """What applying people did: accepted (new applications), already (applied before) and refused
    (with the reason per NIK)."""

    accepted: int = 0
    already: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)
    to_verify: int = 0

    def as_dict(self) -> dict[str, Any]:
        reasons: dict[str, int] = {}
        for _nik, reason in self.refused:
            reasons[reason] = reasons.get(reason, 0) + 1
        return {
            "accepted": self.accepted,
            "already": self.already,
            "refused": len(self.refused),
            "to_verify": self.to_verify,
            "refusal_reasons": reasons,
        }


def _may_apply(actor: User) -> bool:
    return actor.is_authenticated and (actor.can(Capability.MANAGE_TRAINING) or actor.can(Capability.CHANGE_REGISTRY))


def _channel(actor: User, channel: str | None) -> str:
    if channel:
        return channel
    return Channel.OFFICER if actor.can(Capability.MANAGE_TRAINING) else Channel.OPERATOR


def _open(cohort: Cohort) -> None:
    if cohort.status != CohortStatus.PLANNED:
        raise Refused(
            _("Cohort %(code)s has been selected: it takes no more applications.") % {"code": cohort.code},
            code="conflict",
        )


def _member_refusal(member: Member, actor: User) -> str:
    if member.exited_on is not None or member.merged_into_id is not None:
        return _("the person is no longer a current member of the registry")
    if not can_act_in(actor, member.household.kelurahan):
        return _("the person lives outside your areas")
    return ""


@service
def apply_members(
    *,
    cohort: Cohort,
    members: list[Member],
    actor: User,
    channel: str | None = None,
    baseline_income: Mapping[int, int | None] | None = None,
) -> ApplyResult:
    """Apply registry members to a cohort (each at most once; applying again changes nothing)."""
    if not _may_apply(actor):
        raise Refused(_("You may not apply people for training."), code="forbidden")
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    _open(cohort)
    result = ApplyResult()
    existing = set(cohort.applications.values_list("nik", flat=True))
    new = []
    for member in members:
        reason = _member_refusal(member, actor)
        if reason:
            result.refused.append((member.nik, reason))
            continue
        if member.nik in existing:
            result.already += 1
            continue
        existing.add(member.nik)
        new.append(
            Application(
                cohort=cohort,
                member=member,
                nik=member.nik,
                name=member.name,
                sex=member.sex,
                birth_date=member.birth_date,
                kelurahan=member.household.kelurahan,
                channel=_channel(actor, channel),
                baseline_income=(baseline_income or {}).get(member.pk),
                created_by=actor,
            )
        )
    Application.objects.bulk_create(new)
    result.accepted = len(new)
    if new:
        audit.record(
            actor=actor,
            action="training.apply",
            obj=cohort,
            after={"accepted": len(new), "channel": _channel(actor, channel)},
        )
    return result


@service
def apply_person(
    *,
    cohort: Cohort,
    nik: str,
    actor: User,
    name: str = "",
    sex: str = "",
    birth_date: dt.date | None = None,
    kelurahan: Region | None = None,
    baseline_income: int | None = None,
    channel: str | None = None,
) -> tuple[Application, str]:
    """Apply one person by NIK: a registry member, or a person not in the registry (name, sex, birth
    date and kelurahan given, the NIK checked as the registry checks it) flagged for verification."""
    if not _may_apply(actor):
        raise Refused(_("You may not apply people for training."), code="forbidden")
    nik = nik.strip()
    member = Member.objects.select_related("household__kelurahan").filter(nik=nik).first()
    if member is not None:
        result = apply_members(
            cohort=cohort,
            members=[member],
            actor=actor,
            channel=channel,
            baseline_income={member.pk: baseline_income},
        )
        if result.refused:
            raise Refused(f"{nik}: {result.refused[0][1]}", code="forbidden")
        return cohort.applications.get(nik=nik), INSERTED if result.accepted else UNCHANGED
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    _open(cohort)
    existing = cohort.applications.filter(nik=nik).first()
    if existing is not None:
        return existing, UNCHANGED
    problems = []
    if not name.strip():
        problems.append(Problem("name", _("A person not in the registry needs a name.")))
    if sex not in ("1", "2"):
        problems.append(Problem("sex", _("Sex is 1 (male) or 2 (female).")))
    if birth_date is None:
        problems.append(Problem("birth_date", _("A person not in the registry needs a birth date.")))
    if kelurahan is None or kelurahan.level != RegionLevel.KELURAHAN:
        problems.append(Problem("kelurahan", _("A person not in the registry needs the code of their kelurahan.")))
    problems += [
        Problem(i.field, i.message) for i in check_nik(nik, birth_date=birth_date, sex=sex or None) if i.is_error
    ]
    if problems:
        raise Refused(" ".join(p.message for p in problems), code="invalid", issues=problems)
    assert kelurahan is not None and birth_date is not None
    _require_area(actor, kelurahan)
    application = Application.objects.create(
        cohort=cohort,
        nik=nik,
        name=name.strip(),
        sex=sex,
        birth_date=birth_date,
        kelurahan=kelurahan,
        needs_verification=True,
        channel=_channel(actor, channel),
        baseline_income=baseline_income,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="training.apply",
        obj=application,
        region_code=kelurahan.code,
        after={"cohort": cohort.code, "needs_verification": True},
    )
    return application, INSERTED


def rule_members(expression: str, actor: User, today: dt.date | None = None) -> list[int]:
    """Ids of the current members of the actor's areas for whom the rule holds, the rule evaluated
    once per person: household fields are those of the person's family, and an aggregate over
    ``members`` asks about the person alone (``any(members, female and 18 <= age <= 35)``: the person
    is a woman aged 18 to 35; ``count(members, …)`` is 1 or 0)."""
    from entas.targeting.data import RuleData
    from entas.targeting.rules import RuleError, compile_rule
    from entas.targeting.services import latest_scored_model

    try:
        compiled = compile_rule(expression)
    except RuleError as exc:  # the message with its column, as the rule editor shows it
        raise Refused(_("The rule is not valid: %(error)s") % {"error": exc}, code="invalid_rule") from None
    model = latest_scored_model()
    households = Household.objects.filter(region_q(actor, "kelurahan"))
    data = RuleData(households, model_id=model.pk if model else None, today=today, names=compiled.fields)
    h, m = data.arrays(compiled.fields)
    at = m["household"]
    if not at.size:
        return []
    per_person = {name: np.asarray(values)[at] for name, values in h.items()}
    members = {name: values for name, values in m.items() if name != "household"}
    members["household"] = np.arange(at.size)
    chosen = compiled.evaluate(per_person, members)
    return [int(i) for i in data.member_ids[chosen]]


@service
def apply_rule(*, cohort: Cohort, expression: str, actor: User) -> ApplyResult:
    """Apply every current member of the actor's areas for whom a targeting rule holds (see
    :func:`rule_members`)."""
    if not _may_apply(actor):
        raise Refused(_("You may not apply people for training."), code="forbidden")
    ids = rule_members(expression, actor, today=cohort.start)
    if len(ids) > MAX_RULE_APPLICANTS:
        raise Refused(
            _("The rule selects %(n)d people; a cohort takes at most %(max)d applications from a rule: narrow it.")
            % {"n": len(ids), "max": MAX_RULE_APPLICANTS},
            code="invalid",
        )
    members = list(Member.objects.filter(pk__in=ids).select_related("household__kelurahan").order_by("pk"))
    result = apply_members(cohort=cohort, members=members, actor=actor, channel=Channel.RULE)
    audit.record(actor=actor, action="training.apply_rule", obj=cohort, after={"rule": expression, **result.as_dict()})
    return result


# -- selection ----------------------------------------------------------------------------------------------


def criteria_of(course: Course) -> rules.Criteria:
    return rules.Criteria(
        min_age=course.min_age,
        max_age=course.max_age,
        max_desil=course.max_desil,
        min_school_level=course.min_school_level,
        kelurahan=frozenset(course.kelurahan_codes or ()),
        min_women_share=Fraction(str(course.min_women_share)),
        max_per_kelurahan=course.max_per_kelurahan,
        priorities=tuple(course.priorities or rules.PRIORITIES),
    )


def applicant_facts(cohort: Cohort, applications: list[Application]) -> list[rules.Applicant]:
    """What the selection knows of each applicant: age at the cohort's start, the family's DTSEN
    desil (kab/kota ranking), whether someone of the family was selected for an earlier cohort,
    whether the person is unemployed (did not work last week and is not in school) and has a
    disability (Washington Group: a lot of difficulty or cannot do)."""
    from entas.targeting.data import disability_condition

    member_ids = [a.member_id for a in applications if a.member_id is not None]
    disabled = set(Member.objects.filter(pk__in=member_ids).filter(disability_condition()).values_list("pk", flat=True))
    households = {a.member.household_id for a in applications if a.member is not None}
    trained = set(
        Application.objects.filter(
            status=ApplicationStatus.SELECTED,
            member__household__in=households,
            cohort__start__lt=cohort.start,
        )
        .exclude(cohort=cohort)
        .values_list("member__household_id", flat=True)
    )
    facts = []
    for a in applications:
        m = a.member
        facts.append(
            rules.Applicant(
                key=a.nik,
                female=a.sex == "2",
                age=selectors.age_on(a.birth_date, cohort.start),
                kelurahan=a.kelurahan.code,
                desil=m.household.desil_city if m is not None else None,
                school_level=m.school_level if m is not None else "",
                trained_before=m is not None and m.household_id in trained,
                unemployed=m is not None and m.worked is False and m.school_participation != "1",
                disabled=a.member_id in disabled,
            )
        )
    return facts


@service
def link_registered(*, cohort: Cohort, actor: User) -> int:
    """Link the applications of people who were not in the registry to the member registered since
    with their NIK (their family, desil and work now count in the selection); how many were linked."""
    waiting = {a.nik: a for a in cohort.applications.filter(member__isnull=True)}
    if not waiting:
        return 0
    found = {
        m.nik: m
        for m in Member.objects.filter(nik__in=list(waiting), exited_on__isnull=True).select_related(
            "household__kelurahan"
        )
    }
    linked = []
    for nik, member in found.items():
        application = waiting[nik]
        application.member = member
        application.needs_verification = False
        application.name, application.sex, application.birth_date = member.name, member.sex, member.birth_date
        application.kelurahan = member.household.kelurahan
        linked.append(application)
    Application.objects.bulk_update(linked, ["member", "needs_verification", "name", "sex", "birth_date", "kelurahan"])
    if linked:
        audit.record(actor=actor, action="training.link_registered", obj=cohort, after={"linked": len(linked)})
    return len(linked)


@service
def select_cohort(*, cohort: Cohort, actor: User) -> dict[str, Any]:
    """Run the selection of a cohort (rules.select) over its applicants, except those whose decision
    was changed by hand (they keep it, and a selected one takes a seat), and write each applicant's
    status, rank and reason. Running it again on the same applicants gives the same result."""
    _require_manager(actor)
    cohort = Cohort.objects.select_for_update().select_related("course").get(pk=cohort.pk)
    if cohort.status == CohortStatus.COMPLETED:
        raise Refused(_("Cohort %(code)s is completed.") % {"code": cohort.code}, code="conflict")
    link_registered(cohort=cohort, actor=actor)
    applications = list(cohort.applications.select_related("member__household", "kelurahan"))
    by_hand = [a for a in applications if a.override_reason]
    pool = [a for a in applications if not a.override_reason]
    seats = max(0, cohort.seats - sum(1 for a in by_hand if a.status == ApplicationStatus.SELECTED))
    selection = rules.select(applicant_facts(cohort, pool), criteria_of(cohort.course), seats, cohort.seed)
    for a in pool:
        decision = selection.decisions[a.nik]
        a.status, a.rank, a.reason = decision.status, decision.rank, decision.reason
    Application.objects.bulk_update(pool, ["status", "rank", "reason"])
    cohort.status = CohortStatus.SELECTED
    cohort.selected_at = timezone.now()
    cohort.save(update_fields=["status", "selected_at"])
    result = selection_summary(cohort, selection, by_hand)
    audit.record(
        actor=actor,
        action="training.select",
        obj=cohort,
        after={k: v for k, v in result.items() if k not in ("selected_niks",)},
    )
    return result


def selection_summary(cohort: Cohort, selection: rules.Selection, by_hand: list[Application]) -> dict[str, Any]:
    hand_selected = [a.nik for a in by_hand if a.status == ApplicationStatus.SELECTED]
    return {
        "cohort": cohort.code,
        "seats": cohort.seats,
        "selected": len(selection.selected) + len(hand_selected),
        "selected_niks": selection.selected + hand_selected,
        "waiting": len(selection.waiting),
        "not_eligible": len(selection.not_eligible),
        "overrides": len(by_hand),
        "quotas": [q.__dict__ for q in selection.quotas],
    }


@service
def override(*, application: Application, status: str, reason: str, actor: User) -> Application:
    """Change a selection decision by hand (select someone, move them to the waiting list or take
    them off): the reason is required and kept, and the selection leaves the decision alone."""
    _require_manager(actor)
    _require_area(actor, application.kelurahan)
    if status not in (ApplicationStatus.SELECTED, ApplicationStatus.WAITING, ApplicationStatus.NOT_ELIGIBLE):
        raise Refused(_("Unknown decision %(status)r.") % {"status": status}, code="invalid")
    if not reason.strip():
        raise Refused(
            _("A decision changed by hand needs its reason."),
            code="invalid",
            issues=[Problem("reason", _("A decision changed by hand needs its reason."))],
        )
    before = {"status": application.status, "reason": application.reason}
    application.status = status
    application.override_reason = reason.strip()[:200]
    application.reason = _("Decided by hand: %(reason)s") % {"reason": application.override_reason}
    application.rank = None
    application.save(update_fields=["status", "override_reason", "reason", "rank"])
    audit.record(
        actor=actor,
        action="training.override",
        obj=application,
        region_code=application.kelurahan.code,
        before=before,
        after={"status": status, "reason": application.override_reason},
    )
    return application


# -- attendance, completion, tracer --------------------------------------------------------------------------


def _trainee(application: Application, actor: User) -> None:
    _require_manager(actor)
    _require_area(actor, application.kelurahan)
    if application.status != ApplicationStatus.SELECTED:
        raise Refused(_("%(name)s is not a trainee of this cohort.") % {"name": application.name}, code="invalid")


@service
def record_attendance(*, session: Session, marks: dict[int, str], actor: User) -> dict[str, int]:
    """Record the attendance of a session: application id → present, absent or excused. Marking
    again with the same value changes nothing."""
    _require_manager(actor)
    valid = set(AttendanceStatus.values)
    counts = {INSERTED: 0, UPDATED: 0, UNCHANGED: 0}
    trainees = {a.pk: a for a in Application.objects.filter(pk__in=list(marks), cohort=session.cohort_id)}
    current = {a.application_id: a for a in session.attendance.filter(application__in=list(marks))}
    for application_id, status in marks.items():
        application = trainees.get(application_id)
        if application is None:
            raise Refused(_("An application of another cohort."), code="invalid")
        _trainee(application, actor)
        if status not in valid:
            raise Refused(_("Attendance is present, absent or excused."), code="invalid")
        row = current.get(application_id)
        if row is None:
            Attendance.objects.create(session=session, application=application, status=status)
            counts[INSERTED] += 1
        elif row.status != status:
            row.status = status
            row.save(update_fields=["status"])
            counts[UPDATED] += 1
        else:
            counts[UNCHANGED] += 1
    if counts[INSERTED] or counts[UPDATED]:
        audit.record(actor=actor, action="training.attendance", obj=session, after=counts)
    return counts


@service
def complete(
    *,
    application: Application,
    outcome: str,
    ended_on: dt.date,
    actor: User,
    assessment: str = "not_assessed",
    certificate_number: str = "",
    certificate_scheme: str = "",
    dropout_reason: str = "",
) -> tuple[Completion, str]:
    """Record how a trainee's course ended. Completing needs the course's attendance threshold (the
    attendance of the sessions held so far); a certificate needs a competent assessment; a dropout
    needs its reason."""
    _trainee(application, actor)
    cohort = application.cohort
    statuses = list(
        Attendance.objects.filter(application=application, session__date__lte=ended_on).values_list(
            "session_id", "status"
        )
    )
    marks = dict(statuses)
    held = cohort.sessions.filter(date__lte=ended_on).values_list("pk", flat=True)
    rate = rules.attendance_rate([marks.get(s, "absent") for s in held])
    problems = []
    if outcome not in Outcome.values:
        problems.append(Problem("outcome", _("The outcome is completed or dropped_out.")))
    threshold = cohort.course.attendance_threshold
    if outcome == Outcome.COMPLETED and (rate is None or rate < threshold):
        problems.append(
            Problem(
                "outcome",
                _("Attendance %(rate)s%% is below the %(threshold)d%% the course requires.")
                % {"rate": "-" if rate is None else rate, "threshold": threshold},
            )
        )
    if outcome == Outcome.DROPPED_OUT and not dropout_reason.strip():
        problems.append(Problem("dropout_reason", _("A dropout needs its reason.")))
    if certificate_number and assessment != "competent":
        problems.append(Problem("certificate_number", _("A certificate needs a competent assessment.")))
    if problems:
        raise Refused(" ".join(p.message for p in problems), code="invalid", issues=problems)
    values = {
        "outcome": outcome,
        "ended_on": ended_on,
        "attendance_rate": rate,
        "assessment": assessment,
        "certificate_number": certificate_number.strip(),
        "certificate_scheme": (certificate_scheme or (cohort.course.scheme if certificate_number else "")).strip(),
        "dropout_reason": dropout_reason.strip(),
    }
    row = Completion.objects.filter(application=application).first()
    if row is None:
        row = Completion.objects.create(application=application, **values)
        result = INSERTED
    elif any(getattr(row, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(row, k, v)
        row.save()
        result = UPDATED
    else:
        return row, UNCHANGED
    audit.record(
        actor=actor,
        action="training.complete",
        obj=application,
        region_code=application.kelurahan.code,
        after={k: str(v) for k, v in values.items()},
    )
    return row, result


@service
def record_tracer(
    *,
    application: Application,
    months: int,
    surveyed_on: dt.date,
    employment: str,
    actor: User,
    monthly_income: int | None = None,
    own_business: bool = False,
    sector: str = "",
    contract: str = "none",
) -> tuple[TracerResult, str]:
    """Record a follow-up (3, 6 or 12 months after completion) of a trainee who completed."""
    _require_manager(actor)
    _require_area(actor, application.kelurahan)
    completion = Completion.objects.filter(application=application, outcome=Outcome.COMPLETED).first()
    problems = []
    if completion is None:
        problems.append(Problem("months", _("Only a trainee who completed is followed up.")))
    if months not in rules.TRACER_WAVES:
        problems.append(Problem("months", _("A follow-up is at 3, 6 or 12 months.")))
    if employment not in ("wage", "self", "none"):
        problems.append(Problem("employment", _("Employment is wage, self or none.")))
    if monthly_income is not None and monthly_income < 0:
        problems.append(Problem("monthly_income", _("An income is not negative.")))
    if completion is not None and surveyed_on < completion.ended_on:
        problems.append(Problem("surveyed_on", _("The follow-up is dated before the course ended.")))
    if problems:
        raise Refused(" ".join(p.message for p in problems), code="invalid", issues=problems)
    values = {
        "surveyed_on": surveyed_on,
        "employment": employment,
        "monthly_income": monthly_income,
        "own_business": own_business,
        "sector": sector,
        "contract": contract,
    }
    row = TracerResult.objects.filter(application=application, months=months).first()
    if row is None:
        row = TracerResult(application=application, months=months, **values)
        row.full_clean()
        row.save()
        result = INSERTED
    elif any(getattr(row, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(row, k, v)
        row.full_clean()
        row.save()
        result = UPDATED
    else:
        return row, UNCHANGED
    audit.record(
        actor=actor,
        action="training.tracer",
        obj=application,
        region_code=application.kelurahan.code,
        after={"months": months, "employment": employment, "monthly_income": monthly_income},
    )
    return row, result
