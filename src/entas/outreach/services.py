"""Writes of awareness campaigns, each an audited service: campaigns, their questions and events,
attendance (registry people by NIK, others checked like the registry checks a NIK, and head counts),
the answers of the knowledge tests, and the follow-up measurements taken from the registry."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import can_act_in
from entas.core import audit
from entas.core.errors import Problem, Refused
from entas.core.ids import check_nik
from entas.core.services import service
from entas.regions.models import Region, RegionLevel
from entas.registry.models import Household, Member

from . import rules
from .choices import Group, Phase, Source
from .models import Answer, Attendance, Campaign, Event, FollowUp, HeadCount, Question

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.programs.models import Programme

INSERTED, UPDATED, UNCHANGED = "inserted", "updated", "unchanged"
JKN = ("1", "2", "3")  # Regsosek 431a: PBI, self-paid, paid by the employer


def may_manage(actor: User) -> bool:
    return bool(actor.is_authenticated and actor.can(Capability.MANAGE_OUTREACH))


def _require_manager(actor: User) -> None:
    if not may_manage(actor):
        raise Refused(_("Only a campaign officer may do this."), code="forbidden")


def _require_area(actor: User, kelurahan: Region) -> None:
    if not can_act_in(actor, kelurahan):
        raise Refused(_("%(kelurahan)s lies outside your areas.") % {"kelurahan": kelurahan.name}, code="forbidden")


def _upsert(model: Any, key: dict[str, Any], values: dict[str, Any]) -> tuple[Any, str]:
    row = model.objects.filter(**key).first()
    if row is None:
        row = model(**key, **values)
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


def campaign_programmes() -> Any:
    """The programmes of the policy register a campaign may run under (kind: awareness campaign)."""
    from entas.programs.models import Programme

    return Programme.objects.filter(kind=Programme.Kind.CAMPAIGN).order_by("name")


@service
def save_campaign(
    *,
    code: str,
    name: str,
    theme: str,
    channel: str,
    start: dt.date,
    end: dt.date,
    actor: User,
    programme: Programme | None = None,
    target_group: str = "",
    partners: str = "",
    max_desil: int = 4,
    target_kelurahan: list[Region] | None = None,
) -> tuple[Campaign, str]:
    """Create a campaign, or bring the one with this code to these values."""
    _require_manager(actor)
    problems = []
    if end < start:
        problems.append(Problem("end", _("The campaign ends before it starts.")))
    if programme is not None and not campaign_programmes().filter(pk=programme.pk).exists():
        problems.append(Problem("programme", _("This programme is not an awareness campaign.")))
    if any(r.level != RegionLevel.KELURAHAN for r in target_kelurahan or []):
        problems.append(Problem("target_kelurahan", _("Target areas are kelurahan.")))
    if problems:
        raise Refused(" ".join(p.message for p in problems), code="invalid", issues=problems)
    values = {
        "name": name,
        "theme": theme,
        "channel": channel,
        "start": start,
        "end": end,
        "programme": programme,
        "target_group": target_group,
        "partners": partners,
        "max_desil": max_desil,
    }
    campaign, outcome = _upsert(Campaign, {"code": code}, values)
    if target_kelurahan is not None:
        before = set(campaign.target_kelurahan.values_list("pk", flat=True))
        if before != {r.pk for r in target_kelurahan}:
            campaign.target_kelurahan.set(target_kelurahan)
            outcome = UPDATED if outcome == UNCHANGED else outcome
    if outcome != UNCHANGED:
        audit.record(actor=actor, action=f"outreach.campaign_{outcome}", obj=campaign, after={"theme": theme})
    return campaign, outcome


@service
def save_question(
    *, campaign: Campaign, number: int, text: str, options: list[str], key: str, actor: User
) -> tuple[Question, str]:
    """Create or change question ``number`` of a campaign's knowledge test; a question already answered
    keeps its options and key (the answers were scored against them)."""
    _require_manager(actor)
    key = key.strip().lower()
    problems = rules.check_question(text, options, key)
    if problems:
        raise Refused(" ".join(problems), code="invalid")
    existing = Question.objects.filter(campaign=campaign, number=number).first()
    if existing is not None and existing.answers.exists() and (existing.options != options or existing.key != key):
        raise Refused(_("Question %(n)d has been answered: its options and key no longer change.") % {"n": number})
    question, outcome = _upsert(
        Question, {"campaign": campaign, "number": number}, {"text": text, "options": options, "key": key}
    )
    if outcome != UNCHANGED:
        audit.record(actor=actor, action="outreach.question", obj=campaign, after={"number": number})
    return question, outcome


@service
def save_event(
    *,
    campaign: Campaign,
    code: str,
    date: dt.date,
    kelurahan: Region,
    venue: str,
    actor: User,
    facilitators: str = "",
    budget: int = 0,
    latitude: Any = None,
    longitude: Any = None,
) -> tuple[Event, str]:
    """Create an event of a campaign in a kelurahan of the officer's areas, or change the one with this
    code."""
    _require_manager(actor)
    if kelurahan.level != RegionLevel.KELURAHAN:
        raise Refused(_("An event takes place in a kelurahan."), code="invalid")
    _require_area(actor, kelurahan)
    existing = Event.objects.filter(code=code).first()
    if existing is not None and existing.campaign_id != campaign.pk:
        raise Refused(_("Event %(code)s belongs to another campaign.") % {"code": code}, code="conflict")
    values = {
        "campaign": campaign,
        "date": date,
        "kelurahan": kelurahan,
        "venue": venue,
        "facilitators": facilitators,
        "budget": budget,
        "latitude": latitude,
        "longitude": longitude,
    }
    event, outcome = _upsert(Event, {"code": code}, values)
    if outcome != UNCHANGED:
        audit.record(
            actor=actor,
            action=f"outreach.event_{outcome}",
            obj=event,
            region_code=kelurahan.code,
            after={"date": str(date), "venue": venue},
        )
    return event, outcome


@service
def record_attendee(
    *,
    event: Event,
    nik: str,
    actor: User,
    source: str = Source.TYPED,
    name: str = "",
    sex: str = "",
    birth_date: dt.date | None = None,
    kelurahan: Region | None = None,
) -> tuple[Attendance, str]:
    """Record that the person with this NIK attended: a current member of the registry, or a person not
    in it (name, sex, birth date and kelurahan given; the NIK checked as the registry checks it),
    flagged for verification. Recording the same person again changes nothing."""
    _require_manager(actor)
    _require_area(actor, event.kelurahan)
    nik = nik.strip()
    existing = Attendance.objects.filter(event=event, nik=nik).first()
    if existing is not None:
        return existing, UNCHANGED
    member = (
        Member.objects.select_related("household__kelurahan")
        .filter(nik=nik, exited_on__isnull=True, merged_into__isnull=True)
        .first()
    )
    values: dict[str, Any]
    if member is not None:
        values = {
            "member": member,
            "household": member.household,
            "name": member.name,
            "sex": member.sex,
            "birth_date": member.birth_date,
            "kelurahan": member.household.kelurahan,
        }
    else:
        problems = []
        if not name.strip():
            problems.append(Problem("name", _("A person not in the registry needs a name.")))
        if sex not in ("1", "2"):
            problems.append(Problem("sex", _("Sex is 1 (male) or 2 (female).")))
        if birth_date is None:
            problems.append(Problem("birth_date", _("A person not in the registry needs a birth date.")))
        problems += [
            Problem(i.field, i.message) for i in check_nik(nik, birth_date=birth_date, sex=sex or None) if i.is_error
        ]
        if problems:
            raise Refused(" ".join(p.message for p in problems), code="invalid", issues=problems)
        assert birth_date is not None
        values = {
            "name": name.strip(),
            "sex": sex,
            "birth_date": birth_date,
            "kelurahan": kelurahan or event.kelurahan,
            "needs_verification": True,
        }
    attendance = Attendance.objects.create(
        event=event,
        nik=nik,
        age_band=rules.age_band(values["birth_date"], event.date),
        source=source,
        **values,
    )
    audit.record(
        actor=actor,
        action="outreach.attend",
        obj=event,
        region_code=event.kelurahan.code,
        after={"registry": member is not None},
    )
    return attendance, INSERTED


@service
def set_head_count(*, event: Event, sex: str, age_band: str, count: int, actor: User) -> str:
    """Set how many people of a sex and age band were counted at an event without a name (0 removes)."""
    _require_manager(actor)
    _require_area(actor, event.kelurahan)
    if sex not in ("1", "2") or age_band not in rules.AGE_BANDS or count < 0:
        raise Refused(_("A head count needs a sex (1 or 2), an age band and a number."), code="invalid")
    row = HeadCount.objects.filter(event=event, sex=sex, age_band=age_band).first()
    if row is not None and row.count == count:
        return UNCHANGED
    if count == 0:
        if row is not None:
            row.delete()
        outcome = UPDATED if row is not None else UNCHANGED
    else:
        _row, outcome = _upsert(HeadCount, {"event": event, "sex": sex, "age_band": age_band}, {"count": count})
    audit.record(actor=actor, action="outreach.head_count", obj=event, region_code=event.kelurahan.code)
    return outcome


@service
def record_answers(*, attendance: Attendance, phase: str, choices: dict[int, str], actor: User) -> str:
    """Record an attendee's answers to the campaign's questions, before or after the event: each scored
    against the key; answering again replaces the earlier choice."""
    _require_manager(actor)
    if phase not in Phase.values:
        raise Refused(_("The test is 'before' or 'after'."), code="invalid")
    questions = {q.number: q for q in Question.objects.filter(campaign_id=attendance.event.campaign_id)}
    unknown = sorted(set(choices) - set(questions))
    if unknown:
        raise Refused(_("The campaign has no question %(n)s.") % {"n": unknown[0]}, code="invalid")
    for number, choice in choices.items():
        if choice not in rules.LETTERS[: len(questions[number].options)]:
            raise Refused(_("Question %(n)d has no option %(choice)r.") % {"n": number, "choice": choice[:3]})
    existing = {a.question_id: a for a in attendance.answers.filter(phase=phase)}
    outcome = UNCHANGED
    for number, choice in choices.items():
        question = questions[number]
        answer = existing.get(question.pk)
        if answer is None:
            Answer.objects.create(
                attendance=attendance, question=question, phase=phase, choice=choice, correct=choice == question.key
            )
            outcome = INSERTED if outcome != UPDATED else outcome
        elif answer.choice != choice:
            answer.choice, answer.correct = choice, choice == question.key
            answer.save(update_fields=["choice", "correct"])
            outcome = UPDATED
    if existing and outcome == INSERTED:
        outcome = UPDATED
    if outcome != UNCHANGED:
        audit.record(actor=actor, action="outreach.answers", obj=attendance.event, after={"phase": phase})
    return outcome


# -- follow-ups ------------------------------------------------------------------------------------------


def household_facts(households: list[int], on: dt.date) -> dict[int, dict[str, int]]:
    """What the registry says today of each household: members, of school age (7–18 on ``on``) and in
    school, with JKN, and their training applications made by ``on``."""
    from entas.training.models import Application

    facts = {h: {"members": 0, "school_age": 0, "in_school": 0, "with_jkn": 0, "applications": 0} for h in households}
    members = Member.objects.filter(
        household_id__in=households, exited_on__isnull=True, merged_into__isnull=True
    ).values_list("household_id", "birth_date", "school_participation", "health_insurance")
    for household, born, school, insurance in members:
        f = facts[household]
        f["members"] += 1
        if 7 <= rules.age(born, on) <= 18:
            f["school_age"] += 1
            f["in_school"] += school == "1"
        f["with_jkn"] += insurance in JKN
    applications = Application.objects.filter(
        member__household_id__in=households, created_at__date__lte=on
    ).values_list("member__household_id", flat=True)
    for household in applications:
        facts[household]["applications"] += 1
    return facts


@service
def measure_follow_ups(*, campaign: Campaign, actor: User, on: dt.date | None = None) -> dict[str, int]:
    """Take the follow-up measurements that are due on ``on`` (default today): the baseline of each
    household that attended an event of the campaign (and of comparable households that did not, same
    kelurahan and desil, chosen then), and their measures 3 and 12 months after its first attendance.
    A wave measured once is not measured again."""
    _require_manager(actor)
    on = on or timezone.localdate()
    firsts: dict[int, dt.date] = {}
    for household, date in (
        Attendance.objects.filter(event__campaign=campaign, household__isnull=False, event__date__lte=on)
        .order_by("event__date")
        .values_list("household_id", "event__date")
    ):
        firsts.setdefault(household, date)
    taken = set(FollowUp.objects.filter(campaign=campaign).values_list("household_id", "months"))
    baseline = {
        f.household_id: f
        for f in FollowUp.objects.filter(campaign=campaign, months=0).only("household_id", "group", "since")
    }
    due: list[tuple[int, str, int, dt.date]] = []  # household, group, months, since
    new = [h for h in firsts if h not in baseline]
    if new:
        cells = {
            h.pk: rules.HouseholdCell(h.pk, str(h.kelurahan_id), h.desil_city)
            for h in Household.objects.filter(pk__in=new).only("pk", "kelurahan_id", "desil_city")
        }
        pool = [
            rules.HouseholdCell(pk, str(kel), desil)
            for pk, kel, desil in Household.objects.filter(
                kelurahan_id__in={c.kelurahan for c in cells.values()}, desil_city__isnull=False
            )
            .exclude(pk__in=list(firsts))
            .exclude(pk__in=list(baseline))
            .values_list("pk", "kelurahan_id", "desil_city")
        ]
        matched = rules.comparison_group(cells.values(), pool, per=1, seed=campaign.code)
        for household, comparisons in matched.items():
            due.append((household, Group.ATTENDED, 0, firsts[household]))
            due += [(c, Group.COMPARISON, 0, firsts[household]) for c in comparisons]
    # a comparison household follows the dates of the attending household it was matched to
    for household, f in baseline.items():
        since = f.since
        for months in rules.WAVES[1:]:
            if (household, months) not in taken and rules.add_months(since, months) <= on:
                due.append((household, f.group, months, since))
    facts = household_facts([d[0] for d in due], on)
    rows = [
        FollowUp(
            campaign=campaign,
            household_id=household,
            group=group,
            months=months,
            since=since,
            measured_on=on,
            **facts[household],
        )
        for household, group, months, since in due
        if facts[household]["members"]
    ]
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    counts = {f"wave_{m}": sum(1 for r in rows if r.months == m) for m in rules.WAVES}
    if rows:
        audit.record(actor=actor, action="outreach.follow_up", obj=campaign, after=counts)
    return counts


# -- campaign materials: files kept in every version ------------------------------------------------

MATERIAL_DIR = "outreach/materials"
# What a campaign's material may be, by its name's ending, and the first bytes such a file starts with.
MATERIAL_TYPES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
}
OFFICE = {".docx": "word/", ".pptx": "ppt/"}


def material_problem(name: str, head: bytes, members: list[str] | None) -> str | None:
    """Why a file may not be a campaign's material (None: it may). ``head``: its first bytes;
    ``members``: the names inside it when it is a ZIP archive (an Office file), else None."""
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix not in MATERIAL_TYPES:
        return _("A campaign's material is a PDF, JPEG, PNG, DOCX, PPTX or MP3 file.")
    if not head.startswith(MATERIAL_TYPES[suffix]):
        return _("%(name)s is not the kind of file its name says.") % {"name": name[:80]}
    if suffix in OFFICE and (
        members is None
        or "[Content_Types].xml" not in members
        or not any(m.startswith(OFFICE[suffix]) for m in members)
    ):
        return _("%(name)s is not the kind of file its name says.") % {"name": name[:80]}
    return None


def _zip_members(upload: Any) -> list[str] | None:
    import zipfile

    try:
        with zipfile.ZipFile(upload) as archive:  # reads the central directory only; nothing is extracted
            return archive.namelist()[:10_000]
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)


@service
def upload_material(*, campaign: Campaign, title: str, upload: Any, actor: User) -> Any:
    """Keep a file of a campaign: uploaded again under the same title, it is the next version (every
    earlier version stays). Checked by its first bytes (an Office file by its inside), within the
    upload limits; stored outside the web root under a generated name."""
    from entas.core import uploads

    from .models import Material

    _require_manager(actor)
    title = title.strip()
    if not title:
        raise Refused(_("Give the material's title."), code="invalid", issues=[Problem("title", _("Required."))])
    name = str(upload.name)
    uploads.check_size(upload.size, name)
    head = upload.read(16)
    upload.seek(0)
    members = _zip_members(upload) if head.startswith(b"PK\x03\x04") else None
    problem = material_problem(name, head, members)
    if problem:
        raise Refused(problem, code="invalid", issues=[Problem("file", problem)])
    latest = Material.objects.filter(campaign=campaign, title=title).order_by("-version").first()
    stored = uploads.store_upload(upload, owner=str(actor.pk), folder=MATERIAL_DIR)
    material = Material.objects.create(
        campaign=campaign,
        title=title,
        version=(latest.version + 1) if latest else 1,
        file=stored,
        name=name[:200],
        uploaded_by=actor,
    )
    audit.record(
        actor=actor,
        action="outreach.material",
        obj=material,
        after={"campaign": campaign.code, "title": title, "version": material.version, "file": name[:200]},
    )
    return material
