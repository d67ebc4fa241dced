"""Every write of community participation: @service, keyword-only arguments, an explicit actor, an
audit event; refusals as :class:`~entas.core.errors.Refused`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import can_act_in
from entas.core import audit, uploads
from entas.core.errors import Problem, Refused
from entas.core.services import service
from entas.regions.models import Region, RegionLevel
from entas.registry import services as registry
from entas.registry.models import Household

from . import choices as c
from . import rules
from .models import Agreement, Attendance, Contribution, Forum, ForumDecision, Partner, Proposal, Review

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.policy.models import Activity, ProgrammeRecord
    from entas.targeting.models import EligibilityRule

SCAN_DIR = "participation/minutes"
SCAN_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
# The forums a kelurahan operator records (in their kelurahan); the higher Musrenbang stages are Bappeda's.
KELURAHAN_KINDS = {c.ForumKind.MUSYAWARAH, c.ForumKind.REMBUG_WARGA, c.ForumKind.MUSRENBANG_KELURAHAN}


def _may_record(actor: User, kind: str, area: Region) -> bool:
    if kind in KELURAHAN_KINDS:
        return actor.can(Capability.CHANGE_REGISTRY) and can_act_in(actor, area)
    return actor.can(Capability.EDIT_POLICY)


@service
def save_forum(
    *,
    actor: User,
    kind: str,
    area: Region,
    held_on: dt.date,
    berita_acara: str,
    agenda: str = "",
    place: str = "",
    chair: str = "",
    secretary: str = "",
    rt: str = "",
    attendance: dict[str, tuple[int, int]] | None = None,
    forum: Forum | None = None,
) -> Forum:
    """Record a forum (or correct one already recorded): where and when, its agenda, chair and the
    attendance by group and sex. A musyawarah is held in a kelurahan."""
    if kind not in c.ForumKind.values:
        raise Refused(_("Unknown kind of forum."), code="invalid")
    if not _may_record(actor, kind, area):
        raise Refused(_("You may not record forums of %(area)s.") % {"area": area.name}, code="forbidden")
    problems: list[Problem] = []
    if kind in KELURAHAN_KINDS and area.level != RegionLevel.KELURAHAN:
        problems.append(Problem("area", _("A %(kind)s is held in a kelurahan.") % {"kind": c.ForumKind(kind).label}))
    if not berita_acara.strip():
        problems.append(Problem("berita_acara", _("Give the number of the berita acara.")))
    clash = Forum.objects.filter(berita_acara=berita_acara.strip())
    if forum is not None:
        clash = clash.exclude(pk=forum.pk)
    if berita_acara.strip() and clash.exists():
        problems.append(Problem("berita_acara", _("Another forum already has this berita acara number.")))
    for group, (men, women) in (attendance or {}).items():
        if group not in c.AttendeeGroup.values or men < 0 or women < 0:
            problems.append(Problem("attendance", _("Attendance is counted in whole people by group.")))
    if problems:
        raise Refused(problems[0].message, code="invalid", issues=problems)
    values = {
        "kind": kind,
        "area": area,
        "held_on": held_on,
        "berita_acara": berita_acara.strip(),
        "agenda": agenda.strip(),
        "place": place.strip(),
        "chair": chair.strip(),
        "secretary": secretary.strip(),
        "rt": rt.strip(),
    }
    if forum is None:
        forum = Forum.objects.create(recorded_by=actor, **values)
        action = "participation.forum_add"
    else:
        if forum.decisions.exists() and (forum.area_id != area.pk or forum.kind != kind):
            raise Refused(_("The forum has decisions: its kind and area stay."), code="conflict")
        for key, value in values.items():
            setattr(forum, key, value)
        forum.save()
        action = "participation.forum_change"
    for group, (men, women) in (attendance or {}).items():
        Attendance.objects.update_or_create(forum=forum, group=group, defaults={"men": men, "women": women})
    audit.record(
        actor=actor,
        action=action,
        obj=forum,
        region_code=area.code,
        after={"kind": kind, "held_on": held_on.isoformat(), "berita_acara": forum.berita_acara},
    )
    return forum


@service
def record_decision(
    *,
    actor: User,
    forum: Forum,
    household: Household,
    action: str,
    reason: str = "",
    rule: EligibilityRule | None = None,
) -> ForumDecision:
    """Record a musyawarah's decision on a household: the one record the registry's verification and
    targeting both read. On the registry's list it confirms the household (add, keep) or rejects it
    with the reason (remove) in the verification at once, unless the household is already ratified;
    on a rule's list it adds to or removes from the rule's selection. A second decision on the same
    household and list at the same forum corrects the first."""
    if not forum.is_musyawarah:
        raise Refused(_("Decisions on households are taken by a musyawarah kelurahan."), code="invalid")
    if not actor.can(Capability.CHANGE_REGISTRY) or not can_act_in(actor, household.kelurahan):
        raise Refused(_("You may not record decisions for this household."), code="forbidden")
    if household.kelurahan_id != forum.area_id:
        raise Refused(
            _("KK %(kk)s is of another kelurahan than this musyawarah's.") % {"kk": household.kk_number},
            code="invalid",
        )
    problems = rules.decision_problems(action=action, reason=reason, held_on=forum.held_on, today=timezone.localdate())
    if problems:
        raise Refused(problems[0], code="invalid", issues=[Problem("action", p) for p in problems])
    # The household as it stands now (another operator may have verified or Dinsos ratified it since).
    household = Household.objects.select_for_update().select_related("kelurahan").get(pk=household.pk)
    if rule is None:
        confirm, effect = rules.verification_effect(action, household.verification_status)
        if confirm is not None:
            registry.verify_household(
                actor=actor,
                household=household,
                visit_date=forum.held_on,
                confirmed=confirm,
                reason=_("Musyawarah kelurahan, berita acara %(ba)s: %(reason)s")
                % {"ba": forum.berita_acara, "reason": reason.strip()},
            )
    else:
        effect = c.Verification.RULE
    decision, created = ForumDecision.objects.update_or_create(
        forum=forum,
        household=household,
        rule=rule,
        defaults={
            "action": action,
            "reason": reason.strip(),
            "verification": effect,
            "recorded_by": actor,
            "recorded_at": timezone.now(),
        },
    )
    audit.record(
        actor=actor,
        action=f"targeting.community_{action}" if rule is not None else f"participation.decision_{action}",
        obj=decision,
        region_code=household.kelurahan.code,
        after={
            "forum": forum.berita_acara,
            "household": household.kk_number,
            "rule": rule.name if rule is not None else "",
            "reason": reason.strip(),
            "verification": effect,
            "corrected": not created,
        },
    )
    return decision


@service
def record_rule_decision(
    *,
    actor: User,
    rule: EligibilityRule,
    household: Household,
    action: str,
    reason: str,
    berita_acara: str,
    decided_on: dt.date,
) -> ForumDecision:
    """A decision on a rule's list named by its berita acara (targeting's overrides page and
    ``entas rule decide``): recorded in that musyawarah, which is recorded first if it is not yet."""
    forum = Forum.objects.filter(berita_acara=berita_acara).first()
    if forum is None:
        forum = save_forum(
            actor=actor,
            kind=c.ForumKind.MUSYAWARAH,
            area=household.kelurahan,
            held_on=decided_on,
            berita_acara=berita_acara,
            agenda=_("Decisions on the list of %(rule)s") % {"rule": rule.name},
        )
    elif forum.held_on != decided_on:
        raise Refused(
            _("Berita acara %(ba)s is of the musyawarah of %(date)s.") % {"ba": berita_acara, "date": forum.held_on},
            code="invalid",
        )
    return record_decision(actor=actor, forum=forum, household=household, action=action, reason=reason, rule=rule)


@service
def attach_scan(*, actor: User, forum: Forum, upload: Any) -> Forum:
    """Attach the signed scan of a forum's berita acara (PDF, JPEG or PNG); a new scan replaces it."""
    if not _may_record(actor, forum.kind, forum.area):
        raise Refused(_("You may not record forums of %(area)s.") % {"area": forum.area.name}, code="forbidden")
    name = str(upload.name)
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix not in SCAN_TYPES:
        raise Refused(_("The signed scan is a PDF, JPEG or PNG file."), code="invalid")
    head = upload.read(8)
    upload.seek(0)
    magic = {".pdf": (b"%PDF",), ".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8",), ".jpeg": (b"\xff\xd8",)}[suffix]
    if not head.startswith(magic):
        raise Refused(_("%(name)s is not the kind of file its name says.") % {"name": name[:80]}, code="invalid")
    old = forum.scan
    forum.scan = uploads.store_upload(upload, owner=str(actor.pk), folder=SCAN_DIR)
    forum.scan_name = name[:200]
    forum.scan_uploaded_at = timezone.now()
    forum.scan_uploaded_by = actor
    forum.save(update_fields=["scan", "scan_name", "scan_uploaded_at", "scan_uploaded_by"])
    if old:
        uploads.media_path(old).unlink(missing_ok=True)
    audit.record(
        actor=actor, action="participation.scan", obj=forum, region_code=forum.area.code, after={"file": name[:200]}
    )
    return forum


