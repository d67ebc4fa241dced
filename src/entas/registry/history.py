"""A family's change history as people read it: what happened (a label, not an action code), and each
changed field by its label with readable values (the answer's label, not its code; yes/no; a date)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.core.ids import mask_nik
from entas.core.models import AuditEvent

from .choices import VerificationStatus
from .models import ChangeRequest, Household, Member

ACTION_LABELS: dict[str, Any] = {
    "household.update": _("Household edited"),
    "household.register": _("Household registered"),
    "household.import_update": _("Household updated by an import"),
    "household.verify": _("Verification recorded"),
    "member.import_update": _("Member updated by an import"),
    "member.correct": _("Member's details corrected"),
    "change_request.create": _("Change requested"),
    "change_request.approve": _("Change approved and applied"),
    "change_request.reject": _("Change rejected"),
}

# Keys of audit events that are not model fields of a household or a member.
OTHER_LABELS: dict[str, Any] = {
    "status": _("verification status"),
    "visit_date": _("field visit date"),
    "reason": _("reason"),
    "note": _("note"),
    "members": _("members"),
    "kelurahan": _("kelurahan"),
}


@dataclass
class HistoryRow:
    at: dt.datetime
    actor: Any
    action: Any
    subject: str
    changes: list[tuple[Any, Any, Any]] = field(default_factory=list)


def readable(model: Any, name: str, value: Any) -> Any:
    """A stored value as shown: a coded answer by its label, yes/no, a date as a date; None as None."""
    if value is None or value == "":
        return None
    if name == "status" and value in VerificationStatus.values:
        return VerificationStatus(value).label
    if name == "status" and value in ChangeRequest.Status.values:
        return ChangeRequest.Status(value).label
    try:
        model_field: Any = model._meta.get_field(name)
    except Exception:  # not a field of the model: shown as recorded
        model_field = None
    if getattr(model_field, "choices", None):
        return dict(model_field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def label(model: Any, name: str) -> Any:
    if name in OTHER_LABELS:
        return OTHER_LABELS[name]
    try:
        return model._meta.get_field(name).verbose_name
    except Exception:  # not a field, or a reverse relation (which has no verbose name)
        return name.replace("_", " ")


def field_changes(model: Any, before: dict[str, Any], after: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    return [
        (label(model, k), readable(model, k, before.get(k)), readable(model, k, after.get(k)))
        for k in sorted({*before, *after})
    ]


def request_changes(request: ChangeRequest | None, payload: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    """What a change request asks for, as (label, before, after) rows."""
    if request is None:
        return []
    kind = request.kind
    if kind == ChangeRequest.Kind.CORRECT_MEMBER:
        return field_changes(Member, payload.get("before") or {}, payload.get("changes") or {})
    if kind == ChangeRequest.Kind.ADD_MEMBER:
        return [
            (_("NIK"), None, mask_nik(str(payload.get("nik", "")))),
            (_("Name"), None, payload.get("name")),
            (_("Sex"), None, readable(Member, "sex", payload.get("sex"))),
            (_("Birth date"), None, readable(Member, "birth_date", payload.get("birth_date"))),
            (_("Relationship to head"), None, readable(Member, "relationship", payload.get("relationship"))),
        ]
    if kind == ChangeRequest.Kind.NEW_KK:
        return [(_("KK number"), None, payload.get("kk_number"))]
    if kind == ChangeRequest.Kind.MOVE_MEMBER:
        return [
            (_("Relationship to the new head"), None, readable(Member, "relationship", payload.get("relationship")))
        ]
    return []


def household_history(household: Household, limit: int = 50) -> list[HistoryRow]:
    """Every recorded change of the family, newest first: edits, verification, member corrections,
    imports, and its change requests from the asking to the decision (views and NIK reveals are
    reads, listed in the audit trail, not here)."""
    members = {
        str(m.pk): m
        for m in Member.objects.filter(Q(household=household) | Q(memberships__household=household)).distinct()
    }
    member_ids = list(members)
    requests = {str(r.pk): r for r in household.change_requests.all()}
    events = (
        AuditEvent.objects.filter(
            Q(object_type="registry.household", object_id=str(household.pk))
            | Q(object_type="registry.member", object_id__in=member_ids)
            | Q(object_type="registry.changerequest", object_id__in=list(requests))
        )
        .exclude(action__endswith=".view")
        .exclude(action="member.view_nik")
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
    rows = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        action = ACTION_LABELS.get(event.action, event.action)
        subject = event.object_repr
        if event.object_type == "registry.changerequest":
            request = requests.get(event.object_id)
            kind = request.get_kind_display() if request is not None else ""
            subject = f"{kind}{_label_of_member(request, members)}"
            if event.action == "change_request.create":
                changes = request_changes(request, after.get("payload") or {})
                if after.get("reason"):
                    changes.append((OTHER_LABELS["reason"], None, after["reason"]))
            else:
                changes = [(_("decision"), None, readable(ChangeRequest, "status", after.get("status")))]
                if after.get("note"):
                    changes.append((OTHER_LABELS["note"], None, after["note"]))
        elif event.object_type == "registry.member":
            member = members.get(event.object_id)
            subject = f"{member.name} ({member.masked_nik})" if member is not None else event.object_repr
            changes = field_changes(Member, before, after)
        else:
            subject = ""
            changes = field_changes(Household, before, after)
        rows.append(HistoryRow(at=event.at, actor=event.actor, action=action, subject=subject, changes=changes))
    return rows


def _label_of_member(request: ChangeRequest | None, members: dict[str, Member]) -> str:
    if request is None:
        return ""
    member = members.get(str(request.payload.get("member_id", "")))
    return f": {member.name} ({member.masked_nik})" if member is not None else ""


# -- the DTSEN desil over time ---------------------------------------------------------------------

DESIL_KEYS = ("desil_city", "desil_date")


@dataclass(frozen=True)
class DesilChange:
    """A recorded change of a family's desil or of its DTSEN data date: when it was recorded and the
    two values before it (only the keys that changed are kept by the audit trail)."""

    at: dt.date
    before: dict[str, Any]


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def desil_states(desil: int | None, data_date: Any, changes: list[DesilChange]) -> list[tuple[dt.date, int]]:
    """A family's DTSEN desil (kab/kota) over time, oldest first, as ``(date, desil)``: today's values,
    then each recorded change undone, newest first. A state is dated by its DTSEN data date, else by
    the day it was recorded (the oldest state without a data date is dropped: its date is unknown).
    Pure: the changes are read by :func:`desil_history`."""
    state: dict[str, Any] = {"desil_city": desil, "desil_date": data_date}
    ordered = sorted(changes, key=lambda c: c.at, reverse=True)
    out: list[tuple[dt.date, int]] = []
    for i in range(len(ordered) + 1):
        # The state holds since the change undone next was recorded (the oldest: since unknown).
        since = ordered[i].at if i < len(ordered) else None
        day = _as_date(state["desil_date"]) or since
        if day is not None and state["desil_city"] is not None:
            out.append((day, int(state["desil_city"])))
        if i < len(ordered):
            state = {**state, **{k: v for k, v in ordered[i].before.items() if k in DESIL_KEYS}}
    return sorted(set(out))


def desil_history(household_ids: list[int]) -> dict[int, list[tuple[dt.date, int]]]:
    """Each family's DTSEN desil over time (:func:`desil_states`), from its current values and the
    audit trail of the imports and edits that changed them. The registry keeps today's desil only;
    its history is the audit trail's before/after of every change."""
    if not household_ids:
        return {}
    changes: dict[int, list[DesilChange]] = {h: [] for h in household_ids}
    events = (
        AuditEvent.objects.filter(object_type="registry.household", object_id__in=[str(h) for h in household_ids])
        .exclude(action__endswith=".view")
        .values_list("object_id", "at", "before")
    )
    for object_id, at, before in events.iterator(chunk_size=2000):
        if isinstance(before, dict) and any(k in before for k in DESIL_KEYS):
            changes[int(object_id)].append(DesilChange(timezone.localtime(at).date(), before))
    current = Household.objects.filter(pk__in=household_ids).values_list("pk", "desil_city", "desil_date")
    return {pk: desil_states(desil, day, changes[pk]) for pk, desil, day in current}
