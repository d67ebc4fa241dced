"""Writes of the portal: a case filed (by a citizen, an officer or an import), its steps, notes,
assignment and links, escalation; and the counted visits of unauthenticated visitors."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import can_act_in
from entas.core import audit, events, ratelimit
from entas.core.errors import Problem, Refused
from entas.core.services import service

from . import rules
from .choices import Category, Channel, NoteKind, State
from .models import Case, CaseAttachment, CaseNote, Notification, VerificationTask, Visit

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.regions.models import Region

# -- keys, holidays, limits -------------------------------------------------------------------------


def secret() -> bytes:
    """The key of the portal's keyed hashes (codes, addresses, NIKs), derived from SECRET_KEY."""
    return hashlib.sha256(f"entas.portal:{settings.SECRET_KEY}".encode()).digest()


def holidays() -> frozenset[dt.date]:
    return rules.load_holidays(cuti_bersama=getattr(settings, "ENTAS_PORTAL_COUNT_CUTI_BERSAMA", True))


def address_key(address: str | None) -> str:
    return rules.keyed_hash(address or "unknown", secret(), "address")


DEFAULT_LIMITS = {"portal.submit": "5/hour", "portal.track": "30/hour", "portal.check": "10/hour"}


def _limit(action: str) -> ratelimit.Limit:
    return ratelimit.limit_for(action) or ratelimit.parse(DEFAULT_LIMITS[action])


@service
def count_visit(*, action: str, address: str, subject_key: str = "", outcome: str = "") -> Refused | None:
    """Count one request of ``address`` for ``action`` (a complaint, a code lookup, a check), or return
    the refusal when the address has used up its limit (settings ENTAS_RATE_LIMITS, ``portal.*``).
    The visit is recorded either way (a refused one as ``refused``): every check is logged. Called
    *before* anything is looked up, so the refusal never depends on the answer."""
    limit = _limit(action)
    key = address_key(address)
    since = timezone.now() - dt.timedelta(seconds=limit.seconds)
    used = Visit.objects.filter(action=action, address_key=key, at__gte=since).exclude(outcome="refused").count()
    refused = used >= limit.count
    Visit.objects.create(
        action=action, address_key=key, subject_key=subject_key, outcome="refused" if refused else outcome
    )
    if refused:
        return Refused(
            _("Too many requests from your connection: at most %(count)d in %(minutes)d minutes. Try again later.")
            % {"count": limit.count, "minutes": limit.minutes},
            code="too_many",
        )
    return None


@service
def note_outcome(*, action: str, address: str, subject_key: str, outcome: str) -> None:
    """Write down what a counted visit found (a check's ``match`` or ``no_match``), on its log row."""
    visit = (
        Visit.objects.filter(action=action, address_key=address_key(address), subject_key=subject_key, outcome="")
        .order_by("-at", "-pk")
        .first()
    )
    if visit is not None:
        Visit.objects.filter(pk=visit.pk).update(outcome=outcome)


def subject_key(value: str) -> str:
    """What the log keeps of a NIK that was checked: a keyed hash (the same NIK, the same key)."""
    return rules.keyed_hash(value, secret(), "nik")


@service
def purge_visits(*, now: dt.datetime | None = None) -> int:
    """Delete the visit log older than ENTAS_PORTAL_VISIT_RETENTION_DAYS (90): long enough to audit
    the checks of a quarter, not kept for ever. Returns how many rows went."""
    days = int(getattr(settings, "ENTAS_PORTAL_VISIT_RETENTION_DAYS", 90))
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted, _kinds = Visit.objects.filter(at__lt=cutoff).delete()
    if deleted:
        audit.record(actor=None, action="portal.purge_visits", object_type="portal.visit", after={"deleted": deleted})
    return deleted


def ensure_visit_allowed(*, action: str, address: str, subject_key: str = "") -> None:
    refusal = count_visit(action=action, address=address, subject_key=subject_key)
    if refusal is not None:
        raise refusal


# -- attachments ------------------------------------------------------------------------------------

ATTACHMENT_TYPES = {  # signature → (content type, extension)
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"%PDF-": ("application/pdf", "pdf"),
}
MAX_ATTACHMENTS = 3


def attachment_limit() -> int:
    return int(getattr(settings, "ENTAS_PORTAL_MAX_ATTACHMENT_MB", 5)) * 1024 * 1024