# -- the Musrenbang: proposals, their review at each stage, funding ---------------------------------


def _may_propose(actor: User, kelurahan: Region) -> bool:
    return actor.can(Capability.EDIT_POLICY) or (actor.can(Capability.CHANGE_REGISTRY) and can_act_in(actor, kelurahan))


@service
def save_proposal(
    *,
    actor: User,
    code: str,
    title: str,
    kelurahan: Region,
    category: str,
    proposer: str,
    stage: str = c.ForumKind.REMBUG_WARGA,
    rt: str = "",
    problem: str = "",
    estimated_cost: int = 0,
) -> tuple[Proposal, bool]:
    """Record a residents' proposal as gathered at its first forum (rembug warga or musrenbang
    kelurahan), or correct one still proposed. Returns it and whether it is new."""
    if not _may_propose(actor, kelurahan):
        raise Refused(_("You may not record proposals of %(area)s.") % {"area": kelurahan.name}, code="forbidden")
    problems: list[Problem] = []
    if kelurahan.level != RegionLevel.KELURAHAN:
        problems.append(Problem("kelurahan", _("A proposal comes from a kelurahan.")))
    if category not in c.ProposalCategory.values:
        problems.append(Problem("category", _("Unknown category of proposal.")))
    if stage not in (c.ForumKind.REMBUG_WARGA, c.ForumKind.MUSRENBANG_KELURAHAN):
        problems.append(Problem("stage", _("A proposal starts at a rembug warga or the musrenbang kelurahan.")))
    if not code.strip() or not title.strip() or not proposer.strip():
        problems.append(Problem("title", _("Give the proposal's code, title and proposer.")))
    if estimated_cost < 0:
        problems.append(Problem("estimated_cost", _("The estimated cost is whole rupiah.")))
    if problems:
        raise Refused(problems[0].message, code="invalid", issues=problems)
    existing = Proposal.objects.filter(code=code.strip()).first()
    values = {
        "title": title.strip(),
        "kelurahan": kelurahan,
        "category": category,
        "proposer": proposer.strip(),
        "stage": stage,
        "rt": rt.strip(),
        "problem": problem.strip(),
        "estimated_cost": estimated_cost,
    }
    if existing is not None:
        if existing.status != c.ProposalStatus.PROPOSED or existing.reviews.exists():
            raise Refused(
                _("Proposal %(code)s has been decided on: it is not changed.") % {"code": code}, code="conflict"
            )
        for key, value in values.items():
            setattr(existing, key, value)
        existing.save()
        proposal, created = existing, False
    else:
        proposal, created = Proposal.objects.create(code=code.strip(), recorded_by=actor, **values), True
    audit.record(
        actor=actor,
        action="participation.proposal_add" if created else "participation.proposal_change",
        obj=proposal,
        region_code=kelurahan.code,
        after={"title": proposal.title, "category": category, "cost": estimated_cost},
    )
    return proposal, created


