"""Cash programmes: enrolment, cycles, entitlements, disbursement and reconciliation. Every step is
one transaction with its audit event, checks the actor's role, and is safe to re-run."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.core import audit
from entas.core.bulk import Inserter
from entas.core.errors import Refused
from entas.dedup.services import households_with_open_duplicates
from entas.targeting import services as targeting

from . import rules
from .models import Cycle, Entitlement, Membership, Payment, Programme, ShockFlag

# Shown on an entitlement whose household has an unresolved possible duplicate: approval waits for it.
DUPLICATE_FLAG = gettext_lazy("possible duplicate person not yet resolved")

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household


def _require(actor: User, capability: Capability) -> None:
    if actor is None or not actor.can(capability):
        raise Refused(_("Your role does not allow this step."), code="forbidden")


def _selection(programme: Programme) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], Any]:
    """The rule's list now: household ids, selected flags, the rule arrays and the selection sources."""
    from entas.targeting.data import cached_rule_arrays
    from entas.targeting.selection import select

    rule = programme.rule
    compiled = targeting.compile_saved(rule)
    model = targeting.latest_scored_model()
    from entas.registry.models import Household

    ranking = targeting.ranking_field(model)
    households, members = cached_rule_arrays(
        Household.objects.all(),
        scope="all",
        model_id=model.pk if model else None,
        names={*compiled.fields, ranking, "in_school", "age", "disabled"},
    )
    with targeting.saved_rule_problems(rule):
        eligible = compiled.evaluate(households, members)
    if programme.shock_event:
        affected = ShockFlag.objects.filter(event=programme.shock_event).values_list("household_id", flat=True)
        eligible = eligible & np.isin(households["id"], np.fromiter(affected, dtype=np.int64))
    added, removed = targeting.rule_overrides(rule)
    score = households[ranking]
    chosen = select(
        eligible,
        household_ids=households["id"],
        score=np.asarray(score, dtype=float),
        benefit=programme.base_amount,
        added=added,
        removed=removed,
    )
    counts = {
        "children_in_school": np.bincount(
            members["household"], weights=(members["in_school"]).astype(float), minlength=households["id"].size
        ),
        "elderly": np.bincount(
            members["household"], weights=(members["age"] >= 60).astype(float), minlength=households["id"].size
        ),
        "disabled": np.bincount(
            members["household"], weights=members["disabled"].astype(float), minlength=households["id"].size
        ),
    }
    return households["id"], chosen.selected, counts, chosen


def _check_shock_window(programme: Programme) -> None:
    if programme.shock_event and programme.shock_until and timezone.localdate() > programme.shock_until:
        raise Refused(
            _("The shock mode of “%(name)s” ended on %(date)s: no enrolment or new cycle after it.")
            % {"name": programme.name, "date": programme.shock_until.isoformat()}
        )


