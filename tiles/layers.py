"""The tile layers: one `.sql` file each, and the metadata that TileJSON declares."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"
# Half the Web Mercator world width, in metres.
WORLD_HALF = 20037508.342789244
# Below z13, polygons smaller than this many display pixels (512-px tiles) are left out: they
# would vanish when drawn, and dropping them before ST_AsMVTGeom keeps low-zoom tiles small.
MIN_PIXELS = 1.0
# Clusters gather what falls in one cell of this many display pixels.
CLUSTER_PIXELS = 48.0


# The attributes of the `indicators` layer: the keys of publish.indicator_latest (watch
# catalogue codes, "<code>.<dimension>" for a breakdown). tests/watch/test_watch_tiles.py checks
# them against the database, so a new indicator or dimension cannot go undeclared.
EQUIPMENT_KINDS = ("administration", "health_centre", "market", "mosque", "school", "sports")
ZONE_FAMILIES = (
    "dense_housing",
    "economic",
    "equipment",
    "green",
    "mixed",
    "no_build",
    "rural",
    "tourism",
    "villas",
)
INDICATOR_KEYS = (
    [
        "population",
        "density",
        "builtup_area",
        "builtup_share",
        "builtup_share_popweighted",
        "builtup_per_capita",
        "lcrpgr",
        "open_space_share",
        "open_space_access",
        "permits_count",
        "permits_floor_area",
    ]
    + [f"equipment_per_1000.{kind}" for kind in EQUIPMENT_KINDS]
    + [
        f"{code}.{kind}"
        for code in ("access_share", "access_2sfca")
        for kind in ("school", "health_centre")
    ]
    + [f"zoning_share.{family}" for family in ZONE_FAMILIES]
)


@dataclass(frozen=True)
class Layer:
    name: str
    view: str
    description: str
    fields: dict[str, str]
    geometry: str = "polygon"
    minzoom: int = 0
    maxzoom: int = 22
    # At most this many features per tile, declared in the TileJSON.
    feature_limit: int = 20000
    # Below this zoom, point-like features are grouped into clusters (0: never).
    cluster_below: int = 0

    @cached_property
    def sql(self) -> str:
        """The ST_AsMVT query; %(z)s, %(x)s, %(y)s and the zoom-derived values are bound."""
        return (SQL_DIR / f"{self.name}.sql").read_text()

    def params(
        self, z: int, x: int, y: int, document: str | None = None
    ) -> dict[str, float | int | str | None]:
        """The bound parameters of the layer query for one tile (`document`: one plan only)."""
        tile_m = 2 * WORLD_HALF / (1 << z)
        pixel_m = tile_m / 512
        return {
            "z": z,
            "x": x,
            "y": y,
            "limit": self.feature_limit,
            "min_area": MIN_PIXELS * pixel_m * pixel_m if z < 13 else 0.0,
            "document": document,
            "cluster_m": CLUSTER_PIXELS * pixel_m if z < self.cluster_below else 0.0,
        }


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in [
        Layer(
            "zones",
            "publish.zones",
            "Zones des plans d'aménagement publiés (approuvés, et projets dès l'ouverture "
            "de leur enquête publique).",
            {
                "id": "Number",
                "code": "String",
                "label_fr": "String",
                "label_ar": "String",
                "family": "String",
                "status": "String",
                "version_id": "Number",
                "document_code": "String",
            },
            # ~8,000 parcels-sized zones make ~450 KB of MVT (~200 KB gzipped): under 500 KB.
            feature_limit=8000,
        ),
        Layer(
            "prescriptions",
            "publish.prescriptions",
            "Prescriptions: réservations pour équipements et voirie, servitudes, "
            "zones non aedificandi.",
            {
                "id": "Number",
                "kind": "String",
                "label_fr": "String",
                "label_ar": "String",
                "status": "String",
                "version_id": "Number",
                "expires_on": "String",
            },
        ),
        Layer(
            "territories",
            "publish.territories",
            "Communes et quartiers, avec leur population.",
            {
                "level": "String",
                "code": "String",
                "name_fr": "String",
                "name_ar": "String",
                "population": "Number",
            },
        ),
        Layer(
            "indicators",
            "publish.territories",
            "Indicateurs de la veille urbaine par commune (et par quartier dès le zoom 10): "
            "valeur de la dernière période de chaque indicateur, sous son code, ou "
            "<code>.<dimension> pour une ventilation (type d'équipement, famille de zones).",
            {"level": "String", "code": "String", "name_fr": "String", "name_ar": "String"}
            | {key: "Number" for key in INDICATOR_KEYS},
        ),
        Layer(
            "equipment",
            "publish.equipment",
            "Équipements publics existants.",
            {"id": "Number", "kind": "String", "name_fr": "String", "name_ar": "String"},
            geometry="point",
        ),
        Layer(
            "observations",
            "publish.observations",
            "Observations publiées des enquêtes publiques (modérées, anonymes sauf choix "
            "contraire de leur auteur), regroupées en amas (point_count) sous le zoom 14.",
            {
                "id": "Number",
                "inquiry_id": "Number",
                "register_number": "Number",
                "theme": "String",
                "channel": "String",
                "zone_code": "String",
                "author_display": "String",
                "submitted_on": "String",
                "point_count": "Number",
            },
            geometry="mixed",
            cluster_below=14,
        ),
        Layer(
            "basemap",
            "publish.basemap",
            "Fond de plan servi par le système: mer, trait de côte, routes, oueds, voie ferrée.",
            {"kind": "String", "name_fr": "String", "name_ar": "String"},
            geometry="mixed",
        ),
    ]
}
