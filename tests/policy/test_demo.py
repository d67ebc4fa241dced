"""The demo's register: the example plan, the users' OPDs, two years of realisation, adjustments."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from entas.accounts.models import User
from entas.policy import demo, selectors
from entas.policy.models import Adjustment, BudgetMonth, Plan

pytestmark = pytest.mark.django_db


def test_the_demo_opens_on_a_populated_register_and_a_second_run_changes_nothing(regions: object) -> None:
    call_command("seed_demo", "--json", "--force", stdout=StringIO())  # no households: no cash programme to register
    plan = Plan.objects.get()
    assert plan.status == "adopted" and plan.strategies.count() == 4
    assert User.objects.get(username="pelatihan").opd.code == "DISNAKER"  # type: ignore[union-attr]
    realised = BudgetMonth.objects.filter(realised__gt=0)
    months = set(realised.values_list("month", flat=True))
    assert len(months) == min(demo.MONTHS, 12 * (dt.date.today().year - 2025) + dt.date.today().month - 1)
    assert realised.aggregate(s=Sum("realised"))["s"] <= realised.aggregate(s=Sum("pagu"))["s"]
    assert Adjustment.objects.filter(state="approved").count() == 1
    assert Adjustment.objects.filter(state="proposed").count() == 1
    tkpk = User.objects.get(username="tkpk")
    reg = selectors.register(tkpk, plan)
    assert reg.money.realised > 0 and len(reg.programmes()) == 11
    before = list(BudgetMonth.objects.order_by("pk").values_list("realised", flat=True))
    result = demo.seed(editor=tkpk, checker=User.objects.get(username="bappeda"))
    assert result["outcome"] == "unchanged" and result["inserted"] == result["updated"] == 0
    assert list(BudgetMonth.objects.order_by("pk").values_list("realised", flat=True)) == before


def test_the_demo_registers_its_cash_programme_with_a_pagu_over_its_period(
    regions: object, tkpk_analyst: User, make_user: object
) -> None:
    from entas.programs.models import Programme
    from entas.targeting import services as targeting
    from tests.helpers import make_programme

    rule = targeting.save_rule(actor=None, name="Demo", expression="dtsen_desil <= 2", benefit=300_000)
    cash = make_programme(rule, name=demo.CASH_DEMO, start=dt.date(2026, 8, 1), end=dt.date(2027, 6, 30))
    checker = make_user("bappeda", "tkpk_analyst", ["64.71"])  # type: ignore[operator]
    demo.seed(editor=tkpk_analyst, checker=checker, today=dt.date(2026, 11, 30))
    record = Programme.objects.get(pk=cash.pk).policy
    months = BudgetMonth.objects.filter(activity__record=record)
    spec = demo.planfile.parse_plan(demo.EXAMPLE.read_bytes())
    blt = next(p for p in spec.programmes() if p.kind == "cash")
    assert months.aggregate(s=Sum("pagu"))["s"] == sum(v for a in blt.activities for v in a.pagu.values())
    assert set(months.values_list("month", flat=True)) == {dt.date(2026, m, 1) for m in range(8, 13)} | {
        dt.date(2027, m, 1) for m in range(1, 7)
    }


def test_the_demo_records_benefits_of_other_kinds_for_the_citys_families(
    regions: object, tkpk_analyst: User, make_user: object, damai_household: object, manggar_household: object
) -> None:
    from entas.policy.models import Benefit
    from tests.policy.conftest import example_spec  # noqa: F401  (the plan's programmes)

    checker = make_user("bappeda", "tkpk_analyst", ["64.71"])  # type: ignore[operator]
    result = demo.seed(editor=tkpk_analyst, checker=checker, today=dt.date(2026, 11, 30))
    assert result["benefits"] == Benefit.objects.count() > 0
    assert set(Benefit.objects.values_list("household_id", flat=True)) == {damai_household.pk, manggar_household.pk}  # type: ignore[attr-defined]
    assert not Benefit.objects.filter(programme__kind="cash").exists()
    assert demo.seed(editor=tkpk_analyst, checker=checker, today=dt.date(2026, 11, 30))["benefits"] == 0
