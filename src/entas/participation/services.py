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
from .models import Attendance, Forum, ForumDecision

if TYPE_CHECKING:
    from entas.accounts.models import User
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