def check_attachment(upload: Any) -> tuple[str, str]:
    """The content type and extension of an uploaded photo or document, judged by its first bytes
    (never by its name or the browser's word), or the refusal: only JPEG, PNG and PDF, at most
    ENTAS_PORTAL_MAX_ATTACHMENT_MB."""
    if upload.size > attachment_limit():
        raise Refused(
            _("The file %(name)s is too large: at most %(mb)d MB.")
            % {"name": upload.name[:80], "mb": attachment_limit() // (1024 * 1024)},
            code="invalid",
            issues=[Problem("attachment", _("The file is too large."))],
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, kind in ATTACHMENT_TYPES.items():
        if head.startswith(signature):
            return kind
    raise Refused(
        _("The file %(name)s is not a photo (JPEG, PNG) or a PDF document.") % {"name": upload.name[:80]},
        code="invalid",
        issues=[Problem("attachment", _("Only photos (JPEG, PNG) and PDF documents are accepted."))],
    )


def _store_attachments(case: Case, uploads: list[Any]) -> None:
    """Store a case's files, every one checked before the first is written (a refusal leaves none)."""
    from entas.core import uploads as core_uploads

    kinds = [check_attachment(upload) for upload in uploads]
    for upload, (content_type, extension) in zip(uploads, kinds, strict=True):
        upload.name = f"lampiran.{extension}"  # the citizen's file name is not kept in the path
        relative = core_uploads.store_upload(upload, owner=f"case{case.pk}", folder="portal")
        CaseAttachment.objects.create(
            case=case, file=relative, name=upload.name, content_type=content_type, size=upload.size
        )


# -- filing a case ----------------------------------------------------------------------------------


@dataclass
class Filed:
    case: Case
    code: str  # shown once, to the citizen; only its digest is stored


def _reference(case: Case) -> str:
    return f"ADU-{case.submitted_at:%Y}-{case.pk:06d}"


@service
def file_case(
    *,
    category: str,
    kelurahan: Region,
    description: str,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    anonymous: bool = False,
    attachments: list[Any] | None = None,
    channel: str = Channel.WEB,
    external_ref: str = "",
    submitted_at: dt.datetime | None = None,
    address: str = "",
    spam: bool = False,
    actor: User | None = None,
) -> Filed:
    """File a case and return it with its tracking code. A citizen's (``actor`` None) same complaint
    from the same connection within a day is refused as a repeat; the same text from elsewhere is
    filed and marked as a duplicate of the first, for the officer to join."""
    if actor is not None and not (actor.can(Capability.HANDLE_GRIEVANCES) and can_act_in(actor, kelurahan)):
        raise Refused(_("You may not take in complaints for this kelurahan."), code="forbidden")
    if category not in rules.CATEGORY_RULES:
        raise Refused(_("Choose what the complaint is about."), code="invalid")
    description = description.strip()
    if len(description) < 10:
        raise Refused(
            _("Describe the problem in a few words (at least 10 letters)."),
            code="invalid",
            issues=[Problem("description", _("Describe the problem in a few words (at least 10 letters)."))],
        )
    if len(attachments or []) > MAX_ATTACHMENTS:
        raise Refused(_("At most %(n)d files.") % {"n": MAX_ATTACHMENTS}, code="invalid")
    for upload in attachments or []:
        check_attachment(upload)  # refuse a bad file before anything is written
    now = submitted_at or timezone.now()
    fingerprint = rules.fingerprint(category=category, kelurahan=kelurahan.code, description=description)
    key = address_key(address) if address else ""
    earlier = (
        Case.objects.filter(fingerprint=fingerprint, submitted_at__gte=now - dt.timedelta(days=1), spam=False)
        .order_by("submitted_at", "pk")
        .first()
    )
    if earlier is not None and actor is None and key and earlier.address_key == key:
        raise Refused(
            _(
                "This complaint was already received from you today. Follow it with the tracking code you were "
                "given then; there is no need to send it again."
            ),
            code="conflict",
        )
    rule = rules.CATEGORY_RULES[category]
    due = rules.deadlines(category, timezone.localtime(now).date(), holidays())
    anonymous = bool(anonymous)
    for _attempt in range(5):
        code = rules.new_tracking_code()
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    reference=f"tmp-{secrets.token_hex(8)}",
                    code_digest=rules.code_digest(code, secret()),
                    category=category,
                    severity=rule.severity,
                    unit=rule.unit,
                    channel=channel,
                    external_ref=external_ref,
                    kelurahan=kelurahan,
                    description=description,
                    contact_name="" if anonymous else contact_name.strip(),
                    contact_phone="" if anonymous else contact_phone.strip(),
                    contact_email="" if anonymous else contact_email.strip(),
                    anonymous=anonymous,
                    spam=spam,
                    fingerprint=fingerprint,
                    duplicate_of=earlier,
                    address_key=key,
                    submitted_at=now,
                    first_response_due=due.first_response,
                    resolution_due=due.resolution,
                    created_by=actor,
                )
            break
        except IntegrityError:  # pragma: no cover  (a collision of 59-bit codes)
            continue
    else:  # pragma: no cover
        raise Refused(_("Please try again."), code="busy")
    case.reference = _reference(case)
    case.save(update_fields=["reference"])
    _store_attachments(case, attachments or [])
    audit.record(
        actor=actor,
        action="portal.file",
        obj=case,
        region_code=kelurahan.code,
        after={"category": category, "channel": channel, "duplicate_of": earlier.pk if earlier else None},
    )
    return Filed(case, code)


def find_by_code(code: str) -> Case | None:
    """The one case a tracking code opens, or None (a malformed code makes no lookup)."""
    if rules.normalise_code(code) is None:
        return None
    return Case.objects.filter(code_digest=rules.code_digest(code, secret())).first()


# -- handling ---------------------------------------------------------------------------------------


def _may_handle(actor: User, case: Case) -> None:
    if not (actor.can(Capability.HANDLE_GRIEVANCES) and can_act_in(actor, case.kelurahan)):
        raise Refused(_("You may not handle complaints of this kelurahan."), code="forbidden")


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


@service
def take_step(*, case: Case, action: str, actor: User, notify: bool = True) -> Case:
    """Move a case on (start, ask the citizen, resolve, close, reopen)."""
    _may_handle(actor, case)
    case = _locked(case)
    answered = case.notes.filter(kind=NoteKind.PUBLIC).exists()
    target = rules.transition(case.state, action, answered=answered)
    if isinstance(target, Refused):
        raise target
    if target == State.RESOLVED and case.category in (Category.USUL, Category.SANGGAH) and case.household_id is None:
        raise Refused(
            _("Register the proposed family (usul) or link the household concerned (sanggah) before resolving.")
            if case.category == Category.USUL
            else _("Link the household the sanggah is about before resolving it: it goes back to verification."),
            code="conflict",
        )
    before = case.state
    now = timezone.now()
    case.state = target
    if target == State.RESOLVED:
        case.resolved_at = now
    elif target == State.CLOSED:
        case.closed_at = now
    elif action == "reopen":
        case.resolved_at = case.closed_at = None
        due = rules.deadlines(case.category, timezone.localtime(now).date(), holidays())
        case.resolution_due = due.resolution
        case.escalation = 0
    if case.first_response_at is None and action in ("start", "ask_citizen", "resolve"):
        case.first_response_at = now
    case.save()
    audit.record(
        actor=actor,
        action=f"portal.{action}",
        obj=case,
        region_code=case.kelurahan.code,
        before={"state": before},
        after={"state": target},
    )
    if target == State.RESOLVED and case.category == Category.SANGGAH:
        _open_verification(case, actor)
    if notify:
        notify_citizen(case=case, event=action)
    return case


def _open_verification(case: Case, actor: User) -> VerificationTask:
    """A resolved sanggah puts its household back into the field check (a task for the kelurahan's
    operator, on the verification queue and the musyawarah's agenda)."""
    reason = _("Sanggah %(ref)s: %(text)s") % {"ref": case.reference, "text": case.description[:300]}
    task, _created = VerificationTask.objects.update_or_create(
        case=case,
        defaults={"household_id": case.household_id, "reason": reason, "opened_at": timezone.now(), "opened_by": actor},
    )
    audit.record(
        actor=actor,
        action="portal.verification_task",
        obj=case,
        region_code=case.kelurahan.code,
        after={"household": case.household_id},
    )
    return task


@service
def register_usul(
    *,
    case: Case,
    actor: User,
    kelurahan: Region,
    values: dict[str, Any],
    members: list[dict[str, Any]],
    answer: str,
) -> Case:
    """Resolve an usul by registering the proposed family in the registry (status *usulan*, through the
    registry's own registration with all its checks), linking the case to it, answering the citizen
    and resolving the case — in one step."""
    from entas.registry import services as registry

    _may_handle(actor, case)
    if case.category != Category.USUL:
        raise Refused(_("Only an usul registers a family."), code="invalid")
    if case.household_id is not None:
        raise Refused(_("This usul is already linked to a family."), code="conflict")
    if not answer.strip():
        raise Refused(_("Write the answer to the citizen."), code="invalid", issues=[Problem("answer", _("Required."))])
    household = registry.register_household(
        actor=actor, kelurahan=kelurahan, values=values, members=members, source="usulan"
    )
    link(case=case, actor=actor, household=household)
    add_note(case=case, kind=NoteKind.PUBLIC, text=answer, actor=actor, notify=False)
    if case.state == State.NEW:
        take_step(case=case, action="start", actor=actor, notify=False)
    return take_step(case=case, action="resolve", actor=actor)


@service
def notify_citizen(*, case: Case, event: str) -> list[Notification]:
    """Tell the citizen their case moved on or has an answer, through each channel they left (none for
    an anonymous case); each message is kept, sent or failed (a failed sender never stops the step)."""
    from . import notify

    made = []
    for channel, recipient in notify.recipients(case):
        message = notify.compose(case, event, channel, recipient)
        status, error = Notification.Status.SENT, ""
        try:
            notify.sender_for(channel).send(message)
        except Exception as exc:
            status, error = Notification.Status.FAILED, f"{type(exc).__name__}: {exc}"[:300]
        made.append(
            Notification.objects.create(
                case=case,
                channel=channel,
                recipient=recipient,
                subject=message.subject,
                body=message.body,
                event=event,
                status=status,
                error=error,
            )
        )
    return made


@service
def add_note(*, case: Case, kind: str, text: str, actor: User, notify: bool = True) -> CaseNote:
    """An internal note, or a public answer (which the citizen reads with the code; the first one is
    the case's first response)."""
    _may_handle(actor, case)
    text = text.strip()
    if not text:
        raise Refused(
            _("Write something first."), code="invalid", issues=[Problem("text", _("Write something first."))]
        )
    if kind not in NoteKind.values:
        raise Refused(_("Unknown kind of note."), code="invalid")
    case = _locked(case)
    note = CaseNote.objects.create(case=case, kind=kind, text=text, author=actor)
    if kind == NoteKind.PUBLIC and case.first_response_at is None:
        case.first_response_at = note.written_at
        case.save(update_fields=["first_response_at"])
    audit.record(actor=actor, action=f"portal.note.{kind}", obj=case, region_code=case.kelurahan.code)
    if kind == NoteKind.PUBLIC and notify:
        notify_citizen(case=case, event="answer")
    return note


@service
def assign(*, case: Case, to: User | None, actor: User) -> Case:
    _may_handle(actor, case)
    if to is not None and not (
        to.is_active and to.can(Capability.HANDLE_GRIEVANCES) and can_act_in(to, case.kelurahan)
    ):
        raise Refused(_("%(user)s does not handle complaints of this kelurahan.") % {"user": to}, code="invalid")
    case = _locked(case)
    before = case.assigned_to_id
    case.assigned_to = to
    case.save(update_fields=["assigned_to"])
    audit.record(
        actor=actor,
        action="portal.assign",
        obj=case,
        region_code=case.kelurahan.code,
        before={"assigned_to": before},
        after={"assigned_to": to.pk if to else None},
    )
    return case


@service
def mark_spam(*, case: Case, actor: User) -> Case:
    """Spam: closed without an answer and left out of the statistics."""
    _may_handle(actor, case)
    case = _locked(case)
    if case.state != State.NEW:
        raise Refused(_("Only a new case can be marked as spam."), code="conflict")
    case.spam = True
    case.state = State.CLOSED
    case.closed_at = timezone.now()
    case.save(update_fields=["spam", "state", "closed_at"])
    audit.record(actor=actor, action="portal.spam", obj=case, region_code=case.kelurahan.code)
    return case


@service
def link(*, case: Case, actor: User, household: Any = None, payment: Any = None, programme: Any = None) -> Case:
    """Tie a case to the household, payment (and so its cycle and programme) or programme it concerns.
    The household must lie in the officer's areas."""
    _may_handle(actor, case)
    case = _locked(case)
    if payment is not None:
        household = household or payment.entitlement.household
        case.payment = payment
        case.cycle = payment.entitlement.cycle
        case.programme = payment.entitlement.cycle.programme
    if household is not None:
        if not can_act_in(actor, household.kelurahan):
            raise Refused(_("That household lies outside your areas."), code="forbidden")
        case.household = household
    if programme is not None:
        case.programme = programme
    case.save(update_fields=["household", "payment", "cycle", "programme"])
    audit.record(
        actor=actor,
        action="portal.link",
        obj=case,
        region_code=case.kelurahan.code,
        after={"household": case.household_id, "payment": case.payment_id, "programme": case.programme_id},
    )
    return case


@service
def escalate(*, today: dt.date | None = None) -> dict[str, int]:
    """Raise the escalation level of every open case past its service levels (the supervisor, then
    the head of the agency); each raise is audited. Run by ``entas portal escalate`` (cron) or the
    ``portal.escalate`` job. Returns how many cases reached each level."""
    today = today or timezone.localdate()
    days = holidays()
    raised = {"supervisor": 0, "head": 0}
    candidates = Case.objects.filter(state__in=[State.NEW, State.IN_PROGRESS]).filter(
        Q(resolution_due__lt=today) | Q(first_response_at__isnull=True, first_response_due__lt=today)
    )
    for case in candidates.select_related("kelurahan").select_for_update(of=("self",)):
        level = rules.escalation_level(
            rules.ClockFacts(
                state=case.state,
                first_response_due=case.first_response_due,
                resolution_due=case.resolution_due,
                first_responded=case.first_response_at is not None,
                today=today,
            ),
            days,
        )
        if level <= case.escalation:
            continue
        before = case.escalation
        case.escalation = level
        case.escalated_at = timezone.now()
        case.save(update_fields=["escalation", "escalated_at"])
        raised["head" if level == rules.LEVEL_HEAD else "supervisor"] += 1
        audit.record(
            actor=None,
            action="portal.escalate",
            obj=case,
            region_code=case.kelurahan.code,
            before={"escalation": before},
            after={"escalation": level},
        )
        events.emit(
            events.COMPLAINT_ESCALATED,
            model="portal.case",
            pk=case.pk,
            payload={"kelurahan": case.kelurahan.code, "level": level, "state": case.state},
        )
        notify_escalation(case=case, level=level)
    return raised


def escalation_recipients(case: Case, level: int) -> list[str]:
    """Whom an escalation tells, by e-mail: the supervisors — the Dinas Sosial managers
    (``registry.approve`` and ``grievances.handle``) whose areas hold the case's kelurahan — and, at the
    head's level, also ``ENTAS_PORTAL_HEAD_EMAILS`` (the head of the agency's addresses)."""
    from entas.accounts.models import User

    supervisors = [
        u.email
        for u in User.objects.filter(is_active=True).exclude(email="").order_by("pk")
        if u.can(Capability.APPROVE_REGISTRY) and u.can(Capability.HANDLE_GRIEVANCES) and can_act_in(u, case.kelurahan)
    ]
    heads = list(getattr(settings, "ENTAS_PORTAL_HEAD_EMAILS", [])) if level >= rules.LEVEL_HEAD else []
    return list(dict.fromkeys([*supervisors, *heads]))


@service
def notify_escalation(*, case: Case, level: int) -> list[Notification]:
    """Tell the supervisors (and at the second level the head of the agency) that a case is past its
    service level; each message is kept like a citizen's, sent or failed."""
    from . import notify

    made = []
    for recipient in escalation_recipients(case, level):
        message = notify.compose_escalation(case, level, recipient)
        status, error = Notification.Status.SENT, ""
        try:
            notify.sender_for("email").send(message)
        except Exception as exc:
            status, error = Notification.Status.FAILED, f"{type(exc).__name__}: {exc}"[:300]
        made.append(
            Notification.objects.create(
                case=case,
                channel="email",
                recipient=recipient,
                subject=message.subject,
                body=message.body,
                event=f"escalate_{level}",
                status=status,
                error=error,
            )
        )
    return made
