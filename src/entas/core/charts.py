"""Vega-Lite specifications built on the server (rendered in the page by the vendored vega-embed)."""

from __future__ import annotations

from typing import Any

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched


def region_map(
    rows: list[dict[str, Any]], *, value: str, value_title: str, name_title: str
) -> dict[str, Any] | None:
    """A map of one value per region: a choropleth when every region has a boundary, else
    proportional circles on the centroids. None when there is nothing to place on a map.
    """
    tooltip = [
        {"field": "name", "title": name_title},
        {"field": "kecamatan", "title": "Kecamatan"},
        {"field": value, "title": value_title, "format": ",d"},
    ]
    if rows and all(r.get("boundary") for r in rows):
        features = [
            {
                "type": "Feature",
                "geometry": r["boundary"],
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
        "data": {
            "values": [{k: r[k] for k in ("code", "name", "kecamatan", "lat", "lng", value)} for r in points]
        },
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
            },
            "tooltip": tooltip,
        },
    }
