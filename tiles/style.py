"""The MapLibre style.json of the system: our basemap, territories, zones and prescriptions.

Every web page loads it from /tiles/style.json (`lang`, `plan`) and adds its own overlays on top.
The layer ids are a contract with the front end and its tests (frontend/README.md). Hatched
fills use `hatch-<kind>` images that the front end draws on demand (there is no sprite).
"""

from __future__ import annotations

from .layers import LAYERS

FONT_REGULAR = ["Noto Sans Regular"]
FONT_BOLD = ["Noto Sans Bold"]
LANGS = ("fr", "ar", "en")
PLANS = ("approved", "draft")
CENTER, ZOOM = [-7.62, 33.53], 12
SELECTED_ZONE_LAYER = "zones-selected"

# Zone families, in legend order. Conventional planning colours (warm = housing, violet =
# economic, blue = equipment, green = green spaces), chosen to stay distinct for the common
# colour-vision deficiencies at the fill opacity used below. frontend/src/style.js has the same
# table for the legend and the cards.
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
BASE = {
    "land": "#f3f0e8",
    "sea": "#aed0e6",
    "water_line": "#7fb2d4",
    "coast": "#5e94bb",
    "road": "#ffffff",
    "road_casing": "#b9b2a5",
    "road_primary": "#fff4d6",
    "road_primary_casing": "#c9a86a",
    "rail": "#8a8580",
    "commune": "#5b3f7a",
    "district": "#7d7390",
    "text": "#2b2b2b",
    "halo": "#ffffff",
}
TEXT_HALO = {"text-color": BASE["text"], "text-halo-color": BASE["halo"], "text-halo-width": 1.5}
POLYGON = ["Polygon", "MultiPolygon"]
LINE = ["LineString", "MultiLineString"]
POINT = ["Point", "MultiPoint"]


def label_field(kind: str, lang: str) -> list:
    """The text of a label layer: the name (or label) in `lang`, else in the other language."""
    fr, ar = ("name_fr", "name_ar") if kind == "name" else ("label_fr", "label_ar")
    first, second = (ar, fr) if lang == "ar" else (fr, ar)
    return ["coalesce", ["get", first], ["get", second], ""]


def zone_label_field(lang: str) -> list:
    """Zone labels: the code, and the zone's name under it at street zoom."""
    code = ["to-string", ["get", "code"]]
    small = {"font-scale": 0.8, "text-font": ["literal", FONT_REGULAR]}
    with_name = ["format", code, {}, "\n", {}, label_field("label", lang), small]
    return ["step", ["zoom"], code, 17, with_name]


def _match(prop: str, colors: dict[str, str], default: str) -> list:
    expr: list = ["match", ["get", prop]]
    for key, color in colors.items():
        expr += [key, color]
    return expr + [default]


def _is(prop: str, value: str) -> list:
    return ["==", ["get", prop], value]


def _geom_in(types: list[str]) -> list:
    return ["in", ["geometry-type"], ["literal", types]]


def _zoom(*stops, curve: list | None = None) -> list:
    return ["interpolate", curve or ["linear"], ["zoom"], *stops]


