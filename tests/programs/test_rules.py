"""The pure rules of a payment cycle: every check of every step, without a database."""

from __future__ import annotations

import numpy as np
import pytest

from entas.core.errors import Refused
from entas.programs import rules
from entas.programs.rules import Actor, CycleFacts, decide

MAKER = Actor(id=1, can_manage=True, can_approve=True)
CHECKER = Actor(id=2, can_manage=True, can_approve=True)
AUDITOR = Actor(id=3, can_manage=False, can_approve=False)
ready = CycleFacts(state="to_approve", prepared_by=1, entitlements=10, total=1_000, budget_remaining=5_000)


def refusal(result: str | Refused) -> Refused:
    assert isinstance(result, Refused), f"expected a refusal, got {result!r}"
    return result


def test_a_second_person_approves() -> None:
    assert decide(ready, "approve", CHECKER) == "approved"
    assert refusal(decide(ready, "approve", MAKER)).code == "forbidden"


def test_roles_are_checked_before_anything_else() -> None:
    for action in rules.TRANSITIONS:
        assert refusal(decide(ready, action, AUDITOR)).code == "forbidden"


def test_approval_needs_the_budget_and_no_open_duplicate() -> None:
    over = CycleFacts(**{**ready.__dict__, "total": 6_000})
    assert "exceeds the remaining budget" in refusal(decide(over, "approve", CHECKER)).message
    held = CycleFacts(**{**ready.__dict__, "open_duplicates": 3})
    assert "3 households" in refusal(decide(held, "approve", CHECKER)).message


def test_a_running_job_holds_every_step() -> None:
    busy = CycleFacts(**{**ready.__dict__, "held_by_job": 7})
    result = refusal(decide(busy, "approve", CHECKER))
    assert result.code == "busy" and "#7" in result.message


@pytest.mark.parametrize(
    ("state", "action"), [("draft", "approve"), ("closed", "retry"), ("approved", "cancel"), ("cancelled", "submit")]
)
def test_steps_out_of_order_are_refused(state: str, action: str) -> None:
    assert refusal(decide(CycleFacts(state=state, entitlements=1), action, CHECKER)).code == "conflict"


def test_submitting_needs_entitlements_and_closing_needs_every_result() -> None:
    assert "Prepare the cycle first" in refusal(decide(CycleFacts(state="draft"), "submit", MAKER)).message
    waiting = CycleFacts(state="reconciled", unsettled_payments=2)
    assert "2 payments have no result" in refusal(decide(waiting, "close", MAKER)).message
    assert decide(CycleFacts(state="reconciled"), "close", MAKER) == "closed"


def test_failed_payments_are_retried_until_the_cycle_is_closed() -> None:
    assert decide(CycleFacts(state="reconciled"), "retry", MAKER) == "disbursed"
    assert decide(CycleFacts(state="disbursed"), "retry", MAKER) == "disbursed"


def test_a_cycle_is_reconciled_when_every_payment_has_a_result_and_the_sums_add_up() -> None:
    assert rules.reconciled_state(unsettled=0, paid_sum=700, failed_sum=300, control_sum=1_000) == "reconciled"
    assert rules.reconciled_state(unsettled=1, paid_sum=700, failed_sum=300, control_sum=1_000) == "disbursed"
    assert rules.reconciled_state(unsettled=0, paid_sum=700, failed_sum=200, control_sum=1_000) == "disbursed"


def test_the_bank_lines_are_sorted_out_and_nothing_is_ignored() -> None:
    lines = [
        {"reference": "A", "status": "paid"},
        {"reference": "B", "status": "FAILED", "reason": "rekening ditutup"},
        {"reference": "C", "status": "pending"},
        {"reference": "Z", "status": "paid", "line": 9},
        {"reference": "A", "status": "bounced"},
    ]
    out = rules.read_bank_results(lines, {"A", "B", "C"})
    assert out.updates == {"A": ("paid", ""), "B": ("failed", "rekening ditutup")}
    assert out.unknown == [{"line": 9, "reference": "Z"}]
    assert out.not_final == [{"line": 4, "reference": "C", "status": ""}]
    assert out.bad_status == [{"line": 6, "status": "bounced"}]


def test_a_retry_reference_counts_the_attempts() -> None:
    assert rules.retry_reference("ENTAS-1-5") == "ENTAS-1-5-R1"
    assert rules.retry_reference("ENTAS-1-5-R1") == "ENTAS-1-5-R2"


def test_the_entitlement_formula() -> None:
    amounts = rules.entitlements(
        base=300_000,
        per_child_in_school=50_000,
        per_elderly=50_000,
        per_disabled=100_000,
        cap=500_000,
        months=2,
        children_in_school=np.array([0, 1, 5]),
        elderly=np.array([0, 1, 0]),
        disabled=np.array([0, 0, 1]),
    )
    assert amounts.tolist() == [600_000, 800_000, 1_000_000]
    assert amounts.dtype == np.int64


@pytest.mark.parametrize(
    ("state", "action", "allowed"),
    [
        ("draft", "submit", "to_approve"),
        ("to_approve", "approve", "approved"),
        ("approved", "disburse", "disbursed"),
        ("disbursed", "reconcile", "disbursed"),  # then reconciled_state says whether it is done
        ("reconciled", "retry", "disbursed"),
        ("reconciled", "close", "closed"),
        ("draft", "cancel", "cancelled"),
        ("to_approve", "cancel", "cancelled"),
        ("approved", "cancel", None),
        ("draft", "approve", None),
        ("disbursed", "submit", None),
        ("closed", "submit", None),
        ("cancelled", "submit", None),
    ],
)
def test_every_transition(state: str, action: str, allowed: str | None) -> None:
    assert rules.next_state(state, action) == allowed


def test_an_account_number_is_shown_masked() -> None:
    from entas.programs.selectors import mask_account

    assert (mask_account("0012345678"), mask_account(" 123 "), mask_account("")) == ("••••••5678", "•••", "")


def test_the_cycles_a_programme_plans() -> None:
    import datetime as dt

    from entas.programs.models import Programme
    from entas.programs.services import cycles_planned

    monthly = Programme(start=dt.date(2027, 1, 1), end=dt.date(2027, 6, 30))
    assert (cycles_planned(monthly), cycles_planned(Programme(start=monthly.start, end=monthly.end, tranches=3))) == (
        6,
        3,
    )
