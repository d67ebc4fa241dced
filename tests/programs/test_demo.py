"""The demo programme (issue #16): a cycle in each interesting state, so no programme page opens empty."""

from __future__ import annotations

import pytest

from entas.accounts.models import User
from entas.programs import demo
from entas.programs.models import Cycle, Payment, Programme

pytestmark = pytest.mark.django_db


def test_the_demo_programme_has_a_cycle_in_each_state(
    programme: Programme, dinsos_manager: User, approver: User
) -> None:
    result = demo.seed(maker=dinsos_manager, checker=approver)
    states = sorted(result["cycles"].values())
    expected = ["approved", "cancelled", "closed", "disbursed", "draft", "reconciled", "to_approve"]
    assert states == expected, result
    reconciled = Cycle.objects.get(programme_id=result["programme"], state="reconciled")
    failed = Payment.objects.filter(entitlement__cycle=reconciled, status="failed")
    assert failed.exists() and set(failed.values_list("reason", flat=True)) <= set(demo.REASONS)
    assert demo.seed(maker=dinsos_manager, checker=approver)["programme"] == result["programme"]  # idempotent
