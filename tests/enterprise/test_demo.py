"""The demonstration's groups: every kind of group, seasons, repayments with late payers and defaults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.enterprise import demo, selectors
from entas.enterprise.models import BusinessReport, Group, Loan, Membership, Repayment
from entas.registry.models import Household
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db


def test_the_demo_builds_groups_with_two_years_of_activity(regions: Any, make_user: Callable[..., User]) -> None:
    for code, k in ((MANGGAR, 1), (DAMAI, 6)):
        for n in range(60):
            make_household(regions[code], f"64710{k}0101{k}{n:05d}", members=2)
    Household.objects.update(desil_city=2)
    officer = make_user("pelatihan", Role.TRAINING_OFFICER, ["64.71"])
    admin = make_user("admin", Role.ADMIN, ["64.71"])
    made = demo.seed(officer=officer, approver=admin, groups=12, day=dt.date(2026, 11, 30))
    assert made["groups"] == 12 and Group.objects.count() == 12
    assert {g.type for g in Group.objects.all()} >= {"kube", "umkm", "tani", "nelayan", "koperasi", "perempuan"}
    # Nobody sits in two demo groups; every group has a chair.
    assert Membership.objects.values("member").distinct().count() == Membership.objects.count()
    assert Membership.objects.filter(role="chair").count() == 12
    # Two years of reports: monthly groups have about 24, quarterly ones about 8.
    monthly = BusinessReport.objects.filter(period="month").values("group").distinct().count()
    assert monthly and BusinessReport.objects.filter(period="month").count() >= 15 * monthly
    farm = BusinessReport.objects.filter(group__type="tani").order_by("period_start")
    by_quarter = {r.period_start.month: r.revenue for r in farm if r.period_start.year == 2025}
    assert by_quarter[7] > by_quarter[1]  # the dry-season harvest
    assert Repayment.objects.exists()
    assert Loan.objects.filter(written_off_on__isnull=False).count() >= 1
    out = selectors.results_for(officer, dt.date(2026, 11, 30))[0]
    assert out.loans and out.repayment_rate is not None and 0.5 < out.repayment_rate < 1
    assert out.figures.survival_12[1] > 0
    assert demo.seed(officer=officer, approver=admin) == {}  # idempotent
