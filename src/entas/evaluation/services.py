"""Writes of impact evaluation and policy simulation (each audited), and the simulation's reading of
the registry and the survey."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import audit
from entas.core.errors import Refused
from entas.core.services import service

from . import runs
from .models import Evaluation, Scenario
from .simulation import Formula, Sample, figures, select_within_budget

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.policy.models import Adjustment
    from entas.programs.models import Programme


def _require_analyst(actor: User) -> None:
    if not actor.can(Capability.EDIT_POLICY):
        raise Refused(_("Only an analyst may run evaluations and simulations."), code="forbidden")


@service
def save_evaluation(
    *,
    actor: User,
    title: str,
    spec: dict[str, Any],
    result: dict[str, Any],
    source: str,
    snapshot_date: dt.date | None = None,
) -> Evaluation:
    """Keep an evaluation's specification, data and result (as :func:`runs.run` returned it)."""
    _require_analyst(actor)
    if not title.strip():
        raise Refused(_("Give the evaluation a title."), code="invalid")
    evaluation = Evaluation.objects.create(
        title=title.strip()[:200],
        method=spec["method"],
        specification=spec,
        source=source[:300],
        snapshot_date=snapshot_date or timezone.localdate(),
        result=result,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="evaluation.save",
        obj=evaluation,
        after={"method": spec["method"], "effect": result.get("effect"), "se": result.get("se")},
    )
    return evaluation


def run_and_save(*, actor: User, title: str, text: str, spec: dict[str, Any], source: str) -> Evaluation:
    """Run an evaluation on a CSV text and keep it (the estimate first: a refused run saves nothing)."""
    _require_analyst(actor)
    result = runs.run(runs.read_csv(text), spec)
    return save_evaluation(actor=actor, title=title, spec=runs.check(spec), result=result, source=source)


# -- simulation -----------------------------------------------------------------------------------


def _survey(year: int | None) -> Any:
    from entas.monitoring.models import SurveyRound

    qs = SurveyRound.objects.order_by("-year", "-imported_at")
    survey = (qs.filter(year=year) if year else qs).first()
    if survey is None:
        raise Refused(
            _("No survey round of %(year)s is loaded.") % {"year": year}
            if year
            else _("No survey round is loaded to simulate on."),
            code="invalid",
        )
    return survey


def _line(year: int) -> int:
    from entas.monitoring import selectors

    line = selectors.poverty_line("national", year) or selectors.poverty_line("national")
    if line is None:
        raise Refused(_("No poverty line is configured: load the poverty lines first."), code="invalid")
    return int(line.rupiah_per_capita_month)


def _kecamatan(codes: np.ndarray) -> np.ndarray:
    return np.array([c.rsplit(".", 1)[0] for c in np.asarray(codes).astype(str).tolist()], dtype=object).astype(str)


