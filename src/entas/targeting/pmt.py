"""Proxy-means tests: predicting log consumption per capita from hard-to-hide household traits.

Pure numpy (and scikit-learn for the gradient-boosting alternative); no Django. The inputs are
plain column arrays of households and members, as the registry or the synthetic city provide.

**Variables** (``features``): the household's size and composition (log size, shares of children
under 15 and of people 65+, a female head, the head's age and its square, the head's highest
diploma, the share of members working, a member with a severe functional difficulty), its housing
(log floor area per person; ownership; floor, wall and roof materials), utilities (drinking water,
lighting and PLN power, cooking fuel, toilet, sewage), 18 assets, livestock and location
(kecamatan). These are the traits of the Regsosek form used by DTSEN-style models (Alatas et al.
2012; Bah et al. 2018).

**Selection**: a priori from that list, then categories too rare to estimate (fewer than
``MIN_CATEGORY`` sampled households) are merged into their variable's reference category and
constant columns are dropped. The kept columns and their names are stored with the model.

**Fit**: weighted least squares of log consumption per capita, with the survey weights × household
size (so the fit is person-weighted, as the ranking is). Out-of-sample quality is measured by k-fold
cross-validation with folds drawn by PSU (households of one block are never split between training
and test, which would flatter the model).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from entas.measures import weighted_quantile
from entas.registry import variables

from .metrics import targeting_errors

CATEGORICAL = [
    "building_ownership",
    "floor_material",
    "wall_material",
    "roof_material",
    "water_source",
    "lighting",
    "power_va",
    "cooking_fuel",
    "toilet_facility",
    "sewage_disposal",
    "kecamatan",
]
BOOLEAN = [*variables.ASSETS, *variables.PROPERTY, *variables.ACCESS]
MIN_CATEGORY = 10
DIFFICULTY = variables.DIFFICULTY


def features(households: Mapping[str, np.ndarray], members: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Household-level candidate variables. ``members["household"]`` indexes into the household arrays;
    members need ``age``, ``sex``, ``relationship``, ``diploma``, ``worked`` and either ``disabled`` (a lot
    of difficulty or worse in some Washington Group domain) or the ten difficulty items."""
    n = len(households["floor_area_m2"])
    hh = np.asarray(members["household"], dtype=np.int64)
    age = np.asarray(members["age"], dtype=float)
    size = np.bincount(hh, minlength=n).astype(float)
    size = np.maximum(size, 1)
    head = np.asarray(members["relationship"]) == "1"
    head_age = np.zeros(n)
    head_age[hh[head]] = age[head]
    head_female = np.zeros(n)
    head_female[hh[head]] = np.asarray(members["sex"])[head] == "2"
    head_diploma = np.zeros(n)
    diplomas = np.asarray(members["diploma"], dtype=object)
    head_diploma[hh[head]] = [int(d) if d not in ("", None) else 0 for d in diplomas[head]]
    if "disabled" in members:  # already computed (e.g. by the database)
        severe = np.asarray(members["disabled"], dtype=bool)
    else:
        severe = np.zeros(hh.size, dtype=bool)
        for item in DIFFICULTY:
            severe |= np.isin(np.asarray(members[item], dtype=object), ["3", "4"])
    floor_area = np.asarray(households["floor_area_m2"], dtype=float)
    floor_area = np.where(np.isfinite(floor_area) & (floor_area > 0), floor_area, np.nanmedian(floor_area))
    out: dict[str, np.ndarray] = {
        "log_size": np.log(size),
        "share_children": np.bincount(hh, weights=(age < 15).astype(float), minlength=n) / size,
        "share_elderly": np.bincount(hh, weights=(age >= 65).astype(float), minlength=n) / size,
        "head_female": head_female,
        "head_age": head_age,
        "head_age_sq": head_age**2 / 100,
        "head_diploma": head_diploma,
        "share_working": np.bincount(hh, weights=np.asarray(members["worked"], dtype=float), minlength=n) / size,
        "any_disability": (np.bincount(hh, weights=severe.astype(float), minlength=n) > 0).astype(float),
        "log_floor_per_person": np.log(floor_area / size),
    }
    for name in BOOLEAN:  # booleans as they are; object arrays (True/False/None) elementwise
        out[name] = (np.asarray(households[name]) == True).astype(float)  # noqa: E712 - elementwise
    livestock = sum(np.nan_to_num(np.asarray(households[k], dtype=float)) for k in ("cattle", "goats"))
    out["livestock"] = np.log1p(livestock)
    for name in CATEGORICAL:  # fixed-width text, None as ""
        values = np.asarray(households[name])
        if values.dtype == object:
            values = np.where(values == None, "", values)  # noqa: E711 - elementwise
        out[f"cat:{name}"] = values.astype(str)
    return out


