"""Exports of an analysed indicator layer: GeoPackage, GeoParquet, CSV, each with its metadata
(formula, sources, date, CRS, seed, method versions)."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import geopandas as gpd
import pyarrow.parquet as pq
import pyogrio
from django.utils import timezone

FORMATS = {
    "gpkg": "application/geopackage+sqlite3",
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv; charset=utf-8",
}
CRS = "EPSG:4326"
METADATA_KEY = b"e_urbanisme"


def metadata(indicator, result: dict) -> dict[str, str]:
    """What a reader of the file needs to trust it."""
    return {
        "indicator": indicator.code,
        "name_fr": indicator.name_fr,
        "name_ar": indicator.name_ar,
        "formula": indicator.formula,
        "unit": indicator.unit,
        "sources": indicator.source,
        "indicator_method_version": indicator.method_version,
        "measures_method_version": result["method_version"],
        "level": result["level"],
        "period": result["period"],
        "dimension": result["dimension"],
        "exported_at": timezone.now().isoformat(),
        "crs": CRS,
        "seed": str(result["options"]["seed"]),
        "permutations": str(result["options"]["permutations"]),
        "classification": f"{result['breaks']['scheme']} k={result['breaks']['k']} "
        f"bins={json.dumps(result['breaks']['bins'])}",
    }


def layer(frame: gpd.GeoDataFrame, result: dict) -> gpd.GeoDataFrame:
    """The values with their class, LISA cluster and priority level."""
    out = frame[frame["value"].notna()].reset_index(drop=True).copy()
    out["class"] = result["breaks"]["yb"]
    out["priority"] = result["priority"]
    if "lisa" in result:
        out["lisa_cluster"] = result["lisa"]["cluster"]
        out["lisa_p_sim"] = result["lisa"]["p_sim"] or [None] * len(out)
    return out.set_crs(CRS, allow_override=True)


def render(fmt: str, frame: gpd.GeoDataFrame, meta: dict[str, str]) -> bytes:
    """The layer as bytes in `fmt` (gpkg, parquet or csv)."""
    if fmt == "csv":
        head = "".join(f"# {k}: {v}\n" for k, v in meta.items())
        body = frame.drop(columns="geometry").assign(wkt=frame.geometry.to_wkt())
        return (head + body.to_csv(index=False)).encode()
    if fmt == "parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf)
        table = pq.read_table(io.BytesIO(buf.getvalue()))
        schema_meta = {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(meta).encode()}
        out = io.BytesIO()
        pq.write_table(table.replace_schema_metadata(schema_meta), out)
        return out.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "indicator.gpkg"
        pyogrio.write_dataframe(
            frame, path, layer=meta["indicator"], driver="GPKG", layer_metadata=meta
        )
        return path.read_bytes()