def _held(programme: Programme, household_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The households of ``household_ids`` that enrolment must hold back, with their state and reason:
    an unresolved possible duplicate person (``duplicate``), or enrolment in a programme marked
    mutually exclusive (``not_eligible``, naming it)."""
    held: dict[int, tuple[str, str]] = {}
    for pk, name in Membership.objects.filter(
        programme__in=programme.exclusive_with.all(), state=Membership.State.ENROLLED, household_id__in=household_ids
    ).values_list("household_id", "programme__name"):
        held[pk] = (
            Membership.State.NOT_ELIGIBLE,
            str(_("enrolled in the mutually exclusive programme “%(name)s”") % {"name": name}),
        )
    for pk in households_with_open_duplicates(household_ids):
        held[pk] = (Membership.State.DUPLICATE, str(_("a possible duplicate person is not yet resolved")))
    return held


@transaction.atomic
def enrol(*, programme: Programme, actor: User) -> dict[str, int]:
    """Enrol the households the rule (with the community's decisions) selects; households enrolled before
    and no longer selected become not eligible. Idempotent.

    Selected households are still checked: one with an unresolved possible duplicate person is held as
    ``duplicate``, and one enrolled in a programme marked mutually exclusive becomes ``not_eligible``,
    each with the reason; once that is resolved, enrolling again enrols it."""
    _require(actor, Capability.MANAGE_PROGRAMMES)
    _check_shock_window(programme)
    ids, selected, _counts, chosen = _selection(programme)
    existing = dict(Membership.objects.filter(programme=programme).values_list("household_id", "state"))
    now = timezone.now()
    chosen_ids = ids[selected].tolist()
    held = _held(programme, chosen_ids)

    def state_of(pk: int) -> tuple[str, str]:
        return held.get(pk, (Membership.State.ENROLLED, ""))

    source = dict(zip(ids.tolist(), chosen.source.tolist(), strict=True))
    new = [pk for pk in chosen_ids if pk not in existing]
    rows = []
    for pk in new:
        state, reason = state_of(pk)
        rows.append(
            {
                "programme_id": programme.pk,
                "household_id": pk,
                "state": state,
                "reason": reason,
                "source": source.get(pk) or "rule",
                "changed_at": now,
            }
        )
    Inserter(Membership).insert(rows)
    # Held or dropped before and selected again: their state follows the checks now.
    revisit = [
        pk
        for pk in chosen_ids
        if existing.get(pk) in (Membership.State.DUPLICATE, Membership.State.NOT_ELIGIBLE, Membership.State.PAUSED)
    ]
    changed = 0
    for pk in revisit:
        state, reason = state_of(pk)
        if state != existing[pk]:
            Membership.objects.filter(programme=programme, household_id=pk).update(
                state=state, reason=reason, changed_at=now
            )
            changed += state == Membership.State.ENROLLED
    selected_set = set(chosen_ids)
    by_hand = set(
        Membership.objects.filter(programme=programme, source="manual").values_list("household_id", flat=True)
    )
    dropped = [
        pk
        for pk, state in existing.items()
        if pk not in selected_set and state == Membership.State.ENROLLED and pk not in by_hand
    ]
    Membership.objects.filter(programme=programme, household_id__in=dropped).update(
        state=Membership.State.NOT_ELIGIBLE, reason=_("no longer selected by the rule"), changed_at=now
    )
    now_held = Membership.objects.filter(programme=programme, household_id__in=chosen_ids)
    result = {
        "enrolled": sum(1 for r in rows if r["state"] == Membership.State.ENROLLED) + changed,
        "not_eligible": len(dropped),
        "held_duplicate": now_held.filter(state=Membership.State.DUPLICATE).count(),
        "held_exclusive": now_held.filter(state=Membership.State.NOT_ELIGIBLE).count(),
        "total_enrolled": Membership.objects.filter(programme=programme, state=Membership.State.ENROLLED).count(),
    }
    audit.record(actor=actor, action="programme.enrol", obj=programme, after=result)
    return result


@transaction.atomic
def enrol_by_hand(*, programme: Programme, household: Household, reason: str, actor: User) -> Membership:
    """Enrol one household the rule does not select, with the reason (e.g. a social worker's
    assessment); it stays enrolled at every cycle until exited. Still checked for duplicates and
    mutually exclusive programmes."""
    _require(actor, Capability.MANAGE_PROGRAMMES)
    _check_shock_window(programme)
    if not reason.strip():
        raise Refused(_("Give the reason for enrolling this household by hand."))
    state, why = _held(programme, [household.pk]).get(household.pk, (Membership.State.ENROLLED, ""))
    membership, _created = Membership.objects.update_or_create(
        programme=programme,
        household=household,
        defaults={
            "state": state,
            "reason": why or reason.strip()[:300],
            "source": "manual",
            "changed_at": timezone.now(),
        },
    )
    audit.record(
        actor=actor,
        action="programme.enrol_by_hand",
        obj=membership,
        after={"kk": household.kk_number, "state": state, "reason": reason.strip()},
    )
    return membership


@transaction.atomic
def exit_household(*, programme: Programme, household: Household, reason: str, actor: User) -> Membership:
    """Take a household out of a programme for good, with the reason (moved away, died, graduated…)."""
    _require(actor, Capability.MANAGE_PROGRAMMES)
    if not reason.strip():
        raise Refused(_("Give the reason for the exit."))
    membership = Membership.objects.filter(programme=programme, household=household).first()
    if membership is None:
        raise Refused(_("KK %(kk)s is not in this programme.") % {"kk": household.kk_number})
    before = membership.state
    membership.state, membership.reason, membership.changed_at = (
        Membership.State.EXITED,
        reason.strip()[:300],
        timezone.now(),
    )
    membership.save(update_fields=["state", "reason", "changed_at"])
    audit.record(
        actor=actor,
        action="programme.exit",
        obj=membership,
        before={"state": before},
        after={"reason": membership.reason},
    )
    return membership


@transaction.atomic
def flag_affected(*, household: Household, event: str, kind: str, note: str = "", actor: User | None) -> ShockFlag:
    """Report a household as affected by a shock event (a kelurahan operator, in their own area)."""
    from entas.accounts.scoping import can_act_in

    if actor is not None and not (actor.can(Capability.CHANGE_REGISTRY) and can_act_in(actor, household.kelurahan)):
        raise Refused(_("You may only report households of your own areas."))
    event = event.strip()
    if not event:
        raise Refused(_("Name the event (for example “Banjir Januari 2027”)."))
    if kind not in ShockFlag.Kind.values:
        raise Refused(
            _("Unknown kind %(kind)r: use %(kinds)s.") % {"kind": kind, "kinds": ", ".join(ShockFlag.Kind.values)}
        )
    flag, created = ShockFlag.objects.update_or_create(
        household=household, event=event, defaults={"kind": kind, "note": note.strip()[:300], "reported_by": actor}
    )
    audit.record(
        actor=actor,
        action="programme.flag_affected",
        obj=flag,
        after={"kk": household.kk_number, "event": event, "kind": kind, "created": created},
    )
    return flag


@transaction.atomic
def create_cycle(*, programme: Programme, period: str, actor: User) -> Cycle:
    """A new draft cycle for ``period`` (``YYYY-MM``), within the programme's period; one per period
    (two cycles of one month would pay twice) and no more than the programme's tranches."""
    _require(actor, Capability.MANAGE_PROGRAMMES)
    _check_shock_window(programme)
    period = period.strip()
    if not re.fullmatch(rules.PERIOD, period):
        raise Refused(_("Write the period as YYYY-MM, e.g. 2026-12 (not %(p)r).") % {"p": period})
    if not f"{programme.start:%Y-%m}" <= period <= f"{programme.end:%Y-%m}":
        raise Refused(
            _("%(p)s lies outside the programme's period (%(start)s to %(end)s).")
            % {"p": period, "start": f"{programme.start:%Y-%m}", "end": f"{programme.end:%Y-%m}"}
        )
    live = programme.cycles.exclude(state=Cycle.State.CANCELLED)
    if live.filter(period=period).exists():
        raise Refused(_("The programme already has a cycle for %(p)s.") % {"p": period})
    if programme.tranches is not None and live.count() >= programme.tranches:
        raise Refused(
            _("The programme pays in %(n)d tranches and all of them have a cycle.") % {"n": programme.tranches}
        )
    number = (programme.cycles.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    cycle = Cycle.objects.create(programme=programme, number=number, period=period)
    audit.record(actor=actor, action="cycle.create", obj=cycle, after={"period": period})
    return cycle


def _locked_cycle(cycle: Cycle) -> Cycle:
    locked = Cycle.objects.select_for_update().select_related("programme").get(pk=cycle.pk)
    if locked.locked:
        raise Refused(_("A job is working on this cycle; try again when it has finished."))
    return locked


def budget_remaining(programme: Programme, *, excluding: Cycle | None = None) -> int:
    used = programme.cycles.exclude(state=Cycle.State.CANCELLED)
    if excluding is not None:
        used = used.exclude(pk=excluding.pk)
    return int(programme.budget_ceiling - (used.aggregate(s=Sum("control_sum"))["s"] or 0))


@transaction.atomic
def prepare(*, cycle: Cycle, actor: User) -> dict[str, Any]:
    """Compute every entitlement of a draft cycle in one set-based pass. Enrolled households that no
    longer meet the rule are paused (with the reason); households also enrolled in a programme marked
    mutually exclusive are flagged. Re-running replaces the draft's entitlements: never two per household."""
    _require(actor, Capability.MANAGE_PROGRAMMES)
    cycle = _locked_cycle(cycle)
    if cycle.state != Cycle.State.DRAFT:
        raise Refused(
            _("Only a draft cycle can be prepared (this one is %(state)s).") % {"state": cycle.get_state_display()}
        )
    programme = cycle.programme
    ids, selected, counts, _chosen = _selection(programme)
    enrolled = dict(
        Membership.objects.filter(programme=programme, state=Membership.State.ENROLLED).values_list(
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
    Membership.objects.filter(programme=programme, household_id__in=paused_ids).update(
        state=Membership.State.PAUSED,
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
        Membership.objects.filter(
            programme__in=programme.exclusive_with.all(), state=Membership.State.ENROLLED
        ).values_list("household_id", flat=True)
    )
    payable_ids = ids[payable].tolist()
    duplicates = households_with_open_duplicates(payable_ids)
    Entitlement.objects.filter(cycle=cycle).delete()
    rows = [
        {
            "cycle_id": cycle.pk,
            "household_id": pk,
            "amount": int(a),
            "flags": "; ".join(
                str(flag)
                for flag, on in (
                    (_("also enrolled in a mutually exclusive programme"), pk in exclusive),
                    (DUPLICATE_FLAG, pk in duplicates),
                )
                if on
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


# The steps of a cycle a person takes, in the order of its life (reconciliation takes a bank file).
STEPS = ("prepare", "submit", "approve", "disburse", "retry", "close", "cancel")


def run_step(*, cycle: Cycle, step: str, actor: User) -> dict[str, Any]:
    """One of :data:`STEPS` — the same for the pages, the API and the command line: the step's own
    result (prepare's counts, retry's number) with the cycle's state and envelope after it."""
    if step == "prepare":
        result: dict[str, Any] = prepare(cycle=cycle, actor=actor)
    elif step == "retry":
        result = {"retried": retry_failed(cycle=cycle, actor=actor)}
    elif step in STEPS:
        transition(cycle=cycle, action=step, actor=actor)
        result = {}
    else:
        raise Refused(_("Unknown step %(step)r.") % {"step": step})
    cycle.refresh_from_db()
    return {
        **result,
        "cycle": cycle.pk,
        "state": cycle.state,
        "control_count": cycle.control_count,
        "control_sum": cycle.control_sum,
    }


@transaction.atomic
def transition(*, cycle: Cycle, action: str, actor: User) -> Cycle:
    """submit, approve, disburse, close or cancel a cycle, with the checks each step needs."""
    cycle = _locked_cycle(cycle)
    target = rules.next_state(cycle.state, action)
    if target is None:
        raise Refused(
            _("A %(state)s cycle cannot be %(action)s.") % {"state": cycle.get_state_display(), "action": action}
        )
    before = cycle.state
    if action == "approve":
        _require(actor, Capability.APPROVE_PROGRAMMES)
        if cycle.prepared_by_id == actor.pk:
            raise Refused(_("A second person must approve: you prepared this cycle."))
        if cycle.control_sum > budget_remaining(cycle.programme, excluding=cycle):
            raise Refused(
                _("The cycle's total Rp%(total)s exceeds the remaining budget Rp%(left)s.")
                % {"total": f"{cycle.control_sum:,}", "left": f"{budget_remaining(cycle.programme, excluding=cycle):,}"}
            )
        held = households_with_open_duplicates(cycle.entitlements.values_list("household_id", flat=True))
        if held:
            raise Refused(
                _(
                    "%(n)d households in this cycle have a possible duplicate person nobody has resolved: decide "
                    "them in the duplicate review queue (and merge where they are the same person), then prepare "
                    "the cycle again."
                )
                % {"n": len(held)}
            )
        cycle.approved_by, cycle.approved_at = actor, timezone.now()
    else:
        _require(actor, Capability.MANAGE_PROGRAMMES)
    if action == "submit" and cycle.control_count == 0:
        raise Refused(_("Prepare the cycle first: it has no entitlements."))
    if action == "disburse":
        _issue_payments(cycle)
    if action == "close":
        open_payments = Payment.objects.filter(entitlement__cycle=cycle, status=Payment.Status.SENT).count()
        if open_payments:
            raise Refused(_("%(n)d payments have no result yet: reconcile them first.") % {"n": open_payments})
    cycle.state = target
    cycle.save()
    audit.record(actor=actor, action=f"cycle.{action}", obj=cycle, before={"state": before}, after={"state": target})
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


@transaction.atomic
def retry_failed(*, cycle: Cycle, actor: User) -> int:
    """New payments for the failed ones, each referencing the failure it retries."""
    _require(actor, Capability.MANAGE_PROGRAMMES)
    cycle = _locked_cycle(cycle)
    if cycle.state != Cycle.State.DISBURSED:
        raise Refused(_("Failed payments are retried while the cycle is disbursed."))
    failed = Payment.objects.filter(entitlement__cycle=cycle, status=Payment.Status.FAILED, retry__isnull=True)
    count = 0
    for payment in failed:
        Payment.objects.create(
            entitlement=payment.entitlement,
            reference=f"{payment.reference}-R{count + 1}"[:35],
            amount=payment.amount,
            retry_of=payment,
        )
        count += 1
    audit.record(actor=actor, action="cycle.retry_failed", obj=cycle, after={"retried": count})
    return count


@transaction.atomic
def reconcile(*, cycle: Cycle, results: list[dict[str, Any]], actor: User) -> dict[str, Any]:
    """Apply the bank's results (reference, status paid|failed|pending, reason; ``files.read_results``
    reads them from a CSV or a pain.002 report). Unknown references and statuses are reported with their
    line, not ignored; a pending line leaves its payment as sent. When no payment is left without a
    result and the paid total plus the failures' total equals the control sum, the cycle becomes
    reconciled."""
    _require(actor, Capability.MANAGE_PROGRAMMES)
    cycle = _locked_cycle(cycle)
    if cycle.state != Cycle.State.DISBURSED:
        raise Refused(_("Only a disbursed cycle can be reconciled."))
    payments = {p.reference: p for p in Payment.objects.filter(entitlement__cycle=cycle)}
    unknown, bad_status, not_final, paid, failed = [], [], [], 0, 0
    for position, row in enumerate(results, start=2):
        line = row.get("line", position)
        payment = payments.get((row.get("reference") or "").strip())
        status = (row.get("status") or "").strip().lower()
        if payment is None:
            unknown.append({"line": line, "reference": row.get("reference", "")})
            continue
        if status == "pending":
            not_final.append({"line": line, "reference": payment.reference, "status": row.get("reason", "")})
            continue
        if status not in {"paid", "failed"}:
            bad_status.append({"line": line, "status": status})
            continue
        payment.status = status
        payment.reason = (row.get("reason") or "")[:200]
        payment.save(update_fields=["status", "reason"])
        paid += status == "paid"
        failed += status == "failed"
    pending = Payment.objects.filter(entitlement__cycle=cycle, status=Payment.Status.SENT).count()
    final = {p.entitlement_id: p for p in Payment.objects.filter(entitlement__cycle=cycle).order_by("pk")}
    paid_sum = sum(p.amount for p in final.values() if p.status == Payment.Status.PAID)
    failed_sum = sum(p.amount for p in final.values() if p.status == Payment.Status.FAILED)
    reconciled = pending == 0 and paid_sum + failed_sum == cycle.control_sum
    if reconciled:
        cycle.state = Cycle.State.RECONCILED
        cycle.save(update_fields=["state"])
    result = {
        "paid": paid,
        "failed": failed,
        "unknown": unknown,
        "bad_status": bad_status,
        "not_final": not_final,
        "pending": pending,
        "paid_sum": paid_sum,
        "failed_sum": failed_sum,
        "control_sum": cycle.control_sum,
        "reconciled": reconciled,
    }
    audit.record(
        actor=actor,
        action="cycle.reconcile",
        obj=cycle,
        after={k: v for k, v in result.items() if k not in {"unknown", "bad_status", "not_final"}},
    )
    return result
