"""Policy simulation on plain arrays: a scenario's selection (rule, then the programme's ranking until
the budget is used), its cost, and what its transfers would do to poverty and inequality in the survey
sample, with the survey's standard errors (entas.measures.survey), the targeting errors
(entas.targeting.metrics) and the figures by kecamatan. No database: :mod:`entas.evaluation.services`
reads the registry and the survey and calls these.

Behavioural responses are not modelled: households are assumed to add the whole transfer to their
consumption and to change nothing else (work, remittances, household composition)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from entas.measures import survey as sv
from entas.targeting.metrics import targeting_errors

MONTHS = 12


@dataclass(frozen=True)
class Formula:
    """A benefit formula in whole rupiah per household per month (programs.rules.entitlements)."""

    base: int
    per_child_in_school: int = 0
    per_elderly: int = 0
    per_disabled: int = 0
    cap: int | None = None

    def monthly(self, counts: dict[str, np.ndarray]) -> np.ndarray:
        amount = (
            self.base
            + self.per_child_in_school * np.asarray(counts["children_in_school"], dtype=np.int64)
            + self.per_elderly * np.asarray(counts["elderly"], dtype=np.int64)
            + self.per_disabled * np.asarray(counts["disabled"], dtype=np.int64)
        )
        return np.minimum(amount, self.cap) if self.cap is not None else amount.astype(np.int64)


def select_within_budget(
    eligible: np.ndarray, *, score: np.ndarray, household_ids: np.ndarray, annual: np.ndarray, budget: int | None
) -> np.ndarray:
    """The eligible households, poorest first by the programme's ranking (lowest score; no score last;
    ties by household id), taken while the running total of their annual amounts stays within the
    budget. Without a budget, every eligible household."""
    if budget is None:
        return eligible.copy()
    order_score = np.where(np.isnan(score), np.inf, score)
    order = np.lexsort((household_ids, order_score))
    ranked = order[eligible[order]]
    within = np.cumsum(annual[ranked]) <= budget
    selected = np.zeros(eligible.size, dtype=bool)
    # The ranking is strict: the first household that does not fit stops the list (no skipping ahead
    # to a cheaper, less poor household).
    stop = int(np.argmin(within)) if not within.all() else within.size
    selected[ranked[:stop]] = True
    return selected


@dataclass
class Sample:
    """The survey households, linked to the registry: ``registry_index`` is each one's position in
    the registry arrays (−1: not found in the registry by its KK number)."""

    registry_index: np.ndarray
    consumption: np.ndarray  # per capita per month, Rp
    weight: np.ndarray  # design weight (households)
    size: np.ndarray
    strata: np.ndarray
    psu: np.ndarray
    kecamatan: np.ndarray

    @property
    def people(self) -> np.ndarray:
        return self.weight * self.size


def transfers_per_capita(sample: Sample, selected: np.ndarray, monthly: np.ndarray) -> np.ndarray:
    """Each sampled household's monthly transfer per member under a selection of the registry."""
    linked = sample.registry_index >= 0
    amount = np.zeros(sample.consumption.size)
    index = sample.registry_index[linked]
    amount[linked] = np.where(selected[index], monthly[index], 0)
    return amount / sample.size


def deciles(y: np.ndarray, people: np.ndarray) -> np.ndarray:
    """Decile 1..10 of per-capita consumption, people-weighted (as targeting_report)."""
    order = np.lexsort((np.arange(y.size), y))
    before = (np.cumsum(people[order]) - people[order]) / people.sum()
    out = np.empty(y.size, dtype=np.int64)
    out[order] = np.minimum(10, 1 + np.floor(before * 10 + 1e-12).astype(np.int64))
    return out


def figures(
    *,
    selected: np.ndarray,
    monthly: np.ndarray,
    registry_size: np.ndarray,
    registry_kecamatan: np.ndarray,
    sample: Sample,
    line: float,
) -> dict[str, Any]:
    """The scenario's figures: households, people and annual cost in the registry; P0, P1, P2 and Gini
    before and after the transfer in the survey with their standard errors; exclusion and inclusion
    errors (people-weighted, the poor by consumption before transfer); benefit incidence by decile of
    consumption; and the registry and survey figures by kecamatan."""
    annual = monthly.astype(np.int64) * MONTHS
    y = sample.consumption.astype(float)
    transfer = transfers_per_capita(sample, selected, monthly)
    after = y + transfer
    people = sample.people
    design = sv.Design(people, strata=sample.strata, psu=sample.psu)
    out: dict[str, Any] = {
        "households": int(selected.sum()),
        "people": int(registry_size[selected].sum()),
        "cost": int(annual[selected].sum()),
    }
    for alpha in (0, 1, 2):
        for when, values in (("before", y), ("after", after)):
            estimate = sv.fgt(values, line, alpha, design)
            out[f"p{alpha}_{when}"] = estimate.value
            out[f"p{alpha}_{when}_se"] = estimate.se
    for when, values in (("before", y), ("after", after)):
        estimate = sv.gini(values, design)
        out[f"gini_{when}"] = estimate.value
        out[f"gini_{when}_se"] = estimate.se
    in_sample = transfer > 0
    poor = y < line
    errors = targeting_errors(in_sample, poor, weights=people)
    out["exclusion_error"] = errors.exclusion_error
    out["inclusion_error"] = errors.inclusion_error
    decile = deciles(y, people)
    received = sample.weight * transfer * sample.size
    total = received.sum()
    out["incidence_by_desil"] = [float(received[decile == d].sum() / total) if total else 0.0 for d in range(1, 11)]
    out["sampled_households"] = int(y.size)
    out["linked_households"] = int((sample.registry_index >= 0).sum())
    rows = []
    kec_codes = sorted(
        set(np.asarray(registry_kecamatan).astype(str).tolist()) | set(sample.kecamatan.astype(str).tolist())
    )
    reg_kec = np.asarray(registry_kecamatan).astype(str)
    for code in kec_codes:
        at = reg_kec == code
        row: dict[str, Any] = {
            "kecamatan": code,
            "households": int((selected & at).sum()),
            "people": int(registry_size[selected & at].sum()),
            "cost": int(annual[selected & at].sum()),
        }
        domain = sample.kecamatan.astype(str) == code
        if domain.sum() >= 2:
            row["p0_before"] = sv.fgt(y, line, 0, design, domain=domain).value
            row["p0_after"] = sv.fgt(after, line, 0, design, domain=domain).value
        rows.append(row)
    out["by_kecamatan"] = rows
    return out
