"""Export a published plan's tiles to one PMTiles file, for offline maps or pre-seeding a CDN.

    python -m tiles.export --document PA-CASA-2026 --out plan.pmtiles [--minzoom 8 --maxzoom 14]

Reads the `publish` views as the read-only role (EU_TILES_DATABASE_URL, or libpq's PG*
variables), like the tile service; each tile holds the plan's zones and prescriptions layers.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
from pathlib import Path

import psycopg
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from tqdm import tqdm

from .layers import LAYERS, SQL_DIR
from .settings import Settings

EXPORT_LAYERS = ("zones", "prescriptions")
BOUNDS_SQL = (SQL_DIR / "document_bounds.sql").read_text()
ERR_NO_DOCUMENT = "No published plan has the code {code!r}. Published plans: {available}."
ERR_ZOOMS = "--minzoom ({minzoom}) must be between 0 and --maxzoom ({maxzoom}), at most 16."


def _tile_range(bounds: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """The x and y ranges of the zoom-z tiles that cover WGS84 bounds."""
    west, south, east, north = bounds
    n = 1 << z

    def tx(lon: float) -> int:
        return min(n - 1, max(0, int((lon + 180) / 360 * n)))

    def ty(lat: float) -> int:
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return min(n - 1, max(0, int(y)))

    return tx(west), tx(east), ty(north), ty(south)


def export(
    conninfo: str, document: str, out: Path, minzoom: int, maxzoom: int, progress: bool = True
) -> int:
    """Write the plan's non-empty tiles to `out`; return how many were written."""
    if not 0 <= minzoom <= maxzoom <= 16:
        raise ValueError(ERR_ZOOMS.format(minzoom=minzoom, maxzoom=maxzoom))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(BOUNDS_SQL, {"document": document}).fetchone()
        if row is None or row[0] is None:
            codes = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT document_code FROM publish.plan_versions ORDER BY 1"
                )
            ]
            raise ValueError(ERR_NO_DOCUMENT.format(code=document, available=", ".join(codes)))
        bounds = tuple(float(v) for v in row)
        tiles = sorted(
            (zxy_to_tileid(z, x, y), z, x, y)
            for z in range(minzoom, maxzoom + 1)
            for x0, x1, y0, y1 in [_tile_range(bounds, z)]
            for x in range(x0, x1 + 1)
            for y in range(y0, y1 + 1)
        )
        written = 0
        with out.open("wb") as f:
            writer = Writer(f)
            # In tile-id order, so the archive is clustered (readers fetch neighbours together).
            for tileid, z, x, y in tqdm(tiles, desc=f"{document} tiles", disable=not progress):
                parts = []
                for name in EXPORT_LAYERS:
                    layer = LAYERS[name]
                    data = conn.execute(layer.sql, layer.params(z, x, y, document)).fetchone()[0]
                    if data:
                        parts.append(bytes(data))
                if parts:
                    # Concatenated MVT messages are one tile holding every layer.
                    writer.write_tile(tileid, gzip.compress(b"".join(parts), mtime=0))
                    written += 1
            west, south, east, north = bounds
            writer.finalize(
                {
                    "tile_type": TileType.MVT,
                    "tile_compression": Compression.GZIP,
                    "min_lon_e7": int(west * 1e7),
                    "min_lat_e7": int(south * 1e7),
                    "max_lon_e7": int(east * 1e7),
                    "max_lat_e7": int(north * 1e7),
                    "center_zoom": minzoom,
                    "center_lon_e7": int((west + east) / 2 * 1e7),
                    "center_lat_e7": int((south + north) / 2 * 1e7),
                },
                {
                    "name": document,
                    "attribution": "e-urbanisme",
                    "vector_layers": [
                        {
                            "id": n,
                            "fields": LAYERS[n].fields,
                            "minzoom": minzoom,
                            "maxzoom": maxzoom,
                        }
                        for n in EXPORT_LAYERS
                    ],
                },
            )
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m tiles.export", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--document", required=True, help="code of a published planning document")
    parser.add_argument("--out", required=True, type=Path, help="the .pmtiles file to write")
    parser.add_argument("--minzoom", type=int, default=8)
    parser.add_argument("--maxzoom", type=int, default=14)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        count = export(
            Settings.from_env().conninfo(),
            args.document,
            args.out,
            args.minzoom,
            args.maxzoom,
            progress=not args.quiet,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"out": str(args.out), "tiles": count, "bytes": args.out.stat().st_size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