def _zone_layers(plan: str, lang: str, visibility: str) -> dict[str, list[dict]]:
    src = {"source": "zones", "source-layer": "zones"}
    status = _is("status", plan)
    line_paint = {
        "line-color": "#4a4036",
        "line-opacity": _zoom(10, 0.35, 15, 0.8),
        "line-width": _zoom(10, 0.4, 14, 0.9, 18, 2),
    }
    if plan == "draft":
        # Dashed outlines, so a screenshot of the draft cannot be taken for the plan in force.
        line_paint["line-dasharray"] = [3, 2]
    return {
        "fill": [
            {
                "id": f"zones-{plan}-fill",
                "type": "fill",
                **src,
                "filter": status,
                "layout": {"visibility": visibility},
                "paint": {
                    "fill-color": _match("family", FAMILY_COLORS, "#cccccc"),
                    "fill-opacity": _zoom(10, 0.7, 16, 0.5),
                },
            },
            {
                "id": f"zones-{plan}-hatch",
                "type": "fill",
                **src,
                "filter": ["all", status, _is("family", "no_build")],
                "layout": {"visibility": visibility},
                "paint": {"fill-pattern": "hatch-no_build", "fill-opacity": 0.6},
            },
        ],
        "line": [
            {
                "id": f"zones-{plan}-line",
                "type": "line",
                **src,
                "filter": status,
                "layout": {"visibility": visibility, "line-join": "round"},
                "paint": line_paint,
            }
        ],
        "label": [
            {
                "id": f"zones-{plan}-label",
                "type": "symbol",
                **src,
                "minzoom": 14,
                "filter": status,
                "layout": {
                    "visibility": visibility,
                    "text-field": zone_label_field(lang),
                    "text-font": FONT_BOLD,
                    "text-size": _zoom(14, 11, 18, 15),
                    "text-max-width": 9,
                    "text-padding": 4,
                },
                "paint": {**TEXT_HALO, "text-color": "#1a1a1a", "text-halo-width": 1.8},
            }
        ],
    }


def _prescription_layers(plan: str, lang: str, visibility: str) -> dict[str, list[dict]]:
    src = {"source": "prescriptions", "source-layer": "prescriptions"}
    status = _is("status", plan)
    kind_color = _match("kind", PRESCRIPTION_COLORS, "#555555")
    return {
        "area": [
            {
                "id": f"prescriptions-{plan}-fill",
                "type": "fill",
                **src,
                "filter": ["all", status, _geom_in(POLYGON)],
                "layout": {"visibility": visibility},
                "paint": {
                    "fill-pattern": ["concat", "hatch-", ["get", "kind"]],
                    "fill-opacity": _zoom(11, 0.45, 15, 0.9),
                },
            },
            {
                "id": f"prescriptions-{plan}-outline",
                "type": "line",
                **src,
                "filter": ["all", status, _geom_in(POLYGON)],
                "layout": {"visibility": visibility, "line-join": "round"},
                "paint": {
                    "line-color": kind_color,
                    "line-width": _zoom(11, 0.6, 16, 2),
                    "line-opacity": _zoom(11, 0.6, 15, 1),
                    "line-dasharray": [4, 2],
                },
            },
            {
                "id": f"prescriptions-{plan}-line",
                "type": "line",
                **src,
                "filter": ["all", status, _geom_in(LINE)],
                "layout": {"visibility": visibility, "line-cap": "butt", "line-join": "round"},
                "paint": {
                    "line-color": kind_color,
                    "line-width": _zoom(11, 1.5, 18, 10, curve=["exponential", 1.6]),
                    "line-opacity": 0.8,
                    "line-dasharray": [2, 1],
                },
            },
        ],
        "point": [
            {
                "id": f"prescriptions-{plan}-point",
                "type": "circle",
                **src,
                "filter": ["all", status, _geom_in(POINT)],
                "layout": {"visibility": visibility},
                "paint": {
                    "circle-color": kind_color,
                    "circle-radius": _zoom(11, 3, 17, 8),
                    "circle-stroke-color": "#ffffff",
                    "circle-stroke-width": 1.5,
                },
            }
        ],
        "label": [
            {
                "id": f"prescriptions-{plan}-label",
                "type": "symbol",
                **src,
                "minzoom": 15,
                "filter": status,
                "layout": {
                    "visibility": visibility,
                    "text-field": label_field("label", lang),
                    "text-font": FONT_REGULAR,
                    "text-size": 11,
                    "text-max-width": 8,
                    "text-offset": [0, 1.1],
                    "text-optional": True,
                },
                "paint": {**TEXT_HALO, "text-color": kind_color},
            }
        ],
    }


