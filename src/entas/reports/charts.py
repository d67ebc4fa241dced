"""The Vega-Lite specifications of a report's figures. Where a page draws the same chart, the spec is
the page's own (``entas.core.charts``): the kelurahan estimates are the bars with intervals the
poverty-profile page draws. Rendered offline to SVG/PNG by :mod:`.render` (vl-convert)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from entas.core.charts import VEGA_LITE_SCHEMA, bars_with_intervals


def kelurahan_bar(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Fay–Herriot kelurahan P0 with its 95 % interval (estimate ± 1.96 RMSE)."""
    values = [
        {
            "name": r["name"],
            "p0": r["benchmarked"],
            "low": max(0.0, r["benchmarked"] - 1.96 * (r.get("rmse") or 0.0)),
            "high": r["benchmarked"] + 1.96 * (r.get("rmse") or 0.0),
        }
        for r in rows
    ]
    return bars_with_intervals(
        values, category="name", value="p0", low="low", high="high", category_title=_("Kelurahan"), value_title="P0 (%)"
    )


def count_bars(rows: list[dict[str, Any]], *, field: str, title: str) -> dict[str, Any]:
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": {"step": 16},
        "data": {"values": [{"name": r["name"], field: r[field]} for r in rows]},
        "mark": {"type": "bar", "color": "#1f5fa8"},
        "encoding": {
            "y": {"field": "name", "type": "nominal", "title": _("Kelurahan"), "sort": "-x"},
            "x": {"field": field, "type": "quantitative", "title": title},
        },
    }


def opd_bars(by_opd: dict[str, dict[str, Any]]) -> dict[str, Any]:
    values = [
        {"opd": code, "what": what, "amount": m[key]}
        for code, m in by_opd.items()
        for what, key in ((_("Budget"), "budget"), (_("Realised"), "realised"))
    ]
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": {"step": 14},
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "opd", "type": "nominal", "title": _("OPD")},
            "yOffset": {"field": "what"},
            "x": {"field": "amount", "type": "quantitative", "title": "Rp"},
            "color": {"field": "what", "type": "nominal", "title": ""},
        },
    }


def official_trend(official: list[dict[str, Any]]) -> dict[str, Any] | None:
    values = [{"indicator": o["indicator"], "period": o["period"], "value": o["value"]} for o in official]
    if len({v["period"] for v in values}) < 2:
        return None
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": 220,
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "period", "type": "ordinal", "title": _("Period")},
            "y": {"field": "value", "type": "quantitative", "title": _("Value")},
            "color": {"field": "indicator", "type": "nominal", "title": _("Indicator")},
        },
    }


def comparison_trend(rows_history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """An indicator's values over time for the city, the province and the nation (SEPAKAT's trend)."""
    if len({r["period"] for r in rows_history}) < 2:
        return None
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": 200,
        "data": {"values": rows_history},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "period", "type": "ordinal", "title": _("Period")},
            "y": {"field": "value", "type": "quantitative", "title": _("Value")},
            "color": {"field": "area", "type": "nominal", "title": _("Area")},
            "strokeDash": {"field": "name", "type": "nominal", "title": _("Indicator")},
        },
    }


def deprivation_bars(quintiles: list[dict[str, Any]]) -> dict[str, Any]:
    """Per expenditure quintile, the share of households deprived in 0, 1, 2 and 3+ dimensions
    (stacked to 100 %)."""
    values = [
        {"quintile": f"Q{q['quintile']}", "deprivations": label, "order": i, "share": q["shares"][key]}
        for q in quintiles
        for i, (key, label) in enumerate((("0", "0"), ("1", "1"), ("2", "2"), ("3", "3+")))
        if q["shares"][key] is not None
    ]
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": 200,
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "x": {
                "field": "quintile",
                "type": "ordinal",
                "title": _("Expenditure quintile (1 = poorest)"),
                "axis": {"labelAngle": 0},
            },
            "y": {"field": "share", "type": "quantitative", "title": _("Households (%)"), "stack": "zero"},
            "color": {
                "field": "deprivations",
                "type": "ordinal",
                "title": _("Deprivations"),
                "scale": {"scheme": "orangered"},
                "sort": ["0", "1", "2", "3+"],
                "legend": {"orient": "bottom", "direction": "horizontal"},
            },
            "order": {"field": "order", "type": "quantitative"},
        },
    }