def simulate(
    *,
    expression: str | None = None,
    formula: Formula | None = None,
    programme: Programme | None = None,
    budget: int | None = None,
    target_kelurahan: list[str] | None = None,
    survey_year: int | None = None,
) -> dict[str, Any]:
    """A scenario's figures and, when it changes a programme, the programme's as it is (the status
    quo): the rule is evaluated on the registry (with the programme's community decisions when it is
    the programme's own rule), households outside ``target_kelurahan`` are left out, the budget (Rp a
    year) takes households by the programme's ranking, and the transfers are added to the consumption
    of the sampled households found in the registry by KK number."""
    from entas.monitoring.models import SurveyHousehold
    from entas.registry.models import Household
    from entas.targeting import services as targeting
    from entas.targeting.data import SCORE_NAMES, cached_rule_arrays
    from entas.targeting.rules import RuleError, compile_rule

    if programme is not None:
        if programme.rule is None:
            raise Refused(_("%(name)s has no eligibility rule.") % {"name": programme.name}, code="invalid")
        base = Formula(
            base=programme.base_amount,
            per_child_in_school=programme.per_child_in_school,
            per_elderly=programme.per_elderly,
            per_disabled=programme.per_disabled,
            cap=programme.cap,
        )
        own_rule = programme.rule.expression
        expression = expression or own_rule
        formula = formula or base
    if not expression or formula is None:
        raise Refused(_("Name a programme, or give a rule and a base amount."), code="invalid")
    try:
        compiled = compile_rule(expression)
    except RuleError as exc:
        raise Refused(_("The rule cannot be read: %(reason)s") % {"reason": exc.message}, code="invalid") from exc
    model = targeting.latest_scored_model()
    if model is None and compiled.fields & SCORE_NAMES:
        raise Refused(_("The rule reads PMT scores, and no model has scored the registry."), code="invalid")
    ranking = targeting.ranking_field(model)
    names = {*compiled.fields, ranking, "in_school", "age", "disabled"}
    status_compiled = None
    if programme is not None and programme.rule is not None:
        status_compiled = targeting.compile_saved(programme.rule)
        names |= status_compiled.fields
    households, members = cached_rule_arrays(
        Household.objects.all(), scope="all", model_id=model.pk if model else None, names=names
    )
    n = households["id"].size

    def per_household(values: np.ndarray) -> np.ndarray:
        return np.bincount(members["household"], weights=values.astype(float), minlength=n)

    counts = {
        "children_in_school": per_household(members["in_school"]),
        "elderly": per_household(members["age"] >= 60),
        "disabled": per_household(members["disabled"]),
    }
    kelurahan = np.asarray(households["kelurahan"]).astype(str)
    kecamatan = _kecamatan(kelurahan)
    score = np.asarray(households[ranking], dtype=float)
    size = np.asarray(households["size"])

    survey = _survey(survey_year)
    rows = list(
        SurveyHousehold.objects.filter(survey=survey).values_list(
            "kk_number", "consumption_per_capita", "weight", "household_size", "stratum", "psu", "kelurahan__code"
        )
    )
    if len(rows) < 2:
        raise Refused(_("The survey %(survey)s has too few households.") % {"survey": survey}, code="invalid")
    kk, consumption, weight, hh_size, stratum, psu, kel = (np.asarray(c) for c in zip(*rows, strict=True))
    position = {hid: i for i, hid in enumerate(households["id"].tolist())}
    pk_of = dict(Household.objects.filter(kk_number__in=kk.tolist()).values_list("kk_number", "pk"))
    sample = Sample(
        registry_index=np.array([position.get(pk_of.get(k, -1), -1) for k in kk.tolist()], dtype=np.int64),
        consumption=consumption.astype(float),
        weight=weight.astype(float),
        size=np.maximum(hh_size.astype(float), 1),
        strata=stratum.astype(str),
        psu=psu.astype(str),
        kecamatan=_kecamatan(kel),
    )
    line = _line(survey.year)

    def run(
        rule: Any, formula_: Formula, budget_: int | None, targets: list[str] | None, overrides: bool
    ) -> dict[str, Any]:
        eligible = rule.evaluate(households, members) if n else np.zeros(0, dtype=bool)
        if overrides and programme is not None and programme.rule is not None:
            added, removed = targeting.rule_overrides(programme.rule)
            ids = households["id"]
            eligible = (eligible | np.isin(ids, list(added))) & ~np.isin(ids, list(removed))
        if targets:
            eligible = eligible & np.isin(kelurahan, targets)
        monthly = formula_.monthly(counts)
        selected = select_within_budget(
            eligible, score=score, household_ids=households["id"], annual=monthly * 12, budget=budget_
        )
        out = figures(
            selected=selected,
            monthly=monthly,
            registry_size=size,
            registry_kecamatan=kecamatan,
            sample=sample,
            line=line,
        )
        out["eligible_households"] = int(eligible.sum())
        return out

    own = programme is not None and expression.strip() == (programme.rule.expression.strip() if programme.rule else "")
    result = run(compiled, formula, budget, target_kelurahan, own)
    result.update(
        rule=expression,
        formula=asdict(formula),
        budget=budget,
        target_kelurahan=target_kelurahan or [],
        survey=str(survey),
        survey_year=survey.year,
        line=line,
        model_version=model.version if model else None,
        behavioural_responses="not modelled",
    )
    if programme is not None and status_compiled is not None:
        assert base is not None
        result["programme"] = programme.name
        result["status_quo"] = run(status_compiled, base, None, None, True)
    return result


@service
def save_scenario(
    *,
    actor: User,
    title: str,
    result: dict[str, Any],
    specification: dict[str, Any],
    programme: Programme | None = None,
) -> Scenario:
    """Keep a simulated scenario with its figures and the status quo's."""
    _require_analyst(actor)
    if not title.strip():
        raise Refused(_("Give the scenario a title."), code="invalid")
    status_quo = result.get("status_quo")
    scenario = Scenario.objects.create(
        title=title.strip()[:200],
        programme=programme,
        specification=specification,
        result={k: v for k, v in result.items() if k != "status_quo"},
        status_quo=status_quo,
        survey=str(result.get("survey", ""))[:200],
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="evaluation.scenario_save",
        obj=scenario,
        after={
            "households": result.get("households"),
            "cost": result.get("cost"),
            "programme": getattr(programme, "name", ""),
        },
    )
    return scenario


PROMOTABLE = ("rule", "base_amount", "target_kelurahan", "target_beneficiaries")


def changed_field(scenario: Scenario) -> str:
    """What a scenario changes of its programme, for its promotion when none is named: the rule, else the
    base amount, else the target kelurahan, else (a budget) the number of beneficiaries."""
    spec = scenario.specification
    programme = scenario.programme
    if programme is None:
        raise Refused(_("Only a scenario of a programme can be proposed as its adjustment."), code="invalid")
    own_rule = programme.rule.expression.strip() if programme.rule else ""
    if str(spec.get("rule") or "").strip() not in ("", own_rule):
        return "rule"
    base = (spec.get("formula") or {}).get("base")
    if base is not None and int(base) != int(programme.base_amount or 0):
        return "base_amount"
    if spec.get("target_kelurahan"):
        return "target_kelurahan"
    return "target_beneficiaries"


