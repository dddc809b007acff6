"""A MapLibre style.json over the served layers (the front end builds a richer one in JS)."""

from __future__ import annotations

from .layers import LAYERS

FONT = ["Noto Sans Regular"]
FAMILY_COLORS = {
    "dense_housing": "#d6604d",
    "villas": "#f4a582",
    "mixed": "#c2a5cf",
    "economic": "#7b6fb8",
    "tourism": "#35978f",
    "equipment": "#4393c3",
    "green": "#5aae61",
    "rural": "#dfc27d",
    "no_build": "#9e9e9e",
}
PRESCRIPTION_COLORS = {
    "equipment_reservation": "#1f5f8b",
    "road_reservation": "#8c510a",
    "green_reservation": "#1b7837",
    "easement": "#6a3d9a",
    "no_build_area": "#b2182b",
}


def _match(prop: str, colors: dict[str, str], default: str) -> list:
    expr: list = ["match", ["get", prop]]
    for key, color in colors.items():
        expr += [key, color]
    return expr + [default]


def build_style(tiles_base: str, origin: str, lang: str = "fr") -> dict:
    """The style: one vector source per layer (by its TileJSON URL), glyphs from our origin."""
    name = "name_ar" if lang == "ar" else "name_fr"
    sources = {
        n: {"type": "vector", "url": f"{tiles_base}/{n}.json", "attribution": "e-urbanisme"}
        for n in LAYERS
    }
    layers: list[dict] = [
        {"id": "background", "type": "background", "paint": {"background-color": "#f2efe9"}},
        {
            "id": "basemap-sea",
            "type": "fill",
            "source": "basemap",
            "source-layer": "basemap",
            "filter": ["==", ["get", "kind"], "sea"],
            "paint": {"fill-color": "#aad3df"},
        },
        {
            "id": "basemap-lines",
            "type": "line",
            "source": "basemap",
            "source-layer": "basemap",
            "filter": ["!=", ["get", "kind"], "sea"],
            "paint": {"line-color": "#c8c2b8", "line-width": 1},
        },
        {
            "id": "territories-line",
            "type": "line",
            "source": "territories",
            "source-layer": "territories",
            "paint": {
                "line-color": "#555555",
                "line-width": ["match", ["get", "level"], "commune", 1.5, 0.5],
                "line-dasharray": [3, 2],
            },
        },
        {
            "id": "zones-fill",
            "type": "fill",
            "source": "zones",
            "source-layer": "zones",
            "paint": {
                "fill-color": _match("family", FAMILY_COLORS, "#cccccc"),
                "fill-opacity": ["match", ["get", "status"], "draft", 0.35, 0.6],
            },
        },
        {
            "id": "zones-line",
            "type": "line",
            "source": "zones",
            "source-layer": "zones",
            "paint": {
                "line-color": "#444444",
                "line-width": 0.6,
                "line-dasharray": [
                    "match",
                    ["get", "status"],
                    "draft",
                    ["literal", [2, 2]],
                    ["literal", [1, 0]],
                ],
            },
        },
        {
            "id": "prescriptions-line",
            "type": "line",
            "source": "prescriptions",
            "source-layer": "prescriptions",
            "paint": {
                "line-color": _match("kind", PRESCRIPTION_COLORS, "#333333"),
                "line-width": 1.5,
            },
        },
        {
            "id": "equipment-circle",
            "type": "circle",
            "source": "equipment",
            "source-layer": "equipment",
            "minzoom": 13,
            "paint": {
                "circle-radius": 4,
                "circle-color": "#4393c3",
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 1,
            },
        },
        # Observations: a heat map where they are dense, each one as a point up close.
        {
            "id": "observations-heat",
            "type": "heatmap",
            "source": "observations",
            "source-layer": "observations",
            "maxzoom": 16,
            "paint": {
                # Below z14 a feature may be a cluster of point_count observations.
                "heatmap-weight": ["coalesce", ["get", "point_count"], 1],
                "heatmap-radius": ["interpolate", ["linear"], ["zoom"], 10, 12, 15, 30],
                "heatmap-opacity": ["interpolate", ["linear"], ["zoom"], 14, 0.8, 16, 0],
            },
        },
        {
            "id": "observations-circle",
            "type": "circle",
            "source": "observations",
            "source-layer": "observations",
            "minzoom": 14,
            "paint": {
                "circle-radius": 5,
                "circle-color": "#d6604d",
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 1.5,
            },
        },
        {
            "id": "zones-label",
            "type": "symbol",
            "source": "zones",
            "source-layer": "zones",
            "minzoom": 14,
            "layout": {"text-field": ["get", "code"], "text-font": FONT, "text-size": 11},
            "paint": {"text-color": "#222222", "text-halo-color": "#ffffff", "text-halo-width": 1},
        },
        {
            "id": "territories-label",
            "type": "symbol",
            "source": "territories",
            "source-layer": "territories",
            "filter": ["==", ["get", "level"], "commune"],
            "layout": {"text-field": ["get", name], "text-font": FONT, "text-size": 13},
            "paint": {
                "text-color": "#333333",
                "text-halo-color": "#ffffff",
                "text-halo-width": 1.5,
            },
        },
    ]
    return {
        "version": 8,
        "name": "e-urbanisme",
        "metadata": {"e-urbanisme:lang": lang},
        "center": [-7.62, 33.53],
        "zoom": 12,
        "glyphs": f"{origin}/static/app/glyphs/{{fontstack}}/{{range}}.pbf",
        "sources": sources,
        "layers": layers,
    }
