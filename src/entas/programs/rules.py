"""Pure rules of cash programmes: entitlement amounts, the payment cycle's state machine and the
reading of a bank's results. No ORM and no request: plain facts in, a decision out; the services
read the facts from the database and apply the decision (Cosmic Python's "functional core").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.core.errors import Refused
from entas.core.money import format_rupiah

if TYPE_CHECKING:
    import numpy as np

# A cycle's period: year and month, YYYY-MM.
PERIOD = r"\d{4}-(0[1-9]|1[0-2])"


class CycleState(TextChoices):
    """The states of a payment cycle (DOMAIN §6.4), defined once: the model's choices are these."""

    DRAFT = "draft", gettext_lazy("Draft")
    TO_APPROVE = "to_approve", gettext_lazy("Waiting for approval")
    APPROVED = "approved", gettext_lazy("Approved")
    DISBURSED = "disbursed", gettext_lazy("Disbursed")
    RECONCILED = "reconciled", gettext_lazy("Reconciled")
    CLOSED = "closed", gettext_lazy("Closed")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")


S = CycleState
# action: {from state: to state}. prepare, retry and reconcile keep or compute the state themselves.
TRANSITIONS: dict[str, dict[str, str]] = {
    "prepare": {S.DRAFT: S.DRAFT},
    "submit": {S.DRAFT: S.TO_APPROVE},
    "approve": {S.TO_APPROVE: S.APPROVED},
    "disburse": {S.APPROVED: S.DISBURSED},
    # New payments for the failed ones: the cycle has payments without a result again.
    "retry": {S.DISBURSED: S.DISBURSED, S.RECONCILED: S.DISBURSED},
    # The bank's results: reconciled once every payment has one and the totals add up (reconciled_state).
    "reconcile": {S.DISBURSED: S.DISBURSED},
    "close": {S.RECONCILED: S.CLOSED},
    "cancel": {S.DRAFT: S.CANCELLED, S.TO_APPROVE: S.CANCELLED},
}
# What each action is called in a refusal ("A draft cycle cannot be approved").
ACTION_LABELS = {
    "prepare": gettext_lazy("prepared"),
    "submit": gettext_lazy("submitted"),
    "approve": gettext_lazy("approved"),
    "disburse": gettext_lazy("disbursed"),
    "retry": gettext_lazy("retried"),
    "reconcile": gettext_lazy("reconciled"),
    "close": gettext_lazy("closed"),
    "cancel": gettext_lazy("cancelled"),
}


def next_state(state: str, action: str) -> str | None:
    """The state after ``action``, or None when the action is not allowed from ``state``."""
    return TRANSITIONS.get(action, {}).get(state)


@dataclass(frozen=True)
class CycleFacts:
    """What the checks of a cycle step need to know, read by the service in a few queries."""

    state: str
    prepared_by: int | None = None
    entitlements: int = 0  # the control count
    total: int = 0  # the control sum, Rp
    budget_remaining: int = 0  # of the programme, without this cycle
    open_duplicates: int = 0  # entitled households with an unresolved possible duplicate person
    unsettled_payments: int = 0  # sent, no result from the bank yet
    held_by_job: int | None = None  # a running job working on the cycle


@dataclass(frozen=True)
class Actor:
    """Who takes the step: their id and what their role allows."""

    id: int | None
    can_manage: bool
    can_approve: bool