def scenario_rule_name(scenario: Scenario) -> str:
    """The name of the eligibility rule a scenario's rule is saved under when it is proposed."""
    return f"{scenario.programme.name[:90] if scenario.programme else ''} (skenario {scenario.pk})".strip()


def _rule_for_promotion(scenario: Scenario, actor: User) -> str:
    """Save the scenario's rule as an eligibility rule of its own (targeting's service: compiled, versioned,
    audited; no programme uses it yet) and return its name, for an adjustment that switches the
    programme to it once another person approves."""
    from entas.targeting import services as targeting

    expression = str(scenario.specification.get("rule") or "").strip()
    programme = scenario.programme
    assert programme is not None
    current = programme.rule.expression.strip() if programme.rule else ""
    if not expression or expression == current:
        raise Refused(_("The scenario keeps the programme's rule: there is no rule to propose."), code="invalid")
    formula = scenario.specification.get("formula") or {}
    rule = targeting.save_rule(
        actor=actor,
        name=scenario_rule_name(scenario),
        expression=expression,
        benefit=int(formula.get("base") or programme.base_amount or 0),
        note=f"{scenario.reference}: {scenario.title}"[:200],
    )
    return rule.name


@service
def promote_scenario(*, scenario: Scenario, field: str, reason: str, actor: User) -> Adjustment:
    """Propose the scenario's change as an adjustment of its programme in the policy register, citing
    the scenario as evidence. Another person decides it (maker-checker, entas.policy)."""
    from entas.policy import services as policy
    from entas.policy.models import ProgrammeRecord

    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    if scenario.adjustment_id is not None:
        raise Refused(_("This scenario was already proposed as an adjustment."), code="conflict")
    if scenario.programme_id is None:
        raise Refused(_("Only a scenario of a programme can be proposed as its adjustment."), code="invalid")
    record = ProgrammeRecord.objects.filter(programme_id=scenario.programme_id).first()
    if record is None:
        raise Refused(_("The programme is not in the policy register."), code="invalid")
    if field not in PROMOTABLE:
        raise Refused(_("A scenario proposes one of: %(fields)s.") % {"fields": ", ".join(PROMOTABLE)}, code="invalid")
    spec = scenario.specification
    if field == "rule":
        value = _rule_for_promotion(scenario, actor)
    elif field == "base_amount":
        value = str(spec.get("formula", {}).get("base", ""))
    elif field == "target_kelurahan":
        if not spec.get("target_kelurahan"):
            raise Refused(_("The scenario does not name target kelurahan."), code="invalid")
        value = ",".join(spec["target_kelurahan"])
    else:
        value = str(scenario.result.get("households", 0))
    adjustment = policy.propose_adjustment(
        record=record,
        field=field,
        value=value,
        reason=reason,
        actor=actor,
        evidence=[scenario.reference, f"/evaluation/scenarios/{scenario.pk}/"],
    )
    scenario.adjustment = adjustment
    scenario.save(update_fields=["adjustment"])
    audit.record(actor=actor, action="evaluation.scenario_promote", obj=scenario, after={"adjustment": adjustment.pk})
    return adjustment


# -- evaluations over the system's own data (entas.evaluation.datasets) --------------------------------


def run_from_system(*, actor: User, title: str, spec: dict[str, Any], progress: Any = None) -> Evaluation:
    """Build the data set of ``spec`` from the registry and the programmes (``programme``: its id; none
    for a campaign follow-up, whose attending households are then the treated),
    run ``spec["method"]`` on it and keep the result with the data set's description."""
    from entas.programs.models import Programme

    from . import datasets

    _require_analyst(actor)
    if not title.strip():
        raise Refused(_("Give the evaluation a title."), code="invalid")
    programme = Programme.objects.filter(pk=int(spec.get("programme") or 0)).first()
    if programme is None and not str(spec.get("outcome") or "").startswith(datasets.CAMPAIGN_PREFIX):
        raise Refused(_("Choose a programme."), code="invalid")
    say = progress or (lambda _text: None)
    dataset = datasets.build({**spec, "programme": programme}, progress=say, user=actor)
    data, run_spec = datasets.run_spec(
        spec.get("method", "did"), dataset, cluster=bool(spec.get("cluster")), psm_method=spec.get("psm_method", "nn")
    )
    say(_("Estimating on %(n)d households.") % {"n": dataset.size})
    result = runs.run_columns(data, run_spec)
    result["warnings"] = [*dataset.summary["warnings"], *result.get("warnings", [])]
    result["dataset"] = dataset.summary
    source = _("System data: %(programme)s; outcome %(outcome)s, %(first)s → %(second)s") % dataset.summary
    return save_evaluation(
        actor=actor, title=title, spec={**runs.check(run_spec), "system": dataset.summary}, result=result, source=source
    )