def _basemap_layers(lang: str) -> dict[str, list[dict]]:
    src = {"source": "basemap", "source-layer": "basemap"}
    round_line = {"line-cap": "round", "line-join": "round"}

    def road_width(z10: float, z18: float) -> list:
        return _zoom(10, z10, 18, z18, curve=["exponential", 1.5])

    def line(id_: str, kind: str, paint: dict, **extra) -> dict:
        layer = {"id": id_, "type": "line", **src, **extra}
        return {**layer, "filter": _is("kind", kind), "paint": paint}

    return {
        "water": [
            {
                "id": "basemap-sea",
                "type": "fill",
                **src,
                "filter": _is("kind", "sea"),
                "paint": {"fill-color": BASE["sea"]},
            }
        ],
        "lines": [
            line(
                "basemap-river",
                "river",
                {"line-color": BASE["water_line"], "line-width": road_width(1, 5)},
                layout=round_line,
            ),
            line(
                "basemap-coastline",
                "coastline",
                {"line-color": BASE["coast"], "line-width": _zoom(8, 0.8, 16, 2)},
            ),
            line(
                "basemap-road-secondary-casing",
                "road_secondary",
                {"line-color": BASE["road_casing"], "line-width": road_width(1.6, 14)},
                minzoom=11,
                layout=round_line,
            ),
            line(
                "basemap-road-primary-casing",
                "road_primary",
                {"line-color": BASE["road_primary_casing"], "line-width": road_width(2.6, 22)},
                layout=round_line,
            ),
            line(
                "basemap-road-secondary",
                "road_secondary",
                {"line-color": BASE["road"], "line-width": road_width(0.8, 11)},
                layout=round_line,
            ),
            line(
                "basemap-road-primary",
                "road_primary",
                {"line-color": BASE["road_primary"], "line-width": road_width(1.6, 18)},
                layout=round_line,
            ),
            line(
                "basemap-rail",
                "rail",
                {"line-color": BASE["rail"], "line-width": _zoom(10, 1, 16, 3)},
            ),
            line(
                "basemap-rail-ties",
                "rail",
                {
                    "line-color": BASE["rail"],
                    "line-width": _zoom(13, 4, 16, 7),
                    "line-dasharray": [0.15, 1.5],
                },
                minzoom=13,
            ),
        ],
        "labels": [
            {
                "id": "basemap-road-label",
                "type": "symbol",
                **src,
                "minzoom": 13,
                "filter": ["in", ["get", "kind"], ["literal", ["road_primary", "road_secondary"]]],
                "layout": {
                    "symbol-placement": "line",
                    "text-field": label_field("name", lang),
                    "text-font": FONT_REGULAR,
                    "text-size": _zoom(13, 10, 18, 14),
                    "text-padding": 8,
                },
                "paint": {**TEXT_HALO, "text-color": "#4d4d4d"},
            },
            {
                "id": "basemap-sea-label",
                "type": "symbol",
                **src,
                "filter": ["all", _is("kind", "sea"), ["has", "name_fr"]],
                "layout": {
                    "text-field": label_field("name", lang),
                    "text-font": FONT_REGULAR,
                    "text-size": 14,
                    "text-letter-spacing": 0.15,
                    "text-max-width": 8,
                },
                "paint": {
                    "text-color": "#2f6690",
                    "text-halo-color": "rgba(255,255,255,0.6)",
                    "text-halo-width": 1,
                },
            },
        ],
    }


