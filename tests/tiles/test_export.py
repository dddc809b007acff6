"""The PMTiles export of a plan, run as its command, read back with the pmtiles reader."""

from __future__ import annotations

import gzip
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import mapbox_vector_tile
from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression, TileType

ROOT = Path(__file__).resolve().parents[2]


def _run(reader_conninfo: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, EU_TILES_DATABASE_URL=reader_conninfo, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "tiles.export", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


def test_a_plan_exports_to_pmtiles_with_its_zones(reader_conninfo, tmp_path, django_db_blocker):
    from planning.models import PlanningDocument

    with django_db_blocker.unblock():
        code = PlanningDocument.objects.get().code
    out = tmp_path / "plan.pmtiles"
    result = _run(reader_conninfo, "--document", code, "--out", str(out), "--maxzoom", "12")
    assert result.returncode == 0, result.stderr
    assert "tiles" in result.stderr  # the tqdm progress bar
    summary = json.loads(result.stdout)
    assert summary["tiles"] > 0 and summary["bytes"] == out.stat().st_size

    with out.open("rb") as f:
        reader = Reader(MmapSource(f))
        header = reader.header()
        assert header["tile_type"] == TileType.MVT
        assert header["tile_compression"] == Compression.GZIP
        assert (header["min_zoom"], header["max_zoom"]) == (8, 12)
        assert {layer["id"] for layer in reader.metadata()["vector_layers"]} == {
            "zones",
            "prescriptions",
        }
        lon = (header["min_lon_e7"] + header["max_lon_e7"]) / 2e7
        lat = (header["min_lat_e7"] + header["max_lat_e7"]) / 2e7
        n = 1 << 12
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        tile = mapbox_vector_tile.decode(gzip.decompress(reader.get(12, x, y)))
    assert tile["zones"]["features"]
    assert {f["properties"]["document_code"] for f in tile["zones"]["features"]} == {code}


def test_an_unknown_plan_is_refused_with_the_published_codes(reader_conninfo, tmp_path):
    result = _run(reader_conninfo, "--document", "NOPE", "--out", str(tmp_path / "x.pmtiles"))
    assert result.returncode == 2
    assert "No published plan has the code 'NOPE'" in result.stderr
    assert "PA-" in result.stderr
