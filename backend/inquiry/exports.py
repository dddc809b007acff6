"""Exports of the register for the commission: CSV and GeoPackage (hidden entries included)."""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
from django.utils import timezone
from shapely import wkb

from .models import Inquiry, Observation

# The ID number stays in the database: exports leave the system, the commission rarely needs it.
COLUMNS = [
    "register_number",
    "submitted_at",
    "channel",
    "theme",
    "author_name",
    "author_email",
    "publish_named",
    "consent_publication",
    "zone_code",
    "commune",
    "corrects_number",
    "hidden",
    "hidden_reason",
    "tags",
    "assigned_to",
    "answer",
    "attachments",
    "content_sha256",
    "body",
]


def register_rows(inquiry: Inquiry) -> list[dict[str, Any]]:
    """One flat row per entry, in register order, with its geometry as WKB."""
    entries = (
        Observation.objects.filter(inquiry=inquiry)
        .select_related("zone", "commune", "assigned_to", "corrects")
        .prefetch_related("attachments")
        .defer("context")
        .order_by("register_number")
    )
    rows = []
    for o in entries:
        rows.append(
            {
                "register_number": o.register_number,
                "submitted_at": timezone.localtime(o.submitted_at).isoformat(),
                "channel": o.channel,
                "theme": o.theme,
                "author_name": o.author_name,
                "author_email": o.author_email,
                "publish_named": o.publish_named,
                "consent_publication": o.consent_publication,
                "zone_code": o.zone.code if o.zone else "",
                "commune": o.commune.name_fr if o.commune else "",
                "corrects_number": o.corrects.register_number if o.corrects else None,
                "hidden": o.hidden,
                "hidden_reason": o.hidden_reason,
                "tags": " ".join(o.tags),
                "assigned_to": o.assigned_to.username if o.assigned_to else "",
                "answer": o.answer,
                "attachments": " ".join(f"{a.name}:{a.sha256}" for a in o.attachments.all()),
                "content_sha256": o.content_sha256,
                "body": o.body,
                "geom": bytes(o.geom.wkb) if o.geom else None,
            }
        )
    return rows


def register_digest(rows: list[dict[str, Any]]) -> str:
    """SHA-256 over the entries' own SHA-256, in register order: one figure for the register."""
    chain = hashlib.sha256()
    for row in rows:
        chain.update(f"{row['register_number']}:{row['content_sha256']}\n".encode())
    return chain.hexdigest()


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection), and a
# citizen's text could then fetch a URL or run a command on a commission member's computer.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _as_text(value: Any) -> Any:
    """A text cell that a spreadsheet shows as text, never runs: a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def register_csv(inquiry: Inquiry) -> bytes:
    """The register as CSV (UTF-8 with BOM, so spreadsheets read Arabic), geometry as WKT.

    Text that a spreadsheet would run as a formula gets a leading apostrophe; the register
    itself, its digest and the other exports keep the text exactly as written.
    """
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*COLUMNS, "geometry_wkt"])
    writer.writeheader()
    for row in register_rows(inquiry):
        geom = row.pop("geom")
        row = {key: _as_text(value) for key, value in row.items()}
        row["geometry_wkt"] = wkb.loads(geom).wkt if geom else ""
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode()


def register_geopackage(inquiry: Inquiry) -> bytes:
    """The register as a GeoPackage layer `register` in EPSG:4326 (undrawn entries too)."""
    rows = register_rows(inquiry)
    frame = gpd.GeoDataFrame(
        [{k: v for k, v in r.items() if k != "geom"} for r in rows],
        columns=COLUMNS,
        geometry=gpd.GeoSeries([wkb.loads(r["geom"]) if r["geom"] else None for r in rows]),
        crs="EPSG:4326",
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.gpkg"
        pyogrio.write_dataframe(
            frame, path, layer="register", driver="GPKG", geometry_type="Unknown"
        )
        return path.read_bytes()