@service
def review_proposal(
    *,
    actor: User,
    proposal: Proposal,
    forum: Forum,
    outcome: str,
    score: int = 0,
    votes_for: int = 0,
    votes_against: int = 0,
    note: str = "",
    merged_into: Proposal | None = None,
) -> Review:
    """Record a Musrenbang forum's decision on a proposal: its priority score and votes there, and
    whether it goes up (accepted: its stage becomes the forum's), is merged into another open
    proposal, or is rejected with the reason."""
    if not _may_record(actor, forum.kind, forum.area):
        raise Refused(_("You may not record forums of %(area)s.") % {"area": forum.area.name}, code="forbidden")
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not (forum.area_id == proposal.kelurahan_id or proposal.kelurahan.code.startswith(forum.area.code + ".")):
        raise Refused(_("This forum does not cover the proposal's kelurahan."), code="invalid")
    if merged_into is not None and merged_into.pk == proposal.pk:
        merged_into = None
    problems = rules.review_problems(
        rules.ReviewFacts(
            status=proposal.status,
            stage=proposal.stage,
            forum_kind=forum.kind,
            outcome=outcome,
            score=score,
            votes_for=votes_for,
            votes_against=votes_against,
            note=note,
            merged_into_open=None if merged_into is None else merged_into.status in rules.OPEN,
        )
    )
    if problems:
        raise Refused(problems[0], code="invalid", issues=[Problem("outcome", p) for p in problems])
    review, _created = Review.objects.update_or_create(
        proposal=proposal,
        forum=forum,
        defaults={
            "score": score,
            "votes_for": votes_for,
            "votes_against": votes_against,
            "outcome": outcome,
            "note": note.strip(),
            "recorded_by": actor,
            "recorded_at": timezone.now(),
        },
    )
    before = {"stage": proposal.stage, "status": proposal.status}
    proposal.status = outcome
    proposal.stage = forum.kind
    proposal.status_reason = note.strip() if outcome != c.Outcome.ACCEPTED else ""
    proposal.merged_into = merged_into if outcome == c.Outcome.MERGED else None
    proposal.save(update_fields=["status", "stage", "status_reason", "merged_into"])
    audit.record(
        actor=actor,
        action=f"participation.proposal_{outcome}",
        obj=proposal,
        region_code=proposal.kelurahan.code,
        before=before,
        after={"stage": forum.kind, "status": outcome, "forum": forum.berita_acara, "score": score},
    )
    return review


