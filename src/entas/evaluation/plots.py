"""Vega-Lite specifications of the evaluation plots (drawn by the vendored vega-embed): parallel
trends / event-study coefficients, the RD plot, the balance (love) plot, and scenario bars."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from entas.core.charts import VEGA_LITE_SCHEMA


def _base(data: list[dict[str, Any]], **rest: Any) -> dict[str, Any]:
    return {"$schema": VEGA_LITE_SCHEMA, "width": "container", "height": 260, "data": {"values": data}, **rest}


def coefficients(rows: list[dict[str, Any]], x: str, y: str, title: str) -> dict[str, Any]:
    """Point estimates with their 95 % intervals by relative period, a zero line and the adoption line."""
    values = [{"period": r[x], "coef": r[y], "low": r["ci_low"], "high": r["ci_high"]} for r in rows]
    if not any(v["period"] == -1 for v in values):
        values.append({"period": -1, "coef": 0.0, "low": 0.0, "high": 0.0})  # the reference period
    axis_x = {"field": "period", "type": "quantitative", "title": _("Periods since adoption")}
    return _base(
        values,
        title=title,
        layer=[
            {
                "mark": {"type": "rule"},
                "encoding": {
                    "x": axis_x,
                    "y": {"field": "low", "type": "quantitative", "title": _("Effect")},
                    "y2": {"field": "high"},
                },
            },
            {
                "mark": {"type": "point", "filled": True},
                "encoding": {"x": axis_x, "y": {"field": "coef", "type": "quantitative"}},
            },
            {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "grey"}, "encoding": {"y": {"datum": 0}}},
            {"mark": {"type": "rule", "strokeDash": [2, 2], "color": "firebrick"}, "encoding": {"x": {"datum": -0.5}}},
        ],
    )


def rd_plot(binned: dict[str, Any]) -> dict[str, Any]:
    points = [{**p, "kind": "bin"} for p in binned["points"]]
    lines = binned["fit"]
    x = {"field": "x", "type": "quantitative", "title": _("Running variable")}
    y = {"field": "y", "type": "quantitative", "title": _("Outcome"), "scale": {"zero": False}}
    return _base(
        [],
        title=_("Mean outcome by bin, with the local linear fits"),
        layer=[
            {
                "data": {"values": points},
                "mark": {"type": "point", "filled": True},
                "encoding": {"x": x, "y": y, "color": {"field": "side", "type": "nominal", "legend": None}},
            },
            {
                "data": {"values": lines},
                "mark": {"type": "line"},
                "encoding": {"x": x, "y": y, "color": {"field": "side", "type": "nominal", "legend": None}},
            },
            {
                "mark": {"type": "rule", "strokeDash": [2, 2], "color": "firebrick"},
                "encoding": {"x": {"datum": binned["cutoff"]}},
            },
        ],
    )


def balance_plot(rows: list[dict[str, Any]]) -> dict[str, Any]:
    values = []
    for r in rows:
        values.append({"covariate": r["covariate"], "smd": r["smd_before"], "when": _("before")})
        values.append({"covariate": r["covariate"], "smd": r["smd_after"], "when": _("after")})
    return _base(
        values,
        title=_("Standardised mean difference before and after"),
        layer=[
            {
                "mark": {"type": "point", "filled": True, "size": 80},
                "encoding": {
                    "y": {"field": "covariate", "type": "nominal", "title": None},
                    "x": {"field": "smd", "type": "quantitative", "title": _("SMD")},
                    "color": {"field": "when", "type": "nominal", "title": None},
                },
            },
            {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "grey"}, "encoding": {"x": {"datum": 0.1}}},
            {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "grey"}, "encoding": {"x": {"datum": -0.1}}},
        ],
    )


def parallel_trends(trends: dict[str, Any]) -> dict[str, Any]:
    """The raw means of the outcome by period, one line per group (never treated, each adoption
    cohort), with a dashed line just before each adoption period."""
    axis_x = {
        "field": "period",
        "type": "quantitative",
        "title": _("Period"),
        "axis": {"format": "d", "tickMinStep": 1},
    }
    rules = [{"adoption": a - 0.5} for a in trends.get("adoption", [])]
    return _base(
        trends["rows"],
        title=_("Raw means of the outcome by period (parallel trends)"),
        layer=[
            {
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": axis_x,
                    "y": {
                        "field": "mean",
                        "type": "quantitative",
                        "title": _("Mean outcome"),
                        "scale": {"zero": False},
                    },
                    "color": {"field": "group", "type": "nominal", "title": _("Group")},
                    "tooltip": [
                        {"field": "group"},
                        {"field": "period"},
                        {"field": "mean", "format": ",.4~g"},
                        {"field": "n"},
                    ],
                },
            },
            {
                "data": {"values": rules},
                "mark": {"type": "rule", "strokeDash": [2, 2], "color": "firebrick"},
                "encoding": {"x": {"field": "adoption", "type": "quantitative"}},
            },
        ],
    )


def for_evaluation(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The plots a saved evaluation's page shows, with their accessible descriptions."""
    out: list[tuple[str, dict[str, Any]]] = []
    trends = result.get("trends")
    if trends and trends.get("rows"):
        out.append(
            (
                _(
                    "Parallel trends: the raw mean of the outcome in each period for the households never treated and "
                    "for each group that started in the same period; before the dashed line the lines should move alike"
                ),
                parallel_trends(trends),
            )
        )
    study = result.get("event_study")
    if study:
        out.append(
            (
                # xgettext:no-python-format
                _("Event-study coefficients with 95 % intervals"),
                coefficients(
                    study["diagnostics"]["coefficients"], "relative_period", "coef", _("Event study (leads and lags)")
                ),
            )
        )
    robust = result.get("robust")
    if robust:
        out.append(
            (
                _("Callaway–Sant'Anna effects by period since adoption"),
                coefficients(
                    robust["diagnostics"]["dynamic"],
                    "relative_period",
                    "att",
                    _("Effects by period since adoption (Callaway–Sant'Anna)"),
                ),
            )
        )
    binned = result.get("diagnostics", {}).get("binned")
    if binned:
        out.append((_("RD plot: binned means and fits on each side of the cut-off"), rd_plot(binned)))
    if result.get("balance"):
        out.append((_("Balance plot"), balance_plot(result["balance"])))
    return out


def scenarios(columns: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """P0 before and after for each scenario side by side."""
    values = []
    for title, r in columns:
        values.append({"scenario": title, "when": _("before"), "p0": r["p0_before"]})
        values.append({"scenario": title, "when": _("after"), "p0": r["p0_after"]})
    return _base(
        values,
        title=_("Poverty headcount before and after"),
        mark="bar",
        encoding={
            "x": {"field": "scenario", "type": "nominal", "title": None},
            "xOffset": {"field": "when"},
            "y": {"field": "p0", "type": "quantitative", "title": "P0", "axis": {"format": "%"}},
            "color": {"field": "when", "type": "nominal", "title": None},
        },
    )