def _territory_layers(lang: str) -> dict[str, list[dict]]:
    src = {"source": "territories", "source-layer": "territories"}
    district, commune = _is("level", "district"), _is("level", "commune")
    return {
        "lines": [
            {
                "id": "territories-district-line",
                "type": "line",
                **src,
                "minzoom": 12,
                "filter": district,
                "paint": {
                    "line-color": BASE["district"],
                    "line-width": _zoom(12, 0.8, 17, 1.6),
                    "line-dasharray": [1, 2],
                },
            },
            {
                "id": "territories-commune-casing",
                "type": "line",
                **src,
                "filter": commune,
                "paint": {
                    "line-color": "#ffffff",
                    "line-opacity": 0.8,
                    "line-width": _zoom(8, 2.5, 16, 6),
                },
            },
            {
                "id": "territories-commune-line",
                "type": "line",
                **src,
                "filter": commune,
                "layout": {"line-join": "round"},
                "paint": {
                    "line-color": BASE["commune"],
                    "line-width": _zoom(8, 1.2, 16, 3),
                    "line-dasharray": [5, 2, 1, 2],
                },
            },
        ],
        "labels": [
            {
                "id": "territories-district-label",
                "type": "symbol",
                **src,
                "minzoom": 13,
                "filter": district,
                "layout": {
                    "text-field": label_field("name", lang),
                    "text-font": FONT_REGULAR,
                    "text-size": 12,
                    "text-max-width": 8,
                    "text-padding": 10,
                },
                "paint": {**TEXT_HALO, "text-color": "#4e4366"},
            },
            {
                "id": "territories-commune-label",
                "type": "symbol",
                **src,
                # Polygon labels repeat in every tile a commune covers: stop before they crowd.
                "maxzoom": 13,
                "filter": commune,
                "layout": {
                    "text-field": label_field("name", lang),
                    "text-font": FONT_BOLD,
                    "text-size": _zoom(9, 12, 14, 17),
                    "text-transform": "uppercase",
                    "text-letter-spacing": 0.08,
                    "text-max-width": 10,
                    "text-padding": 20,
                },
                "paint": {**TEXT_HALO, "text-color": BASE["commune"], "text-halo-width": 2},
            },
        ],
    }


def build_style(tiles_base: str, origin: str, lang: str = "fr", plan: str = "approved") -> dict:
    """The style: one vector source per layer (by its TileJSON URL), glyphs from our origin;
    map labels in `lang` ('fr', 'ar' or 'en'), the layers of `plan` visible, the other's hidden."""
    lang = lang if lang in LANGS else "fr"
    plan = plan if plan in PLANS else "approved"
    sources = {
        n: {"type": "vector", "url": f"{tiles_base}/{n}.json", "attribution": "e-urbanisme"}
        for n in LAYERS
    }
    sources["zones"]["attribution"] = "Agence urbaine — e-urbanisme"
    sources["basemap"]["attribution"] = "Fond de plan e-urbanisme"
    base, terr = _basemap_layers(lang), _territory_layers(lang)
    zones = {p: _zone_layers(p, lang, "visible" if p == plan else "none") for p in PLANS}
    presc = {p: _prescription_layers(p, lang, "visible" if p == plan else "none") for p in PLANS}

    def each(by_plan: dict, part: str) -> list[dict]:
        return [layer for p in PLANS for layer in by_plan[p][part]]

    layers = [
        {"id": "background", "type": "background", "paint": {"background-color": BASE["land"]}},
        *base["water"],
        *each(zones, "fill"),
        *base["lines"],
        *each(presc, "area"),
        *each(zones, "line"),
        *terr["lines"],
        {
            "id": SELECTED_ZONE_LAYER,
            "type": "line",
            "source": "zones",
            "source-layer": "zones",
            "filter": ["==", ["get", "id"], -1],
            "layout": {"line-join": "round"},
            "paint": {"line-color": "#0b3c5d", "line-width": 4},
        },
        *each(presc, "point"),
        *base["labels"],
        *terr["labels"],
        *each(presc, "label"),
        *each(zones, "label"),
    ]
    return {
        "version": 8,
        "name": "e-urbanisme",
        "metadata": {"e-urbanisme:lang": lang, "e-urbanisme:plan": plan},
        "center": CENTER,
        "zoom": ZOOM,
        "glyphs": f"{origin}/static/app/glyphs/{{fontstack}}/{{range}}.pbf",
        "sources": sources,
        "layers": layers,
    }