@service
def fund_proposal(
    *, actor: User, proposal: Proposal, record: ProgrammeRecord, activity: Activity | None = None
) -> Proposal:
    """Record that an accepted proposal is funded by a programme (and activity) of the policy
    register: the trace from the citizen's proposal to its budget line."""
    if not actor.can(Capability.EDIT_POLICY):
        raise Refused(_("Only the policy register's editors record what funds a proposal."), code="forbidden")
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    problems = rules.fund_problems(status=proposal.status, stage=proposal.stage)
    if activity is not None and activity.record_id != record.pk:
        problems.append(_("The activity is not of that programme."))
    if problems:
        raise Refused(problems[0], code="invalid")
    proposal.status = c.ProposalStatus.FUNDED
    proposal.funded_record = record
    proposal.funded_activity = activity
    proposal.save(update_fields=["status", "funded_record", "funded_activity"])
    audit.record(
        actor=actor,
        action="participation.proposal_funded",
        obj=proposal,
        region_code=proposal.kelurahan.code,
        after={"programme": record.code, "activity": activity.code if activity else ""},
    )
    return proposal


# -- partners: organisations, their MoU/PKS, their contributions -------------------------------------


def _edits_register(actor: User) -> None:
    if not actor.can(Capability.EDIT_POLICY):
        raise Refused(_("Only the policy register's editors keep the partners."), code="forbidden")


@service
def save_partner(
    *,
    actor: User,
    code: str,
    name: str,
    kind: str,
    contact_person: str = "",
    contact: str = "",
    users: list[User] | None = None,
) -> tuple[Partner, bool]:
    """Record a partner organisation (or correct it) with the partner users who sign in for it."""
    _edits_register(actor)
    if kind not in c.PartnerKind.values:
        raise Refused(_("Unknown kind of partner %(value)s.") % {"value": kind[:20] or "-"}, code="invalid")
    if not code.strip() or not name.strip():
        raise Refused(_("Give the partner's code and name."), code="invalid")
    for user in users or []:
        if user.role != "partner":
            raise Refused(_("%(user)s is not a partner's account.") % {"user": user.username}, code="invalid")
    partner, created = Partner.objects.update_or_create(
        code=code.strip(),
        defaults={
            "name": name.strip(),
            "kind": kind,
            "contact_person": contact_person.strip(),
            "contact": contact.strip(),
        },
    )
    if users is not None:
        partner.users.set(users)
    audit.record(
        actor=actor,
        action="participation.partner_add" if created else "participation.partner_change",
        obj=partner,
        after={"name": partner.name, "kind": kind, "users": sorted(u.username for u in users or [])},
    )
    return partner, created


@service
def save_agreement(
    *,
    actor: User,
    partner: Partner,
    kind: str,
    number: str,
    signed_on: dt.date,
    start: dt.date,
    end: dt.date,
    scope: str = "",
    kelurahan: list[Region] | None = None,
) -> Agreement:
    """Record a partner's MoU or PKS with the city (by its number)."""
    _edits_register(actor)
    if kind not in c.AgreementKind.values:
        raise Refused(_("An agreement is an MoU or a PKS."), code="invalid")
    if not number.strip() or end < start:
        raise Refused(_("Give the agreement's number, and an end after its start."), code="invalid")
    agreement, _created = Agreement.objects.update_or_create(
        partner=partner,
        number=number.strip(),
        defaults={"kind": kind, "signed_on": signed_on, "start": start, "end": end, "scope": scope.strip()},
    )
    agreement.kelurahan.set(kelurahan or [])
    audit.record(actor=actor, action="participation.agreement", obj=agreement, after={"partner": partner.code})
    return agreement


