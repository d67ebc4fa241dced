"""Fitting proxy-means models on a survey round and scoring the registry. Each is one transaction
with its audit event; scoring is set-based (one read of the registry, one bulk write)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.core import audit
from entas.core.bulk import Inserter
from entas.core.errors import Problem, Refused
from entas.core.services import service
from entas.monitoring.models import SurveyHousehold, SurveyRound
from entas.registry.models import Household

from . import pmt
from .data import cached_rule_arrays, registry_arrays
from .models import EligibilityRule, HouseholdScore, PmtModel, RuleVersion
from .rules import Compiled, RuleError, compile_rule
from .selection import select, summary_by_area

if TYPE_CHECKING:
    from entas.accounts.models import User


def _survey_inputs(survey: SurveyRound) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Features of the sampled households, taken from their registry records (joined by KK number)."""
    rows = list(
        SurveyHousehold.objects.filter(survey=survey).values_list(
            "kk_number", "consumption_per_capita", "weight", "household_size", "psu"
        )
    )
    if not rows:
        raise Refused(_("The survey %(survey)s has no households.") % {"survey": survey})
    kk = [r[0] for r in rows]
    ids, _size, data = registry_arrays(Household.objects.filter(kk_number__in=kk))
    if ids.size == 0:
        raise Refused(
            _(
                "None of the survey's households is in the registry: the PMT variables come from "
                "the registry records of the sampled households (matched by KK number)."
            )
        )
    kk_of = dict(Household.objects.filter(pk__in=ids.tolist()).values_list("pk", "kk_number"))
    row_of = {k: i for i, k in enumerate(kk)}
    order = np.array([row_of[kk_of[pk]] for pk in ids.tolist()])
    consumption = np.array([rows[i][1] for i in order], dtype=float)
    people = np.array([rows[i][2] * rows[i][3] for i in order], dtype=float)
    psu = np.array([rows[i][4] for i in order], dtype=object)
    return data, consumption, people, psu


