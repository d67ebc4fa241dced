"""Payment rounds of a programme: create, prepare (every entitlement in one set-based pass), the
maker-checker steps, disbursement, the bank's results and retries. Every check of a step is the pure
:func:`entas.programs.rules.decide`; this module reads its facts and applies its decision."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import audit, events, jobqueue
from entas.core.bulk import Inserter, update_rows
from entas.core.errors import Refused
from entas.core.services import service
from entas.dedup.selectors import households_with_open_duplicates

from .. import rules
from ..models import Cycle, Enrolment, Entitlement, Payment, Programme
from ..selectors import budget_remaining
from .enrolment import DUPLICATE_FLAG, check_shock_window, require, selection

if TYPE_CHECKING:
    from entas.accounts.models import User

# The steps of a cycle a person takes, in the order of its life (reconciliation takes a bank file).
STEPS = ("prepare", "submit", "approve", "disburse", "retry", "close", "cancel")


@service
def create_cycle(*, programme: Programme, period: str, actor: User) -> Cycle:
    """A new draft cycle for ``period`` (``YYYY-MM``), within the programme's period; one per period
    (two cycles of one month would pay twice) and no more than the programme's tranches."""
    require(actor, Capability.MANAGE_PROGRAMMES)
    check_shock_window(programme)
    period = period.strip()
    if not re.fullmatch(rules.PERIOD, period):
        raise Refused(_("Write the period as YYYY-MM, e.g. 2026-12 (not %(p)r).") % {"p": period}, code="invalid")
    if not f"{programme.start:%Y-%m}" <= period <= f"{programme.end:%Y-%m}":
        raise Refused(
            _("%(p)s lies outside the programme's period (%(start)s to %(end)s).")
            % {"p": period, "start": f"{programme.start:%Y-%m}", "end": f"{programme.end:%Y-%m}"},
            code="invalid",
        )
    Programme.objects.select_for_update().filter(pk=programme.pk).first()  # one cycle number at a time
    live = programme.cycles.exclude(state=Cycle.State.CANCELLED)
    if live.filter(period=period).exists():
        raise Refused(_("The programme already has a cycle for %(p)s.") % {"p": period}, code="conflict")
    if programme.tranches is not None and live.count() >= programme.tranches:
        raise Refused(
            _("The programme pays in %(n)d tranches and all of them have a cycle.") % {"n": programme.tranches},
            code="conflict",
        )
    number = (programme.cycles.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    cycle = Cycle.objects.create(programme=programme, number=number, period=period)
    audit.record(actor=actor, action="cycle.create", obj=cycle, after={"period": period})
    return cycle


def _facts(cycle: Cycle, action: str) -> rules.CycleFacts:
    """What :func:`rules.decide` needs for ``action`` (only the queries that step's checks read)."""
    holder = jobqueue.lock_holder([cycle.lock_key])
    payments = Payment.objects.filter(entitlement__cycle=cycle)
    facts: dict[str, Any] = {
        "state": cycle.state,
        "prepared_by": cycle.prepared_by_id,
        "entitlements": cycle.control_count,
        "total": cycle.control_sum,
        "held_by_job": holder.pk if holder else None,
    }
    if action == "approve":
        facts["budget_remaining"] = budget_remaining(cycle.programme, excluding=cycle)
        facts["open_duplicates"] = len(
            households_with_open_duplicates(cycle.entitlements.values_list("household_id", flat=True))
        )
    if action == "close":
        facts["unsettled_payments"] = payments.filter(status=Payment.Status.SENT).count()
    return rules.CycleFacts(**facts)


def _actor(actor: User | None) -> rules.Actor:
    return rules.Actor(
        id=actor.pk if actor is not None else None,
        can_manage=actor is not None and actor.can(Capability.MANAGE_PROGRAMMES),
        can_approve=actor is not None and actor.can(Capability.APPROVE_PROGRAMMES),
    )


@dataclass(frozen=True)
class StepChoice:
    """One step of a cycle as a page offers it to one person: whether they may take it now, and if
    not, why (the refusal :func:`rules.decide` would give)."""

    step: str
    allowed: bool
    reason: str = ""


def step_choices(cycle: Cycle, actor: User) -> list[StepChoice]:
    """The steps of :data:`STEPS` that make sense in the cycle's state and that the actor's role could
    take, each allowed or refused with the reason (maker-checker, the budget, open duplicates, a
    running job, payments without a result). A read: the same pure checks the steps run, with every
    fact read once. Steps the state does not allow, or the role could never take, are left out;
    ``retry`` only while failed payments wait for a retry."""
    who = _actor(actor)
    possible = [
        step
        for step in STEPS
        if rules.next_state(cycle.state, step) is not None
        and (who.can_approve if step == "approve" else who.can_manage)
    ]
    if not possible:
        return []
    payments = Payment.objects.filter(entitlement__cycle=cycle)
    holder = jobqueue.lock_holder([cycle.lock_key])
    facts = rules.CycleFacts(
        state=cycle.state,
        prepared_by=cycle.prepared_by_id,
        entitlements=cycle.control_count,
        total=cycle.control_sum,
        held_by_job=holder.pk if holder else None,
        budget_remaining=budget_remaining(cycle.programme, excluding=cycle) if "approve" in possible else 0,
        open_duplicates=len(households_with_open_duplicates(cycle.entitlements.values_list("household_id", flat=True)))
        if "approve" in possible
        else 0,
        unsettled_payments=payments.filter(status=Payment.Status.SENT).count() if "close" in possible else 0,
    )
    choices = []
    for step in possible:
        if step == "retry" and not payments.filter(status=Payment.Status.FAILED, retry__isnull=True).exists():
            continue
        decision = rules.decide(facts, step, who)
        refused = isinstance(decision, Refused)
        choices.append(StepChoice(step, not refused, decision.message if isinstance(decision, Refused) else ""))
    return choices


def _checked(cycle: Cycle, action: str, actor: User) -> tuple[Cycle, str]:
    """The cycle locked for this transaction and the state ``action`` moves it to; Refused otherwise."""
    cycle = Cycle.objects.select_for_update().select_related("programme").get(pk=cycle.pk)
    decision = rules.decide(_facts(cycle, action), action, _actor(actor))
    if isinstance(decision, Refused):
        raise decision
    return cycle, decision


@service
def prepare(*, cycle: Cycle, actor: User) -> dict[str, Any]:
    """Compute every entitlement of a draft cycle in one set-based pass. Enrolled households that no
    longer meet the rule are paused (with the reason); households also enrolled in a programme marked
    mutually exclusive are flagged. Re-running replaces the draft's entitlements: never two per household."""
    cycle, _state = _checked(cycle, "prepare", actor)
    programme = cycle.programme
    ids, selected, counts, _chosen = selection(programme)
    enrolled = dict(
        Enrolment.objects.filter(programme=programme, state=Enrolment.State.ENROLLED).values_list(
            "household_id", "source"
        )
    )
    index = {pk: i for i, pk in enumerate(ids.tolist())}
    still = np.zeros(ids.size, dtype=bool)
    still[[index[pk] for pk in enrolled if pk in index]] = True
    # Enrolled by hand (with a reason): kept whatever the rule says, until someone exits them.
    by_hand = np.zeros(ids.size, dtype=bool)
    by_hand[[index[pk] for pk, source in enrolled.items() if source == "manual" and pk in index]] = True
    selected = selected | by_hand
    pause = still & ~selected
    now = timezone.now()
    paused_ids = ids[pause].tolist()
    Enrolment.objects.filter(programme=programme, household_id__in=paused_ids).update(
        state=Enrolment.State.PAUSED,
        changed_at=now,
        reason=_("no longer meets the rule at cycle %(n)d") % {"n": cycle.number},
    )
    payable = still & selected
    amounts = rules.entitlements(
        base=programme.base_amount,
        per_child_in_school=programme.per_child_in_school,
        per_elderly=programme.per_elderly,
        per_disabled=programme.per_disabled,
        cap=programme.cap,
        months=programme.months_per_cycle,
        children_in_school=counts["children_in_school"],
        elderly=counts["elderly"],
        disabled=counts["disabled"],
    )
    exclusive = set(
        Enrolment.objects.filter(
            programme__in=programme.exclusive_with.all(), state=Enrolment.State.ENROLLED
        ).values_list("household_id", flat=True)
    )
    payable_ids = ids[payable].tolist()
    duplicates = households_with_open_duplicates(payable_ids)
    Entitlement.objects.filter(cycle=cycle).delete()
    exclusive_flag = _("also enrolled in a mutually exclusive programme")
    rows = [
        {
            "cycle_id": cycle.pk,
            "household_id": pk,
            "amount": int(a),
            "flags": "; ".join(
                str(flag) for flag, on in ((exclusive_flag, pk in exclusive), (DUPLICATE_FLAG, pk in duplicates)) if on
            ),
        }
        for pk, a in zip(payable_ids, amounts[payable].tolist(), strict=True)
    ]
    Inserter(Entitlement).insert(rows)
    total = int(sum(r["amount"] for r in rows))
    cycle.control_count, cycle.control_sum = len(rows), total
    cycle.prepared_by, cycle.prepared_at = actor, now
    cycle.save(update_fields=["control_count", "control_sum", "prepared_by", "prepared_at"])
    remaining = budget_remaining(programme, excluding=cycle)
    result = {
        "entitlements": len(rows),
        "total": total,
        "paused": len(paused_ids),
        "flagged_exclusive": sum(1 for r in rows if r["household_id"] in exclusive),
        "flagged_duplicate": sum(1 for r in rows if r["household_id"] in duplicates),
        "budget_remaining": remaining,
        "over_budget": total > remaining,
    }
    audit.record(actor=actor, action="cycle.prepare", obj=cycle, after=result)
    return result


def run_step(*, cycle: Cycle, step: str, actor: User, payments: Iterable[int] | None = None) -> dict[str, Any]:
    """One of :data:`STEPS` — the same for the pages, the API and the command line: the step's own
    result (prepare's counts, retry's number) with the cycle's state and envelope after it.
    ``payments``: for ``retry``, the failed payments to retry (all when None)."""
    if step == "prepare":
        result: dict[str, Any] = prepare(cycle=cycle, actor=actor)
    elif step == "retry":
        result = {"retried": retry_failed(cycle=cycle, actor=actor, payments=payments)}
    elif step in STEPS:
        transition(cycle=cycle, action=step, actor=actor)
        result = {}
    else:
        raise Refused(_("Unknown step %(step)r.") % {"step": step}, code="invalid")
    cycle.refresh_from_db()
    return {
        **result,
        "cycle": cycle.pk,
        "state": cycle.state,
        "control_count": cycle.control_count,
        "control_sum": cycle.control_sum,
    }


@service
def transition(*, cycle: Cycle, action: str, actor: User) -> Cycle:
    """submit, approve, disburse, close or cancel a cycle, with the checks each step needs."""
    if action not in {"submit", "approve", "disburse", "close", "cancel"}:
        raise Refused(_("Unknown step %(step)r.") % {"step": action}, code="invalid")
    cycle, target = _checked(cycle, action, actor)
    before = cycle.state
    if action == "approve":
        cycle.approved_by, cycle.approved_at = actor, timezone.now()
    if action == "disburse":
        _issue_payments(cycle)
    cycle.state = target
    cycle.save()
    audit.record(actor=actor, action=f"cycle.{action}", obj=cycle, before={"state": before}, after={"state": target})
    if action == "approve":
        events.emit(
            events.CYCLE_APPROVED,
            model="programs.cycle",
            pk=cycle.pk,
            payload={"programme": cycle.programme_id, "period": cycle.period, "state": target},
        )
    return cycle


def _issue_payments(cycle: Cycle) -> int:
    """One payment per entitlement that has none yet (idempotent), with a stable end-to-end reference."""
    missing = Entitlement.objects.filter(cycle=cycle, payments__isnull=True).values_list("pk", "amount")
    now = timezone.now()
    return Inserter(Payment).insert(
        {
            "entitlement_id": pk,
            "reference": f"ENTAS-{cycle.pk}-{pk}",
            "amount": amount,
            "status": Payment.Status.SENT,
            "created_at": now,
        }
        for pk, amount in missing
    )


@service
def retry_failed(*, cycle: Cycle, actor: User, payments: Iterable[int] | None = None) -> int:
    """New payments for the failed ones, in one insert, each referencing the failure it retries (after
    the payee's account was corrected, say). Allowed while the cycle is disbursed or reconciled (not
    yet closed); the cycle then waits for the bank's results of the retries. ``payments`` (ids of
    failed payments) retries only those, e.g. the ones whose account was fixed; the rest stay failed
    and can be retried later, until the cycle is closed."""
    cycle, target = _checked(cycle, "retry", actor)
    # Nothing failed: nothing to do (a re-run is harmless), and the state stays.
    failed = Payment.objects.filter(entitlement__cycle=cycle, status=Payment.Status.FAILED, retry__isnull=True)
    if payments is not None:
        wanted = {int(pk) for pk in payments}
        if not wanted:
            raise Refused(_("Choose the failed payments to retry."), code="invalid")
        failed = failed.filter(pk__in=wanted)
    now = timezone.now()
    count = Inserter(Payment).insert(
        {
            "entitlement_id": entitlement,
            "reference": rules.retry_reference(reference),
            "amount": amount,
            "status": Payment.Status.SENT,
            "retry_of_id": pk,
            "created_at": now,
        }
        for pk, entitlement, reference, amount in failed.values_list("pk", "entitlement_id", "reference", "amount")
    )
    before = cycle.state
    if count and target != before:
        cycle.state = target
        cycle.save(update_fields=["state"])
    audit.record(
        actor=actor,
        action="cycle.retry_failed",
        obj=cycle,
        before={"state": before},
        after={"retried": count, **({"chosen": True} if payments is not None else {})},
    )
    return count


def _payments_failed(cycle: Cycle, payment_ids: list[int]) -> None:
    """Tell the listeners (the webhooks) of the payments the bank reported failed: identifiers only."""
    if not payment_ids:
        return
    rows = Payment.objects.filter(pk__in=payment_ids).values_list(
        "pk", "reference", "entitlement__household_id", "entitlement__household__kelurahan__code"
    )
    events.emit_many(
        events.Event(
            events.PAYMENT_FAILED,
            "programs.payment",
            pk,
            {"cycle": cycle.pk, "reference": reference, "household": household, "kelurahan": kelurahan},
        )
        for pk, reference, household, kelurahan in rows.iterator(chunk_size=2000)
    )


@service
def reconcile(*, cycle: Cycle, results: list[dict[str, Any]], actor: User) -> dict[str, Any]:
    """Apply the bank's results (reference, status paid|failed|pending, reason; ``files.read_results``
    reads them from a CSV or a pain.002 report), set-based: the lines are sorted out by the pure
    :func:`rules.read_bank_results` and written in one batched UPDATE. Unknown references and
    statuses are reported with their line, not ignored; a pending line leaves its payment as sent.
    When no payment is left without a result and the paid total plus the failures' total equals the
    control sum, the cycle becomes reconciled."""
    cycle, _state = _checked(cycle, "reconcile", actor)
    payments = Payment.objects.filter(entitlement__cycle=cycle)
    ids = dict(payments.values_list("reference", "pk"))
    sorted_out = rules.read_bank_results(results, set(ids))
    update_rows(
        Payment,
        ["status", "reason"],
        (
            (ids[reference], {"status": status, "reason": reason})
            for reference, (status, reason) in sorted_out.updates.items()
        ),
    )
    statuses = [status for status, _reason in sorted_out.updates.values()]
    _payments_failed(cycle, [ids[r] for r, (status, _reason) in sorted_out.updates.items() if status == "failed"])
    pending = payments.filter(status=Payment.Status.SENT).count()
    # Each entitlement's last payment only (a retried failure and its retry are two payments of one
    # entitlement; the failure must not be counted beside the paid retry).
    final = dict(payments.filter(retry__isnull=True).values_list("status").annotate(total=Sum("amount")).order_by())
    paid_sum, failed_sum = int(final.get("paid") or 0), int(final.get("failed") or 0)
    state = rules.reconciled_state(
        unsettled=pending, paid_sum=paid_sum, failed_sum=failed_sum, control_sum=cycle.control_sum
    )
    if state != cycle.state:
        cycle.state = state
        cycle.save(update_fields=["state"])
    result = {
        "paid": statuses.count("paid"),
        "failed": statuses.count("failed"),
        "unknown": sorted_out.unknown,
        "bad_status": sorted_out.bad_status,
        "not_final": sorted_out.not_final,
        "pending": pending,
        "paid_sum": paid_sum,
        "failed_sum": failed_sum,
        "control_sum": cycle.control_sum,
        "reconciled": state == rules.CycleState.RECONCILED,
    }
    audit.record(
        actor=actor,
        action="cycle.reconcile",
        obj=cycle,
        after={k: v for k, v in result.items() if k not in {"unknown", "bad_status", "not_final"}},
    )
    return result