@service
def record_contribution(
    *,
    actor: User,
    partner: Partner,
    kind: str,
    description: str,
    record: ProgrammeRecord,
    year: int,
    pledged_value: int = 0,
    delivered_value: int = 0,
    pledged_quantity: int = 0,
    delivered_quantity: int = 0,
    unit: str = "",
    activity: Activity | None = None,
    kelurahan: Region | None = None,
    delivered_on: dt.date | None = None,
    contribution: Contribution | None = None,
) -> Contribution:
    """Record what a partner pledged to a programme (or activity) of the register in a year, and what it
    has delivered so far (a correction or a delivery updates the same row, audited)."""
    _edits_register(actor)
    problems: list[str] = []
    if kind not in c.ContributionKind.values:
        problems.append(_("Unknown kind of contribution."))
    if min(pledged_value, delivered_value, pledged_quantity, delivered_quantity) < 0:
        problems.append(_("Amounts and quantities are whole numbers."))
    if kind in (c.ContributionKind.VOLUNTEER_HOURS, c.ContributionKind.TRAINING_PLACES) and not (
        pledged_quantity or delivered_quantity
    ):
        problems.append(_("Give the hours or places pledged."))
    if kind in (c.ContributionKind.CASH, c.ContributionKind.IN_KIND) and not (pledged_value or delivered_value):
        problems.append(_("Give the value pledged in rupiah."))
    if activity is not None and activity.record_id != record.pk:
        problems.append(_("The activity is not of that programme."))
    if kelurahan is not None and kelurahan.level != RegionLevel.KELURAHAN:
        problems.append(_("A contribution is for a kelurahan or the whole city."))
    if delivered_on is not None and delivered_on > timezone.localdate():
        problems.append(_("A delivery cannot be in the future."))
    if problems:
        raise Refused(problems[0], code="invalid", issues=[Problem("kind", p) for p in problems])
    values = {
        "partner": partner,
        "kind": kind,
        "description": description.strip(),
        "record": record,
        "activity": activity,
        "kelurahan": kelurahan,
        "year": year,
        "pledged_value": pledged_value,
        "delivered_value": delivered_value,
        "pledged_quantity": pledged_quantity,
        "delivered_quantity": delivered_quantity,
        "unit": unit.strip(),
        "delivered_on": delivered_on,
    }
    before = None
    if contribution is None:
        contribution = Contribution.objects.create(recorded_by=actor, **values)
    else:
        before = {"pledged": contribution.pledged_value, "delivered": contribution.delivered_value}
        for key, value in values.items():
            setattr(contribution, key, value)
        contribution.save()
    audit.record(
        actor=actor,
        action="participation.contribution",
        obj=contribution,
        region_code=kelurahan.code if kelurahan else "",
        before=before,
        after={
            "partner": partner.code,
            "programme": record.code,
            "pledged": pledged_value,
            "delivered": delivered_value,
        },
    )
    return contribution


@service
def attach_delivery_report(*, actor: User, contribution: Contribution, upload: Any) -> Contribution:
    """A partner's delivery report on its contribution (PDF, JPEG or PNG), uploaded by the partner's own
    users on the portal or by the register's editors."""
    own = contribution.partner.users.filter(pk=actor.pk).exists()
    if not (own or actor.can(Capability.EDIT_POLICY)):
        raise Refused(_("Only the partner itself or the register's editors attach its reports."), code="forbidden")
    name = str(upload.name)
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix not in SCAN_TYPES:
        raise Refused(_("The report is a PDF, JPEG or PNG file."), code="invalid")
    old = contribution.report
    contribution.report = uploads.store_upload(upload, owner=str(actor.pk), folder="participation/reports")
    contribution.report_name = name[:200]
    contribution.save(update_fields=["report", "report_name"])
    if old:
        uploads.media_path(old).unlink(missing_ok=True)
    audit.record(actor=actor, action="participation.delivery_report", obj=contribution, after={"file": name[:200]})
    return contribution
