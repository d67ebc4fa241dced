"""From a table and a specification to an evaluation's result: reading the columns an estimator needs
(refusing, with the line and the column, any value that is not a number), running the estimator and
shaping the one JSON object the command prints and a saved evaluation keeps.

The specification is a plain dict: ``method`` (did, rd, psm, before_after) and the column names and
options of that method (see :data:`OPTIONS`)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from entas.core.errors import Problem, Refused

from . import estimators as est

METHODS = ("did", "rd", "psm", "before_after")
# Per method: the columns it reads (text: labels; number: numeric) and whether each is required.
COLUMNS: dict[str, dict[str, tuple[str, bool]]] = {
    "did": {
        "unit": ("text", True),
        "time": ("number", True),
        "treat": ("number", True),
        "outcome": ("number", True),
        "cluster": ("text", False),
    },
    "rd": {"running": ("number", True), "outcome": ("number", True)},
    "psm": {"treat": ("number", True), "outcome": ("number", True)},
    "before_after": {"before": ("number", True), "after": ("number", True), "group": ("number", True)},
}
MAX_ROWS = 2_000_000


Table = dict[str, list[str]]


def read_csv(text: str | Iterable[str]) -> Table:
    """A CSV with a header row as columns of strings (the header names stripped)."""
    lines = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.reader(lines)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise Refused(_("The file is empty."), code="invalid") from None
    if len(set(header)) != len(header):
        raise Refused(_("The header names a column twice."), code="invalid")
    columns: Table = {name: [] for name in header}
    for number, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise Refused(
                _("Line %(line)d has %(found)d values; the header has %(expected)d.")
                % {"line": number, "found": len(row), "expected": len(header)},
                code="invalid",
            )
        for name, cell in zip(header, row, strict=True):
            columns[name].append(cell.strip())
        if number > MAX_ROWS:
            raise Refused(_("The file has more than %(n)d rows.") % {"n": MAX_ROWS}, code="invalid")
    return columns


def _numbers(table: Table, column: str) -> np.ndarray:
    values = np.empty(len(table[column]))
    for i, cell in enumerate(table[column]):
        try:
            values[i] = float(cell.replace(",", ".")) if cell.count(",") == 1 and "." not in cell else float(cell)
        except ValueError:
            values[i] = math.nan
        if not math.isfinite(values[i]):
            raise Refused(
                _("Line %(line)d: %(column)s is %(value)s, not a number.")
                % {"line": i + 2, "column": column, "value": repr(cell) if cell else _("empty")},
                code="invalid",
                issues=[Problem(column, _("not a number"))],
            )
    return values


def _column(table: Table, spec: dict[str, Any], key: str, kind: str) -> np.ndarray:
    name = spec[key]
    if name not in table:
        raise Refused(
            _("The file has no column %(column)s (it has: %(columns)s).")
            % {"column": name, "columns": ", ".join(table)},
            code="invalid",
            issues=[Problem(key, _("no such column"))],
        )
    if kind == "number":
        return _numbers(table, name)
    values = np.asarray(table[name], dtype=object)
    empty = np.flatnonzero(values == "")
    if empty.size:
        raise Refused(
            _("Line %(line)d: %(column)s is empty.") % {"line": int(empty[0]) + 2, "column": name}, code="invalid"
        )
    return values.astype(str)


def check(spec: dict[str, Any]) -> dict[str, Any]:
    """The specification with its defaults, or the refusal naming what is missing."""
    method = spec.get("method")
    if method not in METHODS:
        raise Refused(_("Unknown method %(method)s.") % {"method": method}, code="invalid")
    missing = [key for key, (_kind, required) in COLUMNS[method].items() if required and not spec.get(key)]
    if method == "rd" and spec.get("cutoff") in (None, ""):
        missing.append("cutoff")
    if method == "psm" and not spec.get("covariates"):
        missing.append("covariates")
    if missing:
        raise Refused(
            _("Missing: %(fields)s.") % {"fields": ", ".join(missing)},
            code="invalid",
            issues=[Problem(key, _("required")) for key in missing],
        )
    out = dict(spec)
    if method == "psm":
        if isinstance(out["covariates"], str):
            out["covariates"] = [c.strip() for c in out["covariates"].split(",") if c.strip()]
        out.setdefault("psm_method", "nn")
        if out["psm_method"] not in {"nn", "ipw"}:
            raise Refused(_("The matching method is nn or ipw."), code="invalid")
    return out


def run(table: Table, spec: dict[str, Any]) -> dict[str, Any]:
    """Run the specified evaluation on the table: the command's JSON object (``effect``, ``se``,
    ``ci_low``, ``ci_high``, ``n`` and the method's own fields), with ``sample`` (the sizes),
    ``warnings`` and ``diagnostics`` (what the plots read)."""
    spec = check(spec)
    method = spec["method"]
    cols = {key: _column(table, spec, key, kind) for key, (kind, _req) in COLUMNS[method].items() if spec.get(key)}
    try:
        return _run(method, spec, table, cols)
    except ValueError as exc:  # the estimator's own reason (a design it cannot estimate)
        raise Refused(_("The estimate cannot be made: %(reason)s.") % {"reason": str(exc)}, code="invalid") from exc


def run_columns(data: dict[str, np.ndarray], spec: dict[str, Any]) -> dict[str, Any]:
    """:func:`run` on columns already read (numpy arrays by name: a data set built from the system's own
    data, entas.evaluation.datasets), without the detour through text."""
    spec = check(spec)
    method = spec["method"]
    cols = {
        key: np.asarray(data[spec[key]], dtype=float if kind == "number" else str)
        for key, (kind, _req) in COLUMNS[method].items()
        if spec.get(key)
    }
    try:
        return _run(method, spec, data, cols)  # type: ignore[arg-type]
    except ValueError as exc:
        raise Refused(_("The estimate cannot be made: %(reason)s.") % {"reason": str(exc)}, code="invalid") from exc


def _run(method: str, spec: dict[str, Any], table: Table, cols: dict[str, np.ndarray]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if method == "did":
        args = (cols["outcome"], cols["unit"], cols["time"], cols["treat"])
        cluster = cols.get("cluster")
        main = est.twfe(*args, cluster=cluster)
        if spec.get("event_study"):
            study = est.event_study(*args, cluster=cluster)
            extra["pre_trend_p"] = study.diagnostics["pre_trend_p"]
            extra["event_study"] = study.as_dict()
        first_periods = _adoption_periods(cols["unit"], cols["time"], cols["treat"])
        extra["trends"] = raw_trends(*args)
        if len(first_periods) > 1:  # staggered adoption: the heterogeneity-robust estimate beside it
            both = est.staggered(*args, cluster=cluster)
            main = both["twfe"]
            extra["robust"] = both["callaway_santanna"].as_dict()
            extra["robust"]["label"] = "callaway_santanna"
    elif method == "rd":
        bandwidth = float(spec["bandwidth"]) if spec.get("bandwidth") not in (None, "") else None
        main = est.rd_local_linear(cols["outcome"], cols["running"], float(spec["cutoff"]), bandwidth=bandwidth)
        extra["bandwidth"] = main.diagnostics["bandwidth"]
        extra["bias_corrected"] = main.diagnostics["bias_corrected"]
        extra["robust_se"] = main.diagnostics["robust_se"]
        extra["density_p"] = main.diagnostics["density_test"].get("p")
    elif method == "psm":
        covariates = np.column_stack(
            [
                np.asarray(table[c], dtype=float)
                if isinstance(table.get(c), np.ndarray)
                else _column(table, {"c": c}, "c", "number")
                for c in spec["covariates"]
            ]
        )
        function = est.ipw_att if spec["psm_method"] == "ipw" else est.nearest_neighbour_att
        main = function(cols["outcome"], cols["treat"], covariates, names=list(spec["covariates"]))
        extra["balance"] = main.diagnostics["balance"]
    else:
        main = est.before_after(cols["before"], cols["after"], cols["group"])
    result = main.as_dict()
    sample = result.pop("n")
    out = {
        "method": result["method"],
        "effect": result["effect"],
        "se": result["se"],
        "ci_low": result["ci_low"],
        "ci_high": result["ci_high"],
        "n": int(sample.get("observations", sample.get("units", 0))),
        "sample": sample,
        "causal": result["causal"],
        **extra,
        "warnings": result["warnings"],
        "diagnostics": result["diagnostics"],
    }
    return out


def _adoption_periods(unit: np.ndarray, time: np.ndarray, treat: np.ndarray) -> set[float]:
    first: dict[str, float] = {}
    for u, t in zip(unit[treat == 1].tolist(), time[treat == 1].tolist(), strict=True):
        first[u] = min(first.get(u, t), t)
    return set(first.values())


MAX_COHORT_LINES = 8


def raw_trends(outcome: np.ndarray, unit: np.ndarray, time: np.ndarray, treat: np.ndarray) -> dict[str, Any]:
    """The raw means of the outcome by period for the never-treated units and for each adoption cohort
    (the units first treated in the same period; one "treated" line when there are more than
    :data:`MAX_COHORT_LINES` cohorts): what the parallel-trends plot draws, before any model."""
    units, unit_index = np.unique(unit, return_inverse=True)
    times, time_index = np.unique(time, return_inverse=True)
    first = np.full(units.size, np.inf)
    treated = treat == 1
    np.minimum.at(first, unit_index[treated], time[treated])
    cohorts = np.unique(first[np.isfinite(first)])
    group_of_unit = np.full(units.size, -1)  # -1: never treated
    if cohorts.size <= MAX_COHORT_LINES:
        group_of_unit[np.isfinite(first)] = np.searchsorted(cohorts, first[np.isfinite(first)])
        labels = [_("adopted in %(period)s") % {"period": f"{c:g}"} for c in cohorts.tolist()]
    else:
        group_of_unit[np.isfinite(first)] = 0
        labels = [_("treated")]
    group = group_of_unit[unit_index] + 1  # 0: never treated
    keys = group * times.size + time_index
    size = (len(labels) + 1) * times.size
    sums = np.bincount(keys, weights=outcome, minlength=size)
    counts = np.bincount(keys, minlength=size)
    names = [_("never treated"), *labels]
    rows = [
        {
            "period": float(times[k % times.size]),
            "group": names[k // times.size],
            "mean": float(sums[k] / counts[k]),
            "n": int(counts[k]),
        }
        for k in np.flatnonzero(counts).tolist()
    ]
    return {"rows": rows, "adoption": [float(c) for c in cohorts.tolist()]}