@dataclass
class Design:
    """How variables become matrix columns: kept numeric columns and category levels."""

    numeric: list[str]
    levels: dict[str, list[str]]  # categorical variable → levels with their own column (others: reference)

    @property
    def names(self) -> list[str]:
        return ["intercept", *self.numeric, *(f"{v}={lvl}" for v, levels in self.levels.items() for lvl in levels)]

    def matrix(self, data: Mapping[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(data.values())))
        columns = [np.ones(n)] + [np.asarray(data[name], dtype=float) for name in self.numeric]
        for variable, levels in self.levels.items():
            values = np.asarray(data[f"cat:{variable}"]).astype(str)
            columns += [(values == level).astype(float) for level in levels]
        return np.column_stack(columns)

    def as_dict(self) -> dict[str, Any]:
        return {"numeric": self.numeric, "levels": self.levels}


def select_design(data: Mapping[str, np.ndarray]) -> Design:
    """Keep non-constant numeric variables and category levels seen often enough (see module doc)."""
    numeric = [k for k, v in data.items() if not k.startswith("cat:") and np.nanstd(np.asarray(v, dtype=float)) > 0]
    levels: dict[str, list[str]] = {}
    for key, values in data.items():
        if not key.startswith("cat:"):
            continue
        found, counts = np.unique(np.asarray(values, dtype=object).astype(str), return_counts=True)
        frequent = [str(level) for level, count in zip(found, counts, strict=True) if count >= MIN_CATEGORY]
        if len(frequent) >= 2:
            # The most common level is the reference category (no column of its own).
            reference = str(found[np.argmax(counts)])
            levels[key[4:]] = sorted(lvl for lvl in frequent if lvl != reference)
    return Design(numeric, levels)