def decide(facts: CycleFacts, action: str, actor: Actor) -> str | Refused:
    """The state a cycle moves to when ``actor`` takes ``action``, or the refusal saying why not.

    Every check of every step lives here: the role, maker-checker, the state, the lock of a running
    job, the budget, unresolved duplicates, payments still waiting for the bank.
    """
    if action not in TRANSITIONS:
        return Refused(_("Unknown step %(step)r.") % {"step": action}, code="invalid")
    needed = actor.can_approve if action == "approve" else actor.can_manage
    if not needed:
        return Refused(_("Your role does not allow this step."), code="forbidden")
    if facts.held_by_job is not None:
        return Refused(
            _("Job #%(job)d is working on this cycle; try again when it has finished.") % {"job": facts.held_by_job},
            code="busy",
        )
    target = next_state(facts.state, action)
    if target is None:
        return Refused(
            _("A %(state)s cycle cannot be %(action)s.")
            % {"state": CycleState(facts.state).label.lower(), "action": ACTION_LABELS[action]},
            code="conflict",
        )
    if action == "submit" and facts.entitlements == 0:
        return Refused(_("Prepare the cycle first: it has no entitlements."))
    if action == "approve":
        if facts.prepared_by is not None and facts.prepared_by == actor.id:
            return Refused(_("A second person must approve: you prepared this cycle."), code="forbidden")
        if facts.total > facts.budget_remaining:
            return Refused(
                _("The cycle's total %(total)s exceeds the remaining budget %(left)s.")
                % {"total": format_rupiah(facts.total), "left": format_rupiah(facts.budget_remaining)}
            )
        if facts.open_duplicates:
            return Refused(
                _(
                    "%(n)d households in this cycle have a possible duplicate person nobody has resolved: decide "
                    "them in the duplicate review queue (and merge where they are the same person), then prepare "
                    "the cycle again."
                )
                % {"n": facts.open_duplicates}
            )
    if action == "close" and facts.unsettled_payments:
        return Refused(_("%(n)d payments have no result yet: reconcile them first.") % {"n": facts.unsettled_payments})
    return target


def reconciled_state(*, unsettled: int, paid_sum: int, failed_sum: int, control_sum: int) -> str:
    """After the bank's results: reconciled when no payment waits for a result and what was paid plus
    what failed equals the control sum; disbursed otherwise."""
    if unsettled == 0 and paid_sum + failed_sum == control_sum:
        return CycleState.RECONCILED
    return CycleState.DISBURSED


@dataclass
class BankResults:
    """The bank's lines sorted out against the cycle's payments (:func:`read_bank_results`)."""

    updates: dict[str, tuple[str, str]] = field(default_factory=dict)  # reference → (status, reason)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    bad_status: list[dict[str, Any]] = field(default_factory=list)
    not_final: list[dict[str, Any]] = field(default_factory=list)


def read_bank_results(lines: Iterable[Mapping[str, Any]], references: set[str]) -> BankResults:
    """Sort the bank's result lines (reference, status paid|failed|pending, reason, line): a final
    status for a known payment is an update; an unknown reference or status is reported with its line
    (never ignored); a pending line leaves its payment waiting. A later line for the same payment wins."""
    out = BankResults()
    for position, row in enumerate(lines, start=2):
        line = row.get("line", position)
        reference = (row.get("reference") or "").strip()
        status = (row.get("status") or "").strip().lower()
        if reference not in references:
            out.unknown.append({"line": line, "reference": row.get("reference", "")})
        elif status == "pending":
            out.not_final.append({"line": line, "reference": reference, "status": row.get("reason", "")})
        elif status not in {"paid", "failed"}:
            out.bad_status.append({"line": line, "status": status})
        else:
            out.updates[reference] = (status, (row.get("reason") or "")[:200])
    return out


def retry_reference(reference: str) -> str:
    """The end-to-end reference of the retry of a payment: ``…-R1``, then ``…-R2`` for its retry."""
    base, sep, number = reference.rpartition("-R")
    if sep and number.isdigit():
        return f"{base}-R{int(number) + 1}"[:35]
    return f"{reference}-R1"[:35]


def entitlements(
    *,
    base: int,
    per_child_in_school: int,
    per_elderly: int,
    per_disabled: int,
    cap: int | None,
    months: int,
    children_in_school: np.ndarray,
    elderly: np.ndarray,
    disabled: np.ndarray,
) -> np.ndarray:
    """Amount per household for one cycle, in whole rupiah, vectorised:
    min(cap, base + per_child × children in school + per_elderly × elderly + per_disabled × disabled) × months."""
    import numpy as np  # here: the models import this module, and start-up needs no numpy

    monthly = (
        base
        + per_child_in_school * np.asarray(children_in_school, dtype=np.int64)
        + per_elderly * np.asarray(elderly, dtype=np.int64)
        + per_disabled * np.asarray(disabled, dtype=np.int64)
    )
    if cap is not None:
        monthly = np.minimum(monthly, cap)
    return monthly.astype(np.int64) * months
