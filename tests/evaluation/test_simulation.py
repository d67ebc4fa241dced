"""Policy simulation on a synthetic city: the figures agree with entas.targeting.metrics.simulate_transfer
on the same data, a budget takes households by the ranking, the command prints the issue's fields, and a
saved scenario becomes an adjustment proposal that another person decides (maker-checker)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.evaluation import services
from entas.evaluation.simulation import Formula, select_within_budget

LINE_YEAR = 2025


def test_a_budget_takes_the_poorest_by_ranking_and_stops_at_the_first_that_does_not_fit() -> None:
    eligible = np.array([True, True, True, True, False])
    score = np.array([4.0, 1.0, 2.0, np.nan, 0.0])
    annual = np.array([100, 100, 300, 100, 100])
    chosen = select_within_budget(eligible, score=score, household_ids=np.arange(5), annual=annual, budget=450)
    # Ranked 1, 2, 0, 3: 1 (100) and 2 (300) fit; 0 would pass 450; the list stops there.
    assert chosen.tolist() == [False, True, True, False, False]
    assert (
        select_within_budget(eligible, score=score, household_ids=np.arange(5), annual=annual, budget=None).sum() == 4
    )


@pytest.mark.django_db
def test_the_figures_agree_with_simulate_transfer_on_the_same_data(city: None) -> None:
    from entas.monitoring.models import SurveyHousehold
    from entas.registry.models import Household
    from entas.targeting import services as targeting
    from entas.targeting.metrics import simulate_transfer

    result = services.simulate(expression="dtsen_desil <= 4", formula=Formula(base=300_000))
    preview = targeting.preview(expression="dtsen_desil <= 4", benefit=300_000)
    assert result["households"] == preview["selected_households"]
    assert result["people"] == preview["selected_people"]
    assert result["cost"] == preview["cost_per_month"] * 12
    chosen = np.asarray(preview["_household_ids"])[preview["_selection"].selected]
    kk = set(Household.objects.filter(pk__in=chosen.tolist()).values_list("kk_number", flat=True))
    rows = list(SurveyHousehold.objects.values_list("kk_number", "consumption_per_capita", "weight", "household_size"))
    y = np.array([r[1] for r in rows], dtype=float)
    size = np.array([r[3] for r in rows], dtype=float)
    people = np.array([r[2] for r in rows]) * size
    transfers = np.array([300_000 / r[3] if r[0] in kk else 0.0 for r in rows])
    reference = simulate_transfer(y, result["line"], transfers, weights=people)
    for key in ("p0_before", "p0_after", "p1_before", "p1_after", "p2_before", "p2_after", "gini_before", "gini_after"):
        assert result[key] == pytest.approx(getattr(reference, key), abs=1e-12), key
    assert result["gini_after"] < result["gini_before"] and result["gini_after_se"] > 0
    assert sum(result["incidence_by_desil"]) == pytest.approx(1.0)
    assert sum(row["households"] for row in result["by_kecamatan"]) == result["households"]


@pytest.mark.django_db
def test_a_budget_caps_the_annual_cost(city: None) -> None:
    free = services.simulate(expression="dtsen_desil <= 4", formula=Formula(base=300_000))
    capped = services.simulate(expression="dtsen_desil <= 4", formula=Formula(base=300_000), budget=90_000_000)
    assert capped["cost"] <= 90_000_000 < free["cost"]
    assert capped["households"] == 90_000_000 // (300_000 * 12)


@pytest.mark.django_db
def test_the_command_prints_the_scenario_and_the_status_quo(city: None, cash_programme: Any) -> None:
    out = StringIO()
    call_command("simulate", "--programme", cash_programme.name, "--base-amount", "400000", "--json", stdout=out)
    result = json.loads(out.getvalue())
    for key in (
        "households",
        "people",
        "cost",
        "p0_before",
        "p0_after",
        "p1_before",
        "p1_after",
        "p2_before",
        "p2_after",
        "gini_before",
        "gini_after",
        "exclusion_error",
        "inclusion_error",
        "by_kecamatan",
    ):
        assert key in result, key
    assert result["status_quo"]["households"] == result["households"]
    assert result["cost"] == pytest.approx(result["status_quo"]["cost"] * 4 / 3)
    assert result["behavioural_responses"] == "not modelled"
    text = StringIO()
    call_command("simulate", "--rule", "dtsen_desil <= 2", "--base-amount", "300000", stdout=text)
    assert "Behavioural responses are not modelled" in text.getvalue()


@pytest.mark.django_db
def test_a_scenario_is_promoted_to_an_adjustment_that_another_person_decides(
    city: None, cash_programme: Any, plan: Any, tkpk_analyst: User, bappeda: User, operator_manggar: User
) -> None:
    from entas.policy import services as policy
    from entas.policy.models import AdjustmentState

    result = services.simulate(programme=cash_programme, formula=Formula(base=350_000))
    with pytest.raises(Refused):
        services.save_scenario(actor=operator_manggar, title="x", result=result, specification={})
    scenario = services.save_scenario(
        actor=tkpk_analyst,
        title="BLT Rp 350.000",
        result=result,
        specification={"rule": result["rule"], "formula": result["formula"], "budget": None, "target_kelurahan": []},
        programme=cash_programme,
    )
    assert scenario.status_quo is not None and scenario.result["households"] == result["households"]
    adjustment = services.promote_scenario(
        scenario=scenario, field="base_amount", reason="The simulation halves the poverty gap.", actor=tkpk_analyst
    )
    assert adjustment.state == AdjustmentState.PROPOSED and adjustment.after == 350_000
    assert scenario.reference in adjustment.evidence
    with pytest.raises(Refused, match="already"):
        services.promote_scenario(scenario=scenario, field="base_amount", reason="again", actor=tkpk_analyst)
    with pytest.raises(Refused):
        policy.decide_adjustment(adjustment=adjustment, approve=True, actor=tkpk_analyst)
    decided = policy.decide_adjustment(adjustment=adjustment, approve=True, actor=bappeda)
    assert decided.state == AdjustmentState.APPROVED
    cash_programme.refresh_from_db()
    assert cash_programme.base_amount == 350_000


@pytest.mark.django_db
def test_a_saved_evaluation_keeps_its_specification_and_result(tkpk_analyst: User) -> None:
    from .synthetic import selection

    data = selection(31, n=400)
    lines = ["d,y,a,b"] + [f"{d},{y},{a},{b}" for d, y, (a, b) in zip(data["d"], data["y"], data["x"], strict=True)]
    evaluation = services.run_and_save(
        actor=tkpk_analyst,
        title="Pelatihan vs daftar tunggu",
        text="\n".join(lines),
        spec={"method": "psm", "treat": "d", "outcome": "y", "covariates": "a,b"},
        source="tracer.csv",
    )
    assert evaluation.result["balance"][0]["covariate"] == "a"
    assert evaluation.specification["covariates"] == ["a", "b"]
    assert evaluation.reference == f"evaluation:{evaluation.pk}"


@pytest.mark.django_db
def test_a_scenario_rule_is_saved_through_targeting_and_switched_only_when_another_person_approves(
    city: None, cash_programme: Any, plan: Any, tkpk_analyst: User, bappeda: User
) -> None:
    from entas.core.models import AuditEvent
    from entas.policy import services as policy
    from entas.policy.models import AdjustmentState
    from entas.targeting.models import EligibilityRule

    old_rule = cash_programme.rule
    result = services.simulate(programme=cash_programme, expression="dtsen_desil <= 1")
    same = services.save_scenario(
        actor=tkpk_analyst,
        title="status quo",
        result=services.simulate(programme=cash_programme),
        specification={"rule": old_rule.expression, "formula": {"base": 300_000}},
        programme=cash_programme,
    )
    with pytest.raises(Refused, match="keeps the programme's rule"):
        services.promote_scenario(scenario=same, field="rule", reason="r", actor=tkpk_analyst)
    scenario = services.save_scenario(
        actor=tkpk_analyst,
        title="Desil 1 saja",
        result=result,
        specification={"rule": result["rule"], "formula": result["formula"]},
        programme=cash_programme,
    )
    adjustment = services.promote_scenario(
        scenario=scenario, field="rule", reason="Fewer inclusion errors.", actor=tkpk_analyst
    )
    new_rule = EligibilityRule.objects.get(name=services.scenario_rule_name(scenario))
    assert new_rule.expression == "dtsen_desil <= 1" and new_rule.versions.count() == 1
    assert AuditEvent.objects.filter(action="targeting.rule_create", actor=tkpk_analyst).exists()
    assert (
        adjustment.field == "rule" and adjustment.after == new_rule.name and scenario.reference in adjustment.evidence
    )
    cash_programme.refresh_from_db()
    assert cash_programme.rule == old_rule  # nothing changes before the checker decides
    with pytest.raises(Refused):
        policy.decide_adjustment(adjustment=adjustment, approve=True, actor=tkpk_analyst)
    assert (
        policy.decide_adjustment(adjustment=adjustment, approve=True, actor=bappeda).state == AdjustmentState.APPROVED
    )
    cash_programme.refresh_from_db()
    assert cash_programme.rule == new_rule
