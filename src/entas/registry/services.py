"""Every write to, and every sensitive read of, the registry goes through here: one transaction
each, the audit event inside it, area scope and maker-checker enforced here (not only in the UI).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.accounts.scoping import can_act_in
from entas.core import audit, events, ratelimit
from entas.core.audit import diff
from entas.core.errors import Refused
from entas.core.ids import mask_nik
from entas.core.services import service

from . import variables
from .choices import Relationship, VerificationStatus
from .models import ChangeRequest, Household, KKNumber, Member, Membership
from .names import name_key
from .validation import errors, validate_family, validate_household, validate_member

if TYPE_CHECKING:
    from entas.accounts.models import User


# Fields an operator may edit directly; membership and KK changes go through change requests.
EDITABLE_FIELDS = [
    "address",
    "rt",
    "rw",
    "latitude",
    "longitude",
    *variables.HOUSING,
    *variables.UTILITIES,
    *variables.ASSETS,
    *variables.PROPERTY,
    *variables.LIVESTOCK,
    *variables.ACCESS,
]


def _require(actor: User, capability: Capability, household: Household) -> None:
    if not actor.can(capability) or not can_act_in(actor, household.kelurahan):
        raise Refused(_("You may not change this household."), code="forbidden")


def household_changed(household_pks: list[int], kelurahan_code: str, change: str) -> None:
    """Tell the listeners (the webhooks) that these households changed: identifiers only."""
    events.emit_many(
        events.Event(
            events.HOUSEHOLD_CHANGED,
            "registry.household",
            pk,
            {"kelurahan": kelurahan_code, "change": change},
        )
        for pk in household_pks
    )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


@service
def record_household_view(*, actor: User, household: Household) -> None:
    """Opening a household's page shows personal data: the view itself is audited (UU PDP)."""
    audit.record(actor=actor, action="household.view", obj=household, region_code=household.kelurahan.code)


@service
def reveal_nik(*, actor: User, member: Member) -> str:
    """Return a member's full NIK and record who saw it."""
    audit.record(
        actor=actor,
        action="member.view_nik",
        obj=member,
        region_code=member.household.kelurahan.code,
        object_repr=member.masked_nik,
    )
    return member.nik


@service
def reveal_proposed_nik(*, actor: User, request: ChangeRequest) -> str:
    """Return the full NIK a change request proposes to add (for the approver to check it against the
    family card) and record who saw it, as revealing a member's NIK is."""
    _require(actor, Capability.VIEW_FULL_NIK, request.household)
    nik = str(request.payload.get("nik", ""))
    audit.record(
        actor=actor,
        action="change_request.view_nik",
        obj=request,
        region_code=request.household.kelurahan.code,
        object_repr=mask_nik(nik),
    )
    return nik


