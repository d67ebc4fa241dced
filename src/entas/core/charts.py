"""Vega-Lite specifications built on the server (rendered in the page by the vendored vega-embed)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from django.utils.translation import gettext as _

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched


def _signed_area(ring: list[list[float]]) -> float:
    """Shoelace area in the lon/lat plane: positive when the ring runs counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in pairwise(ring)) / 2


def rewind_for_d3(geometry: dict[str, Any]) -> dict[str, Any]:
    """Orient rings the way d3-geo (and so Vega) expects: exterior rings clockwise, holes
    counter-clockwise. RFC 7946 GeoJSON uses the opposite order, which d3 reads as "the whole
    globe except this polygon" and paints the entire map.
    """

    def polygon(rings: list[Any]) -> list[Any]:
        out = []
        for index, ring in enumerate(rings):
            clockwise = _signed_area(ring) < 0
            want_clockwise = index == 0
            out.append(ring if clockwise == want_clockwise else ring[::-1])
        return out

    if geometry.get("type") == "Polygon":
        return {"type": "Polygon", "coordinates": polygon(geometry["coordinates"])}
    if geometry.get("type") == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [polygon(p) for p in geometry["coordinates"]]}
    return geometry


def region_map(
    rows: list[dict[str, Any]], *, value: str, value_title: str, name_title: str, value_format: str = ",d"
) -> dict[str, Any] | None:
    """A map of one value per region: a choropleth when every region has a boundary, else
    proportional circles on the centroids. None when there is nothing to place on a map.
    """
    tooltip = [
        {"field": "name", "title": name_title},
        {"field": "kecamatan", "title": _("Kecamatan")},
        {"field": value, "title": value_title, "format": value_format},
    ]
    if rows and all(r.get("boundary") for r in rows):
        features = [
            {
                "type": "Feature",
                "geometry": rewind_for_d3(r["boundary"]),
                "properties": {k: r[k] for k in ("code", "name", "kecamatan", value)},
            }
            for r in rows
        ]
        return {
            "$schema": VEGA_LITE_SCHEMA,
            "width": "container",
            "height": 420,
            "data": {
                "values": {"type": "FeatureCollection", "features": features},
                "format": {"type": "json", "property": "features"},
            },
            "projection": {"type": "mercator"},
            "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.8},
            "encoding": {
                "color": {
                    "field": f"properties.{value}",
                    "type": "quantitative",
                    "title": value_title,
                    "scale": {"scheme": "blues"},
                    "legend": {"format": value_format},
                },
                "tooltip": [{**t, "field": f"properties.{t['field']}"} for t in tooltip],
            },
        }
    points = [r for r in rows if r.get("lat") is not None and r.get("lng") is not None]
    if not points:
        return None
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": 420,
        "data": {"values": [{k: r[k] for k in ("code", "name", "kecamatan", "lat", "lng", value)} for r in points]},
        "projection": {"type": "mercator"},
        "mark": {"type": "circle", "fill": "#1f5fa8", "fillOpacity": 0.6, "stroke": "#0b2e59"},
        "encoding": {
            "longitude": {"field": "lng", "type": "quantitative"},
            "latitude": {"field": "lat", "type": "quantitative"},
            "size": {
                "field": value,
                "type": "quantitative",
                "title": value_title,
                "scale": {"range": [20, 1600]},
                "legend": {"format": value_format},
            },
            "tooltip": tooltip,
        },
    }


def bars_with_intervals(
    rows: list[dict[str, Any]],
    *,
    category: str,
    value: str,
    low: str,
    high: str,
    category_title: str,
    value_title: str,
    value_format: str = ".2f",
) -> dict[str, Any]:
    """Horizontal bars with 95 % confidence intervals as error bars (one row per area)."""
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": {"step": 22},
        "data": {"values": rows},
        "encoding": {"y": {"field": category, "type": "nominal", "title": category_title, "sort": None}},
        "layer": [
            {
                "mark": {"type": "bar", "color": "#1f5fa8"},
                "encoding": {
                    "x": {"field": value, "type": "quantitative", "title": value_title},
                    "tooltip": [
                        {"field": category, "title": category_title},
                        {"field": value, "title": value_title, "format": value_format},
                        {"field": low, "title": _("From (95 percent interval)"), "format": value_format},
                        {"field": high, "title": _("To (95 percent interval)"), "format": value_format},
                    ],
                },
            },
            {
                "mark": {"type": "errorbar", "color": "#111111", "ticks": True},
                "encoding": {"x": {"field": low, "type": "quantitative", "title": value_title}, "x2": {"field": high}},
            },
        ],
    }
