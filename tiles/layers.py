"""The tile layers: one `.sql` file each, and the metadata that TileJSON declares."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"


@dataclass(frozen=True)
class Layer:
    name: str
    view: str
    description: str
    fields: dict[str, str]
    minzoom: int = 0
    maxzoom: int = 22
    extra: dict = field(default_factory=dict)

    @cached_property
    def sql(self) -> str:
        """The ST_AsMVT query, with %(z)s, %(x)s and %(y)s bound by the driver."""
        return (SQL_DIR / f"{self.name}.sql").read_text()


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
            "equipment",
            "publish.equipment",
            "Équipements publics existants.",
            {"id": "Number", "kind": "String", "name_fr": "String", "name_ar": "String"},
        ),
        Layer(
            "basemap",
            "publish.basemap",
            "Fond de plan servi par le système: mer, trait de côte, routes, oueds, voie ferrée.",
            {"kind": "String", "name_fr": "String", "name_ar": "String"},
        ),
    ]
}