@service
def fit_model(*, survey: SurveyRound, kind: str, line: int, actor: User | None, folds: int = 5) -> PmtModel:
    data, consumption, people, psu = _survey_inputs(survey)
    if np.any(consumption <= 0):
        raise Refused(_("Consumption must be positive to take its logarithm."))
    try:
        result = pmt.fit(data, consumption, people, psu, line=line, kind=kind, folds=folds)
    except ValueError as exc:
        raise Refused(str(exc)) from exc
    version = (PmtModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    model = PmtModel.objects.create(
        version=version,
        kind=kind,
        survey=survey,
        poverty_line=line,
        design=result.design.as_dict(),
        coefficients=dict(zip(result.design.names, result.coefficients, strict=True)) if result.coefficients else None,
        serialized=pickle.dumps(result.model) if result.model is not None else None,
        training={
            "households": result.n,
            "people": result.people,
            "folds": result.folds,
            "survey": str(survey),
            "matched_in_registry": int(consumption.size),
        },
        metrics={"cross_validated": result.cross_validated.as_dict(), "in_sample": result.in_sample.as_dict()},
        fitted_by=actor,
    )
    audit.record(actor=actor, action="targeting.fit_model", obj=model, after={"kind": kind, **model.metrics})
    return model


def _predict(model: PmtModel, data: dict[str, np.ndarray]) -> np.ndarray:
    design = pmt.Design(model.design["numeric"], model.design["levels"])
    X = design.matrix(data)
    if model.kind == PmtModel.Kind.WLS:
        return X @ np.array([model.coefficients[name] for name in design.names])  # type: ignore[index]
    if model.serialized is None:
        raise Refused(_("PMT v%(version)d has no stored model.") % {"version": model.version})
    estimator = pickle.loads(bytes(model.serialized))  # noqa: S301 - written by fit_model, never user input
    return np.asarray(estimator.predict(X))


def score_registry(*, model: PmtModel, actor: User | None) -> dict[str, Any]:
    """Score every household of the registry with ``model``: predicted consumption, score and the
    city desil (people-weighted deciles of the prediction). Re-scoring replaces the model's scores.

    The registry is read before the writing transaction opens, so the read may run in parallel slices
    (entas.core.columnar); the scores are then written in one transaction."""
    ids, size, data = registry_arrays(Household.objects.all())
    if ids.size == 0:
        raise Refused(_("The registry holds no households to score."))
    predicted = _predict(model, data)
    desil = pmt.desil(predicted, size)
    summary = {
        "households": int(ids.size),
        "people": int(size.sum()),
        "desil_people": np.bincount(desil, weights=size, minlength=11)[1:].round().astype(int).tolist(),
    }
    with transaction.atomic():
        HouseholdScore.objects.filter(model=model).delete()
        Inserter(HouseholdScore).insert_columns(
            {
                "household_id": ids.astype(np.int64).tolist(),
                "predicted_consumption": np.rint(np.exp(predicted)).astype(np.int64).tolist(),
                "score": predicted.astype(float).tolist(),
                "desil": desil.astype(np.int64).tolist(),
            },
            constants={"model_id": model.pk, "scored_at": timezone.now()},
        )
        audit.record(actor=actor, action="targeting.score_registry", obj=model, after=summary)
    return summary


# -- rules, previews and community overrides ------------------------------------------------------


def ranking_field(model: PmtModel | None) -> str:
    """The household column that ranks the eligible (poorest first): the scored model's predicted
    consumption, or the imported DTSEN desil while no model has scored the registry."""
    return "predicted_consumption" if model else "dtsen_desil"


def rule_overrides(rule: EligibilityRule) -> tuple[set[int], set[int]]:
    """The households a musyawarah added to and removed from ``rule``'s selection (the forums'
    decisions, read where they are recorded: :mod:`entas.targeting.overrides`)."""
    from . import overrides

    return overrides.source().overrides(rule)


def latest_scored_model() -> PmtModel | None:
    """The model whose scores the city uses: the chosen one once it has scored the registry, else
    the newest model that has (None until some model has scored the registry)."""
    # EXISTS per model (answered from the unique (model, household) index), not a join of every score:
    # a join with DISTINCT over a city's scores cost seconds, and the live preview asks at each keystroke.
    from django.db.models import Exists, OuterRef

    scored = PmtModel.objects.defer("serialized").filter(Exists(HouseholdScore.objects.filter(model=OuterRef("pk"))))
    return scored.filter(chosen_at__isnull=False).order_by("-chosen_at").first() or scored.order_by("-version").first()


@service
def choose_model(*, model: PmtModel, actor: User) -> PmtModel:
    """Make ``model`` the city's PMT (one at a time; audited). Its scores then give every page's desil
    once it has scored the registry."""
    from entas.accounts.roles import Capability

    if not (actor.can(Capability.VIEW_ANALYTICS) and actor.can(Capability.RUN_JOBS)):
        raise Refused(_("Your role does not allow choosing the PMT model."), code="forbidden")
    previous = PmtModel.objects.select_for_update().filter(chosen_at__isnull=False).exclude(pk=model.pk).first()
    PmtModel.objects.filter(chosen_at__isnull=False).exclude(pk=model.pk).update(chosen_at=None, chosen_by=None)
    model.chosen_at = timezone.now()
    model.chosen_by = actor
    model.save(update_fields=["chosen_at", "chosen_by"])
    audit.record(
        actor=actor,
        action="targeting.choose_model",
        obj=model,
        before={"chosen": previous.version if previous else None},
        after={"chosen": model.version},
    )
    return model


@contextmanager
def saved_rule_problems(rule: EligibilityRule | None) -> Iterator[None]:
    """Turn a RuleError about a saved rule into a refusal that names the rule.

    Rules are checked when saved, but a row saved by older, more lenient code (or written to the
    database directly) may no longer compile: every place that runs a saved rule refuses it by name,
    with the problem and its column, rather than failing with a server error."""
    try:
        yield
    except RuleError as exc:
        if rule is None:
            raise
        raise Refused(
            _("The saved rule “%(name)s” cannot be used: %(problem)s. Correct it and save it again (entas rule save).")
            % {"name": rule.name, "problem": str(exc)},
            code="invalid_rule",
            issues=exc.issues,
        ) from exc


def compile_saved(rule: EligibilityRule) -> Compiled:
    """A saved rule, compiled; refused by name if it no longer compiles (see saved_rule_problems)."""
    with saved_rule_problems(rule):
        return compile_rule(rule.expression)


@service
def save_rule(
    *,
    actor: User | None,
    name: str,
    expression: str,
    benefit: int,
    budget: int | None = None,
    quota: int | None = None,
    note: str = "",
) -> EligibilityRule:
    """Create or change a rule, as a new version (its history keeps every version, who saved it and
    when); an invalid expression is refused with its position (RuleError, a Refused with code
    ``invalid_rule``), and nothing is written. Saving what the newest version already says adds none."""
    compile_rule(expression)
    name = name.strip()
    if not name:
        raise Refused(_("Give the rule a name."), code="invalid", issues=[Problem("name", _("Give the rule a name."))])
    rule, created = EligibilityRule.objects.select_for_update().update_or_create(
        name=name,
        defaults={
            "expression": expression.strip(),
            "benefit": benefit,
            "budget": budget,
            "quota": quota,
            "created_by": actor,
            "updated_at": timezone.now(),
        },
    )
    latest = rule.versions.order_by("-number").first()
    said = (rule.expression, rule.benefit, rule.budget, rule.quota)
    if latest is None or (latest.expression, latest.benefit, latest.budget, latest.quota) != said:
        latest = RuleVersion.objects.create(
            rule=rule,
            number=(latest.number if latest else 0) + 1,
            expression=rule.expression,
            benefit=benefit,
            budget=budget,
            quota=quota,
            note=note.strip()[:200],
            saved_by=actor,
        )
    audit.record(
        actor=actor,
        action="targeting.rule_create" if created else "targeting.rule_update",
        obj=rule,
        after={
            "expression": rule.expression,
            "benefit": benefit,
            "budget": budget,
            "quota": quota,
            "version": latest.number,
        },
    )
    return rule


def record_override(
    *,
    actor: User,
    rule: EligibilityRule,
    household: Household,
    action: str,
    reason: str,
    berita_acara: str,
    decided_on: Any,
) -> Any:
    """Record a musyawarah kelurahan's addition or removal (audited; one decision per household and
    rule at each forum, the forum named by its berita acara; a later forum's decision supersedes)."""
    from entas.accounts.roles import Capability
    from entas.accounts.scoping import can_act_in

    from . import overrides

    if not actor.can(Capability.CHANGE_REGISTRY) or not can_act_in(actor, household.kelurahan):
        raise Refused(_("You may not record decisions for this household."))
    if not reason.strip() or not berita_acara.strip():
        raise Refused(_("Give the reason and the berita acara reference of the musyawarah."), code="invalid")
    return overrides.source().record(
        actor=actor,
        rule=rule,
        household=household,
        action=action,
        reason=reason.strip(),
        berita_acara=berita_acara.strip(),
        decided_on=decided_on,
    )


def preview(
    *,
    expression: str,
    benefit: int,
    budget: int | None = None,
    quota: int | None = None,
    rule: EligibilityRule | None = None,
    model: PmtModel | None = None,
    user: User | None = None,
) -> dict[str, Any]:
    """Who qualifies, by kelurahan, and at what cost: evaluated on the whole registry (or the user's areas)."""
    from entas.accounts.scoping import region_q

    # The saved rule's own expression is refused by the rule's name; an expression being tried out by
    # its position alone.
    saved = rule if rule is not None and expression.strip() == rule.expression.strip() else None
    with saved_rule_problems(saved):
        compiled = compile_rule(expression)
    model = model or latest_scored_model()
    from entas.accounts.scoping import area_codes

    qs = Household.objects.all() if user is None else Household.objects.filter(region_q(user, "kelurahan"))
    scope = "all" if user is None or user.is_city_wide else tuple(area_codes(user))
    ranking = ranking_field(model)
    households, members = cached_rule_arrays(
        qs, scope=scope, model_id=model.pk if model else None, names={*compiled.fields, ranking}
    )
    with saved_rule_problems(saved):
        eligible = compiled.evaluate(households, members) if households["id"].size else np.zeros(0, dtype=bool)
    added, removed = rule_overrides(rule) if rule is not None else (set(), set())
    score = households[ranking]
    chosen = select(
        eligible,
        household_ids=households["id"],
        score=np.asarray(score, dtype=float),
        benefit=benefit,
        added=added,
        removed=removed,
        budget=budget,
        quota=quota,
    )
    size = households["size"]
    return {
        "rule": compiled.source,
        "model_version": model.version if model else None,
        "households": int(households["id"].size),
        "eligible_households": int(eligible.sum()),
        "selected_households": int(chosen.selected.sum()),
        "selected_people": int(size[chosen.selected].sum()),
        "cost_per_month": chosen.cost,
        "by_source": chosen.counts(),
        "by_kelurahan": summary_by_area(chosen, households["kelurahan"], size),
        "_selection": chosen,
        "_household_ids": households["id"],
    }


def targeting_report(
    *, rule: EligibilityRule, line: int, survey: SurveyRound | None = None, model: PmtModel | None = None
) -> dict[str, Any]:
    """How well a rule's list reaches the poor, judged on a survey round with observed consumption:
    error rates with their weighted counts, coverage of the poor by kelurahan, benefit incidence by
    decile of actual consumption, and the CGH index. Survey households are matched to the list by KK."""
    from entas.measures import weighted_quantile

    from .metrics import cgh_index, targeting_errors

    compile_saved(rule)  # a rule that cannot run is the first thing to say
    survey = survey or SurveyRound.objects.order_by("-year", "-imported_at").first()
    if survey is None:
        raise Refused(_("No survey round is loaded to judge the list against."))
    result = preview(
        expression=rule.expression, benefit=rule.benefit, budget=rule.budget, quota=rule.quota, rule=rule, model=model
    )
    selected_ids = set(np.asarray(result["_household_ids"])[result["_selection"].selected].tolist())
    selected_kk = set(Household.objects.filter(pk__in=selected_ids).values_list("kk_number", flat=True))
    rows = list(
        SurveyHousehold.objects.filter(survey=survey).values_list(
            "kk_number", "consumption_per_capita", "weight", "household_size", "kelurahan__code", "kelurahan__name"
        )
    )
    if not rows:
        raise Refused(_("The survey %(survey)s has no households.") % {"survey": survey})
    kk, consumption, weight, size, kel_code, kel_name = (np.asarray(c) for c in zip(*rows, strict=True))
    consumption = consumption.astype(float)
    people = weight.astype(float) * size.astype(float)
    selected = np.isin(kk, list(selected_kk))
    poor = consumption < line
    errors = targeting_errors(selected, poor, weights=people)
    bottom40 = consumption <= weighted_quantile(consumption, 0.4, weights=people)
    errors40 = targeting_errors(selected, bottom40, weights=people)
    order = np.lexsort((np.arange(consumption.size), consumption))
    before = (np.cumsum(people[order]) - people[order]) / people.sum()
    decile = np.empty(consumption.size, dtype=np.int64)
    decile[order] = np.minimum(10, 1 + np.floor(before * 10 + 1e-12).astype(np.int64))
    benefit = np.where(selected, float(rule.benefit or 1), 0.0)  # per household; weights count households
    total_benefit = (weight * benefit).sum()
    incidence = [
        float((weight * benefit)[decile == d].sum() / total_benefit) if total_benefit else 0.0 for d in range(1, 11)
    ]
    coverage = []
    for code in sorted(set(kel_code.tolist())):
        mask = (kel_code == code) & poor
        if mask.any():
            coverage.append(
                {
                    "kelurahan": code,
                    "name": str(kel_name[kel_code == code][0]),
                    "poor_people": float(people[mask].sum()),
                    "covered": float(people[mask & selected].sum() / people[mask].sum()),
                }
            )
    per_person = np.where(selected, float(rule.benefit or 1), 0.0) / size.astype(float)
    return {
        "rule": rule.name,
        "expression": rule.expression,
        "survey": str(survey),
        "line": line,
        "model_version": result["model_version"],
        "sampled_households": int(consumption.size),
        "selected_in_sample": int(selected.sum()),
        "poor": errors.__dict__,
        "bottom40": errors40.__dict__,
        "cgh": cgh_index(per_person, consumption, weights=people) if per_person.any() else None,
        "incidence_by_decile": incidence,
        "coverage_of_poor_by_kelurahan": coverage,
        "list": {k: v for k, v in result.items() if not k.startswith("_") and k != "by_kelurahan"},
    }


def survey_errors(*, household_ids: np.ndarray, selected: np.ndarray, survey: SurveyRound, line: int) -> dict[str, Any]:
    """Targeting errors of a list (``selected`` among ``household_ids``) judged on a survey round: the
    sampled households are found in the registry by KK number (one lookup of the sample, not of the
    list), weighted by people. Households outside the list's scope count as not selected."""
    from .metrics import targeting_errors

    rows = list(
        SurveyHousehold.objects.filter(survey=survey).values_list(
            "kk_number", "consumption_per_capita", "weight", "household_size"
        )
    )
    if not rows:
        raise Refused(_("The survey %(survey)s has no households.") % {"survey": survey})
    kk = [r[0] for r in rows]
    pk_of = dict(Household.objects.filter(kk_number__in=kk).values_list("kk_number", "pk"))
    sample_ids = np.array([pk_of.get(k, -1) for k in kk], dtype=np.int64)
    chosen_ids = np.asarray(household_ids, dtype=np.int64)[np.asarray(selected, dtype=bool)]
    in_list = np.isin(sample_ids, chosen_ids)
    consumption = np.array([r[1] for r in rows], dtype=float)
    people = np.array([r[2] * r[3] for r in rows], dtype=float)
    errors = targeting_errors(in_list, consumption < line, weights=people)
    return {
        "survey": str(survey),
        "line": line,
        "sampled_households": len(rows),
        "selected_in_sample": int(in_list.sum()),
        "exclusion_error": errors.exclusion_error,
        "inclusion_error": errors.inclusion_error,
        "coverage": errors.coverage,
    }