@service
def update_household(*, actor: User, household: Household, values: dict[str, Any], expected_version: int) -> Household:
    """Change a household's directly editable fields, refusing a stale edit (optimistic locking).

    The UPDATE only matches when the version is still the one the user loaded, so two operators
    saving the same household cannot silently overwrite each other.
    """
    _require(actor, Capability.CHANGE_REGISTRY, household)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise Refused(_("These fields cannot be edited here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    issues = errors(
        validate_household(
            {**values, "kk_number": household.kk_number}, today=timezone.localdate(), known_kecamatan=None
        )
    )
    if issues:
        raise Refused(issues[0].message, code="invalid", issues=issues)
    before = {k: getattr(household, k) for k in values}
    changed = {k: v for k, v in values.items() if before[k] != v}
    if not changed:
        return household
    updated = Household.objects.filter(pk=household.pk, version=expected_version).update(
        **changed, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        current = Household.objects.get(pk=household.pk)
        raise Refused(
            code="conflict",
            message=_(
                "Someone else saved this household (version %(current)d) after you opened it (version %(yours)d). "
                "Reload the page to see their changes, then make yours again."
            )
            % {"current": current.version, "yours": expected_version},
        )
    b, a = diff({k: before[k] for k in changed}, changed)
    audit.record(
        actor=actor,
        action="household.update",
        obj=household,
        region_code=household.kelurahan.code,
        before=_jsonable(b),
        after=_jsonable(a),
    )
    household_changed([household.pk], household.kelurahan.code, "update")
    household.refresh_from_db()
    return household


# Fields of a person corrected through a change request (maker-checker): identity, schooling, work,
# disability and health. The NIK itself is not among them (a wrong NIK is a new record: Dukcapil).
CORRECTABLE_FIELDS = ["name", "birth_date", "sex", *variables.PERSON]


# -- change requests (maker-checker) ------------------------------------------------------------


# What an answer "already registered outside your areas" counts as, for the audit trail and the limit.
LOOKUP_OUTSIDE_AREA = "registry.lookup_outside_area"
LOOKUP_KINDS = {ChangeRequest.Kind.ADD_MEMBER, ChangeRequest.Kind.NEW_KK}
LOOKUP_LIMIT_MESSAGE = gettext_lazy(
    "You were told %(count)d times within %(minutes)d minutes that a NIK or KK number is registered "
    "outside your areas; wait before checking another, or ask the Dinas Sosial, whose areas cover "
    "both families."
)


def request_change(
    *, actor: User, household: Household, kind: str, payload: dict[str, Any], reason: str
) -> ChangeRequest:
    """Ask for a change to a family; it is checked now and applied only when someone else approves.

    Adding a NIK or giving a KK number looks the number up in the whole registry (it must be unique).
    When it is registered outside the proposer's areas the answer says only that (never which family),
    is audited as ``registry.lookup_outside_area`` and counts towards the proposer's limit of such
    answers (entas.core.ratelimit): that lookup commits on its own, before the request is refused,
    so neither the audit event nor the count is rolled back with the refusal.
    """
    _require(actor, Capability.CHANGE_REGISTRY, household)
    if not reason.strip():
        raise Refused(_("Give the reason for the change."), code="invalid")
    if kind in LOOKUP_KINDS:
        refusal = _look_up_registry(actor=actor, household=household, kind=kind, payload=payload)
        if refusal is not None:
            raise refusal
    return _file_change(actor=actor, household=household, kind=kind, payload=payload, reason=reason)


@service
def _look_up_registry(*, actor: User, household: Household, kind: str, payload: dict[str, Any]) -> Refused | None:
    """The registry-wide uniqueness lookup of a proposal, audited and limited when it reaches outside
    the proposer's areas. Returns the refusal to raise (after this transaction commits), or None.

    Everything that can be checked without the rest of the registry is checked first, and the limit
    before the lookup: neither answer then depends on whether the number exists elsewhere.
    """
    _check_change(actor, household, kind, payload, registry=False)
    try:
        ratelimit.ensure_allowed(
            actor, LOOKUP_OUTSIDE_AREA, region_code=household.kelurahan.code, message=str(LOOKUP_LIMIT_MESSAGE)
        )
    except Refused as refusal:
        return refusal
    holder = _registered_in(kind, payload)
    if holder is None or can_act_in(actor, holder.kelurahan):
        return None  # nothing outside the proposer's areas: _file_change checks (and names) it
    number = str(payload.get("nik") if kind == ChangeRequest.Kind.ADD_MEMBER else payload.get("kk_number"))
    audit.record(
        actor=actor,
        action=LOOKUP_OUTSIDE_AREA,
        obj=holder,
        region_code=holder.kelurahan.code,
        after={
            "kind": kind,
            "number": mask_nik(number) if kind == ChangeRequest.Kind.ADD_MEMBER else number,
            "asked_for": f"KK {household.kk_number}",
        },
    )
    return _already_registered(actor, kind, payload, holder)


@service
def _file_change(
    *, actor: User, household: Household, kind: str, payload: dict[str, Any], reason: str
) -> ChangeRequest:
    _check_change(actor, household, kind, payload)
    request = ChangeRequest.objects.create(
        household=household, kind=kind, payload=_jsonable(payload), reason=reason.strip(), requested_by=actor
    )
    audit.record(
        actor=actor,
        action="change_request.create",
        obj=request,
        region_code=household.kelurahan.code,
        after={"kind": kind, "payload": request.payload, "reason": request.reason},
    )
    return request


def _member_values(payload: dict[str, Any]) -> dict[str, Any]:
    values = dict(payload)
    if isinstance(values.get("birth_date"), str):
        values["birth_date"] = dt.date.fromisoformat(values["birth_date"])
    return values


def _registered_in(kind: str, payload: dict[str, Any]) -> Household | None:
    """The family that already holds the NIK being added or the KK number being given, anywhere."""
    if kind == ChangeRequest.Kind.ADD_MEMBER:
        member = Member.objects.filter(nik=payload.get("nik")).select_related("household__kelurahan").first()
        return member.household if member is not None else None
    if kind == ChangeRequest.Kind.NEW_KK:
        return Household.objects.filter(kk_number=str(payload.get("kk_number", ""))).select_related("kelurahan").first()
    return None


def _already_registered(actor: User, kind: str, payload: dict[str, Any], holder: Household) -> Refused:
    """The refusal for a number another family holds: that family is named only where the user may
    see it; outside their areas the answer is the import's ("registered outside your areas")."""
    inside = can_act_in(actor, holder.kelurahan)
    if kind == ChangeRequest.Kind.ADD_MEMBER:
        nik = payload.get("nik")
        if inside:
            message = _("NIK %(nik)s is already registered in family KK %(kk)s.") % {"nik": nik, "kk": holder.kk_number}
        else:
            message = _("NIK %(nik)s is already registered in a family outside your areas.") % {"nik": nik}
    else:
        kk = payload.get("kk_number")
        if inside:
            message = _("KK number %(kk)s is already registered.") % {"kk": kk}
        else:
            message = _("Family KK %(kk)s is registered outside your areas.") % {"kk": kk}
    return Refused(message, code="conflict")


def _check_change(
    actor: User, household: Household, kind: str, payload: dict[str, Any], *, registry: bool = True
) -> None:
    """Check a change against its family, the rules and (``registry``) the rest of the registry, as
    ``actor`` (the proposer, then the approver) may see it."""
    current = [
        {"nik": m.nik, "name": m.name, "birth_date": m.birth_date, "relationship": m.relationship}
        for m in household.members.filter(exited_on__isnull=True)
    ]
    if kind == ChangeRequest.Kind.ADD_MEMBER:
        values = _member_values(payload)
        issues = errors(validate_member(values, today=timezone.localdate(), known_kecamatan=None))
        issues += errors(validate_family([*current, values]))
    elif kind in {ChangeRequest.Kind.REMOVE_MEMBER, ChangeRequest.Kind.MOVE_MEMBER}:
        member = household.members.filter(pk=payload.get("member_id", 0), exited_on__isnull=True).first()
        if member is None:
            raise Refused(_("That person is not a current member of this family."))
        remaining = [m for m in current if m["nik"] != member.nik]
        if member.relationship == Relationship.HEAD and remaining:
            raise Refused(
                _(
                    "The head of the family cannot leave while others remain; record the new head "
                    "with a new KK number first."
                )
            )
        issues = []
        if kind == ChangeRequest.Kind.MOVE_MEMBER:
            # The family the person joins must lie in the user's areas too: a move writes into it.
            # Outside them it is answered as if it did not exist.
            target = (
                Household.objects.filter(pk=payload.get("target_household_id", 0)).select_related("kelurahan").first()
            )
            if target is None or target.pk == household.pk or not can_act_in(actor, target.kelurahan):
                raise Refused(_("Choose the family the person moves to."), code="invalid")
            target_members = [
                {"nik": m.nik, "relationship": m.relationship, "birth_date": m.birth_date, "name": m.name}
                for m in target.members.filter(exited_on__isnull=True)
            ]
            issues = errors(
                validate_family(
                    [
                        *target_members,
                        {
                            "nik": member.nik,
                            "name": member.name,
                            "birth_date": member.birth_date,
                            "relationship": payload.get("relationship", Relationship.OTHER),
                        },
                    ]
                )
            )
    elif kind == ChangeRequest.Kind.CORRECT_MEMBER:
        issues = _check_correction(household, payload, current)
    elif kind == ChangeRequest.Kind.NEW_KK:
        from entas.core.ids import check_kk

        issues = errors(check_kk(str(payload.get("kk_number", ""))))
    else:
        raise Refused(_("Unknown kind of change %(kind)r.") % {"kind": kind}, code="invalid")
    if issues:
        raise Refused(issues[0].message, code="invalid", issues=issues)
    if registry and kind in LOOKUP_KINDS:
        holder = _registered_in(kind, payload)
        if holder is not None:
            raise _already_registered(actor, kind, payload, holder)


def _check_correction(household: Household, payload: dict[str, Any], current: list[dict[str, Any]]) -> list[Any]:
    """A correction names a current member and at least one field of CORRECTABLE_FIELDS; the person
    as corrected must pass the import's rules (validate_member, and validate_family for ages)."""
    member = household.members.filter(pk=payload.get("member_id", 0), exited_on__isnull=True).first()
    if member is None:
        raise Refused(_("That person is not a current member of this family."), code="invalid")
    changes = payload.get("changes") or {}
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise Refused(
            _("These fields cannot be corrected here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="invalid",
        )
    if not changes:
        raise Refused(_("Nothing to correct: change at least one field."), code="invalid")
    values = {name: getattr(member, name) for name in CORRECTABLE_FIELDS}
    values.update(_member_values(changes))
    values["nik"] = member.nik
    values["relationship"] = member.relationship
    issues = errors(validate_member(values, today=timezone.localdate(), known_kecamatan=None))
    others = [m for m in current if m["nik"] != member.nik]
    issues += errors(validate_family([*others, values]))
    return issues


def correction_payload(member: Member, values: dict[str, Any]) -> dict[str, Any]:
    """The payload of a correction: the member, the fields whose value differs from the record (new
    values), and what they held when it was asked for (shown to the approver and in the history)."""
    changes = {k: v for k, v in values.items() if k in CORRECTABLE_FIELDS and getattr(member, k) != v}
    return {
        "member_id": member.pk,
        "changes": _jsonable(changes),
        "before": _jsonable({k: getattr(member, k) for k in changes}),
    }


@service
def decision_refusal(actor: User, request: ChangeRequest) -> Refused | None:
    """Why ``actor`` (an approver of the family) may not decide ``request``, or None: it was decided
    already, they asked for it themselves, or it moves a person into a family outside their areas."""
    if request.status != ChangeRequest.Status.PENDING:
        return Refused(_("This request was already decided."))
    if request.requested_by_id == actor.pk:
        return Refused(_("A second person must approve: you asked for this change yourself."))
    if request.kind == ChangeRequest.Kind.MOVE_MEMBER:
        # A move writes into two families: whoever approves it must be able to act in both.
        target = Household.objects.filter(pk=request.payload.get("target_household_id", 0)).first()
        if target is not None and not can_act_in(actor, target.kelurahan):
            return Refused(
                _("You may not decide a move into a family outside your areas; an approver of both must."),
                code="forbidden",
            )
    return None


def decide_change(*, actor: User, request: ChangeRequest, approve: bool, note: str = "") -> ChangeRequest:
    """Approve (and apply) or reject a change request. The requester can never decide their own."""
    request = ChangeRequest.objects.select_for_update().select_related("household__kelurahan").get(pk=request.pk)
    household = request.household
    _require(actor, Capability.APPROVE_REGISTRY, household)
    refusal = decision_refusal(actor, request)
    if refusal is not None:
        raise refusal
    if approve:
        _check_change(actor, household, request.kind, request.payload)  # the family may have changed since
        _apply_change(actor, request)
    request.status = ChangeRequest.Status.APPLIED if approve else ChangeRequest.Status.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(
        actor=actor,
        action="change_request.approve" if approve else "change_request.reject",
        obj=request,
        region_code=household.kelurahan.code,
        after={"status": request.status, "note": note},
    )
    if approve:
        household_changed([household.pk], household.kelurahan.code, request.kind)
    return request


def _apply_change(actor: User, request: ChangeRequest) -> None:
    household, payload, today = request.household, request.payload, timezone.localdate()
    if request.kind == ChangeRequest.Kind.ADD_MEMBER:
        values = _member_values(payload)
        member = Member.objects.create(
            household=household,
            name_key=name_key(values["name"]),
            name_key_rev=name_key(values["name"])[::-1],
            **values,
        )
        Membership.objects.create(
            member=member, household=household, relationship=member.relationship, start_date=today
        )
    elif request.kind == ChangeRequest.Kind.REMOVE_MEMBER:
        member = Member.objects.get(pk=payload["member_id"])
        Membership.objects.filter(member=member, end_date__isnull=True).update(end_date=today)
        member.exited_on = today
        member.exit_reason = request.reason[:200]
        member.save(update_fields=["exited_on", "exit_reason", "updated_at"])
    elif request.kind == ChangeRequest.Kind.MOVE_MEMBER:
        member = Member.objects.get(pk=payload["member_id"])
        target = Household.objects.get(pk=payload["target_household_id"])
        Membership.objects.filter(member=member, end_date__isnull=True).update(end_date=today)
        member.household = target
        member.relationship = payload.get("relationship", Relationship.OTHER)
        member.save(update_fields=["household", "relationship", "updated_at"])
        Membership.objects.create(member=member, household=target, relationship=member.relationship, start_date=today)
        Household.objects.filter(pk=target.pk).update(version=F("version") + 1, updated_at=timezone.now())
    elif request.kind == ChangeRequest.Kind.CORRECT_MEMBER:
        member = Member.objects.get(pk=payload["member_id"])
        changes = _member_values(payload.get("changes") or {})
        before = {k: getattr(member, k) for k in changes}
        for name, value in changes.items():
            setattr(member, name, value)
        fields = [*changes, "updated_at"]
        if "name" in changes:
            member.name_key = name_key(member.name)
            member.name_key_rev = member.name_key[::-1]
            fields += ["name_key", "name_key_rev"]
        member.updated_at = timezone.now()
        member.save(update_fields=fields)
        b, a = diff(before, changes)
        audit.record(
            actor=actor,
            action="member.correct",
            obj=member,
            region_code=household.kelurahan.code,
            object_repr=f"{member.name} ({member.masked_nik})",
            before=_jsonable(b),
            after=_jsonable(a),
            note=f"change_request:{request.pk}",
        )
    elif request.kind == ChangeRequest.Kind.NEW_KK:
        KKNumber.objects.filter(household=household, valid_to__isnull=True).update(valid_to=today)
        KKNumber.objects.create(household=household, kk_number=payload["kk_number"], valid_from=today)
        household.kk_number = payload["kk_number"]
        household.save(update_fields=["kk_number"])  # updated_at: just below, with the version
    Household.objects.filter(pk=household.pk).update(version=F("version") + 1, updated_at=timezone.now())


# -- verification and ratification (verval, pengesahan) -------------------------------------------


@service
def verify_household(
    *, actor: User, household: Household, visit_date: dt.date, confirmed: bool, reason: str = ""
) -> Household:
    """An operator's field check: confirmed → 'diverifikasi', not confirmed → 'ditolak' with the reason."""
    _require(actor, Capability.CHANGE_REGISTRY, household)
    if visit_date > timezone.localdate():
        raise Refused(_("The visit date %(date)s is in the future.") % {"date": visit_date})
    if not confirmed and not reason.strip():
        raise Refused(_("Give the reason for rejecting the household."), code="invalid")
    if household.verification_status == VerificationStatus.DISAHKAN:
        raise Refused(_("This household is already ratified."))
    before = household.verification_status
    household.verification_status = VerificationStatus.DIVERIFIKASI if confirmed else VerificationStatus.DITOLAK
    household.rejection_reason = "" if confirmed else reason.strip()
    household.visit_date = visit_date
    household.verified_by = actor
    household.verified_at = timezone.now()
    household.version += 1
    household.updated_at = household.verified_at
    household.save(
        update_fields=[
            "verification_status",
            "rejection_reason",
            "visit_date",
            "verified_by",
            "verified_at",
            "version",
            "updated_at",
        ]
    )
    audit.record(
        actor=actor,
        action="household.verify",
        obj=household,
        region_code=household.kelurahan.code,
        before={"status": before},
        after={"status": household.verification_status, "visit_date": visit_date.isoformat(), "reason": reason},
    )
    household_changed([household.pk], household.kelurahan.code, "verify")
    return household


@service
def ratify_kelurahan(*, actor: User, kelurahan_id: int) -> list[int]:
    """A Dinas Sosial manager ratifies every verified household of a kelurahan at once ('disahkan');
    returns their ids, for the list attached to the berita acara."""
    from entas.regions.models import Region

    kelurahan = Region.objects.get(pk=kelurahan_id)
    if not actor.can(Capability.APPROVE_REGISTRY) or not can_act_in(actor, kelurahan):
        raise Refused(_("You may not ratify households of this kelurahan."))
    ids = list(
        Household.objects.filter(kelurahan=kelurahan, verification_status=VerificationStatus.DIVERIFIKASI).values_list(
            "pk", flat=True
        )
    )
    if not ids:
        raise Refused(
            _("No verified household in Kelurahan %(name)s waits for ratification.") % {"name": kelurahan.name}
        )
    now = timezone.now()
    Household.objects.filter(pk__in=ids).update(
        verification_status=VerificationStatus.DISAHKAN,
        ratified_by=actor,
        ratified_at=now,
        version=F("version") + 1,
        updated_at=now,
    )
    audit.record(
        actor=actor,
        action="household.ratify",
        object_type="regions.region",
        object_id=kelurahan.pk,
        object_repr=f"Kelurahan {kelurahan.name}",
        region_code=kelurahan.code,
        after={"households": len(ids)},
    )
    household_changed(ids, kelurahan.code, "ratify")
    return ids


@service
def record_list_download(*, actor: User, kelurahan: Any, rows: int) -> None:
    """Downloading a by-name-by-address list is a read of personal data: audited."""
    audit.record(
        actor=actor,
        action="registry.list_download",
        object_type="regions.region",
        object_id=kelurahan.pk,
        object_repr=f"Kelurahan {kelurahan.name}",
        region_code=kelurahan.code,
        after={"rows": rows},
    )


# -- one household registered on a page -----------------------------------------------------------

REGISTER_FIELDS = ["kk_number", "address", "rt", "rw"]
MEMBER_FIELDS = ["nik", "name", "sex", "birth_date", "relationship"]


def register_household(
    *,
    actor: User,
    kelurahan: Any,
    values: dict[str, Any],
    members: list[dict[str, Any]],
    source: str = "operator",
) -> Household:
    """Register one new family with its members, as a row group of the import would be: the same
    rules (validation.validate_household, validate_member, validate_family, the NIK and KK checks),
    the same answer for numbers registered elsewhere (said without naming the family, audited and
    limited as ``registry.lookup_outside_area``), status 'usulan' until verified and ratified.
    """
    from entas.regions.models import Region, RegionLevel

    if not actor.can(Capability.CHANGE_REGISTRY) or not can_act_in(actor, kelurahan):
        raise Refused(_("You may not register households in this kelurahan."), code="forbidden")
    if source not in {"operator", "usulan"}:
        raise Refused(_("Unknown registration source %(source)r.") % {"source": source}, code="invalid")
    if not members:
        raise Refused(_("Give at least the head of the family."), code="invalid", issues=[])
    kecamatan = frozenset(
        code.replace(".", "")
        for code in Region.objects.filter(level=RegionLevel.KECAMATAN).values_list("code", flat=True)
    )
    today = timezone.localdate()
    issues = errors(validate_household(values, today=today, known_kecamatan=kecamatan))
    for member in members:
        issues += errors(validate_member(member, today=today, known_kecamatan=kecamatan))
    issues += errors(validate_family(members))
    if issues:
        raise Refused(issues[0].message, code="invalid", issues=issues)
    refusal = _look_up_new_family(actor=actor, kelurahan=kelurahan, values=values, members=members)
    if refusal is not None:
        raise refusal
    household = _create_household(
        actor=actor, kelurahan=kelurahan, values=values, members=members, source=source, today=today
    )
    household_changed([household.pk], kelurahan.code, "register")
    return household


@service
def _look_up_new_family(
    *, actor: User, kelurahan: Any, values: dict[str, Any], members: list[dict[str, Any]]
) -> Refused | None:
    """The KK number and every NIK must be new to the whole registry; a number held in the user's
    areas is named, one held outside them is answered without naming the family, audited and
    counted towards the user's limit of such answers (committed before the refusal is raised). The
    limit is checked before the lookup, so its answer does not depend on where a number is held."""
    try:
        ratelimit.ensure_allowed(
            actor, LOOKUP_OUTSIDE_AREA, region_code=kelurahan.code, message=str(LOOKUP_LIMIT_MESSAGE)
        )
    except Refused as refusal:
        return refusal
    kk = values["kk_number"]
    holder = Household.objects.filter(kk_number=kk).select_related("kelurahan").first()
    if holder is not None:
        return _registration_conflict(actor, "new_kk", {"kk_number": kk}, holder)
    niks = [m["nik"] for m in members]
    taken = Member.objects.filter(nik__in=niks).select_related("household__kelurahan").first()
    if taken is not None:
        return _registration_conflict(actor, "add_member", {"nik": taken.nik}, taken.household)
    return None


def _registration_conflict(actor: User, kind: str, payload: dict[str, Any], holder: Household) -> Refused:
    if can_act_in(actor, holder.kelurahan):
        return _already_registered(actor, kind, payload, holder)
    number = str(payload.get("nik") or payload.get("kk_number"))
    audit.record(
        actor=actor,
        action=LOOKUP_OUTSIDE_AREA,
        obj=holder,
        region_code=holder.kelurahan.code,
        after={"kind": "register_household", "number": mask_nik(number) if "nik" in payload else number},
    )
    return _already_registered(actor, kind, payload, holder)


@service
def _create_household(
    *,
    actor: User,
    kelurahan: Any,
    values: dict[str, Any],
    members: list[dict[str, Any]],
    source: str,
    today: dt.date,
) -> Household:
    household = Household.objects.create(
        kelurahan=kelurahan,
        registration_source=source,
        **{k: values.get(k) or "" for k in REGISTER_FIELDS},
    )
    KKNumber.objects.create(household=household, kk_number=household.kk_number, valid_from=today)
    for values_of in members:
        row = {k: values_of[k] for k in MEMBER_FIELDS}
        key = name_key(row["name"])
        member = Member.objects.create(household=household, name_key=key, name_key_rev=key[::-1], **row)
        Membership.objects.create(
            member=member, household=household, relationship=member.relationship, start_date=today
        )
    audit.record(
        actor=actor,
        action="household.register",
        obj=household,
        region_code=kelurahan.code,
        after={
            "kk_number": household.kk_number,
            "kelurahan": kelurahan.name,
            "members": len(members),
            "registration_source": source,
        },
    )
    return household