def wls(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares coefficients (minimum-norm where columns are collinear)."""
    root = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(X * root[:, None], y * root, rcond=None)
    return beta


def weighted_r2(y: np.ndarray, predicted: np.ndarray, w: np.ndarray) -> float:
    mean = np.average(y, weights=w)
    return float(1 - (w * (y - predicted) ** 2).sum() / (w * (y - mean) ** 2).sum())


def folds_by_psu(psu: np.ndarray, k: int, seed: int) -> np.ndarray:
    labels, index = np.unique(np.asarray(psu).astype(str), return_inverse=True)
    assignment = np.random.default_rng(seed).permutation(labels.size) % k
    return assignment[index]


@dataclass
class Evaluation:
    r2: float
    at_line: dict[str, float]  # targeting errors selecting households predicted below the line
    at_p40: dict[str, float]  # selecting the predicted poorest 40 % against the actual poorest 40 %

    def as_dict(self) -> dict[str, Any]:
        return {"r2": self.r2, "at_line": self.at_line, "at_p40": self.at_p40}


def evaluate(log_y: np.ndarray, predicted: np.ndarray, people: np.ndarray, line: float) -> Evaluation:
    actual_poor = log_y < np.log(line)
    errors_line = targeting_errors(predicted < np.log(line), actual_poor, weights=people)
    cut_actual = weighted_quantile(log_y, 0.4, weights=people)
    cut_predicted = weighted_quantile(predicted, 0.4, weights=people)
    errors_p40 = targeting_errors(predicted <= cut_predicted, log_y <= cut_actual, weights=people)

    def pick(e: Any) -> dict[str, float]:
        return {"exclusion_error": e.exclusion_error, "inclusion_error": e.inclusion_error, "coverage": e.coverage}

    return Evaluation(weighted_r2(log_y, predicted, people), pick(errors_line), pick(errors_p40))


@dataclass
class FitResult:
    kind: str  # "wls" or "gbm"
    design: Design
    coefficients: list[float] | None  # WLS
    model: Any  # the fitted scikit-learn estimator (GBM)
    cross_validated: Evaluation
    in_sample: Evaluation
    n: int
    people: float
    folds: int
    extra: dict[str, Any] = field(default_factory=dict)

    def predict(self, data: Mapping[str, np.ndarray]) -> np.ndarray:
        X = self.design.matrix(data)
        if self.kind == "wls":
            return X @ np.asarray(self.coefficients)
        with _threads():
            return np.asarray(self.model.predict(X))


# Threads the gradient-boosting model may use (ENTAS_NUMERIC_THREADS, default 1). OpenMP threads spin
# while they wait: on a 2-core server shared with the web server and the worker, two of them made a
# fit twenty times slower whenever anything else ran (measured: 2.9 s alone, 57 s beside an import).
NUMERIC_THREADS = max(1, int(os.environ.get("ENTAS_NUMERIC_THREADS", "1")))


@contextmanager
def _threads(kind: str = "gbm") -> Iterator[None]:
    """Numeric threads limited to NUMERIC_THREADS: BLAS (numpy's, loaded already) for both kinds,
    and OpenMP for gradient boosting, whose runtime scikit-learn loads (only loaded libraries are
    limited; a WLS fit does not pay for importing scikit-learn, 2 s on a busy machine)."""
    if kind == "gbm":
        import sklearn.ensemble  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=NUMERIC_THREADS):
        yield


def _gbm(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        max_iter=300,
        learning_rate=0.05,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        random_state=seed,
    )


def fit(
    data: Mapping[str, np.ndarray],
    consumption: np.ndarray,
    people: np.ndarray,
    psu: np.ndarray,
    *,
    line: float,
    kind: str = "wls",
    folds: int = 5,
    seed: int = 0,
) -> FitResult:
    """Fit a PMT of ``kind`` ("wls" or "gbm") and cross-validate it on the same PSU folds for both kinds."""
    if kind not in {"wls", "gbm"}:
        raise ValueError(f"kind must be 'wls' or 'gbm', not {kind!r}")
    y = np.log(np.asarray(consumption, dtype=float))
    w = np.asarray(people, dtype=float)
    if y.size < 5 * folds:
        raise ValueError(f"{y.size} households are too few to fit and cross-validate with {folds} folds")
    design = select_design(data)
    X = design.matrix(data)
    fold = folds_by_psu(psu, folds, seed)
    predicted = np.empty_like(y)
    with _threads(kind):
        return _fit(data, design, X, y, w, fold, folds, line=line, kind=kind, seed=seed, predicted=predicted)


def _fit(
    data: Mapping[str, np.ndarray],
    design: Any,
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    fold: np.ndarray,
    folds: int,
    *,
    line: float,
    kind: str,
    seed: int,
    predicted: np.ndarray,
) -> FitResult:
    for k in range(folds):
        train, test = fold != k, fold == k
        if kind == "wls":
            predicted[test] = X[test] @ wls(X[train], y[train], w[train])
        else:
            model = _gbm(seed).fit(X[train], y[train], sample_weight=w[train])
            predicted[test] = model.predict(X[test])
    if kind == "wls":
        coefficients = wls(X, y, w)
        full = X @ coefficients
        estimator = None
    else:
        estimator = _gbm(seed).fit(X, y, sample_weight=w)
        full = estimator.predict(X)
        coefficients = None
    return FitResult(
        kind=kind,
        design=design,
        coefficients=None if coefficients is None else coefficients.tolist(),
        model=estimator,
        cross_validated=evaluate(y, predicted, w, line),
        in_sample=evaluate(y, full, w, line),
        n=int(y.size),
        people=float(w.sum()),
        folds=folds,
    )


def desil(predicted_log: np.ndarray, people: np.ndarray) -> np.ndarray:
    """Desil 1–10 of predicted welfare within the population, people-weighted (desil 1 = poorest tenth):
    1 + ⌊10 × (people in poorer households) / (all people)⌋. Ties are broken by position, so the
    ranking is deterministic."""
    weights = np.asarray(people, dtype=float)
    order = np.lexsort((np.arange(predicted_log.size), predicted_log))
    before = (np.cumsum(weights[order]) - weights[order]) / weights.sum()
    out = np.empty(predicted_log.size, dtype=np.int64)
    out[order] = np.minimum(10, 1 + np.floor(before * 10 + 1e-12).astype(np.int64))
    return out
