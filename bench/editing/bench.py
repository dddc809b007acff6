"""Editing benchmarks (issue 3): import, version validation, one-zone save; each vs raw GDAL/SQL.

Run: `make bench-editing` (or: . scripts/env.sh && .venv/bin/python bench/editing/bench.py).
It uses its own database (EU_BENCH_DB, default eurbanisme_bench_edit), created and loaded with a
200,000-zone plan on first run. Figures are medians; the machine is shared, so read the ratios.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DB = os.environ.get("EU_BENCH_DB", "eurbanisme_bench_edit")
ZONES = int(os.environ.get("EU_BENCH_ZONES", "200000"))


def _prepare() -> None:
    names = subprocess.run(
        ["psql", "-d", "postgres", "-Atc", "SELECT datname FROM pg_database"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    exists = DB in names
    os.environ["PGDATABASE"] = DB
    manage = [sys.executable, str(ROOT / "backend" / "manage.py")]
    if not exists:
        subprocess.run(["createdb", "-T", "template1", DB], check=True)
    subprocess.run([*manage, "migrate", "-v", "0"], check=True)
    subprocess.run([*manage, "load_demo", "--if-empty", "--zones", str(ZONES)], check=True)


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    _prepare()
    sys.path[:0] = [str(ROOT), str(ROOT / "backend")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eurbanisme.settings")
    import django

    django.setup()
    import pyogrio
    from django.db import connection, transaction

    from planning import selectors, services, transfer
    from planning.models import PlanVersion, VersionStage

    approved = PlanVersion.objects.get(stage=VersionStage.APPROVED)
    print(f"plan: {approved.zones.count()} zones in the approved version")
    rows = []

    # 1. Import of 50,000 zones from a GeoPackage drawn in EPSG:26191, validation included.
    with tempfile.TemporaryDirectory() as tmp:
        frame = transfer.zones_frame(approved).head(50_000).to_crs(26191)
        gpkg = Path(tmp) / "zones.gpkg"
        pyogrio.write_dataframe(frame, gpkg, driver="GPKG")
        data = gpkg.read_bytes()

        def ours():
            with transaction.atomic():
                study = services.version_create(document=approved.document, label="b", by=None)
                transfer.zones_import(
                    version=study, data=data, name="zones.gpkg", by=None, dry_run=True
                )
                transaction.set_rollback(True)

        def ogr2ogr():
            subprocess.run(
                [
                    "ogr2ogr",
                    "-f",
                    "PostgreSQL",
                    f"PG:dbname={DB}",
                    str(gpkg),
                    "-nln",
                    "bench_raw_import",
                    "-overwrite",
                    "-t_srs",
                    "EPSG:4326",
                    "-lco",
                    "SPATIAL_INDEX=NONE",
                    "--config",
                    "PG_USE_COPY",
                    "YES",
                ],
                check=True,
            )

        ours_t, raw_t = statistics.median(_timed(ours, 3)), statistics.median(_timed(ogr2ogr, 3))
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_raw_import")
        rows.append(
            (
                "import 50,000 zones (GPKG, 26191)",
                f"{50_000 / ours_t:,.0f} rows/s",
                f"ogr2ogr {50_000 / raw_t:,.0f} rows/s",
                ours_t / raw_t,
            )
        )

    # 2. Validation report of a 10,000-zone version.
    with transaction.atomic():
        study = services.version_create(document=approved.document, label="v10k", by=None)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO planning_zone (version_id, key, code, label_fr, label_ar, family, "
                "max_height_m, max_levels, ground_coverage_max, floor_area_ratio_max, "
                "min_lot_area_m2, setback_road_m, setback_neighbour_m, allowed_uses, "
                "prohibited_uses, geom) SELECT %s, key, code, label_fr, label_ar, family, "
                "max_height_m, max_levels, ground_coverage_max, floor_area_ratio_max, "
                "min_lot_area_m2, setback_road_m, setback_neighbour_m, allowed_uses, "
                "prohibited_uses, geom FROM planning_zone WHERE version_id = %s "
                "ORDER BY id LIMIT 10000",
                [study.pk, approved.pk],
            )
            # As an import or a clone does: statistics for the new version.
            cursor.execute("ANALYZE planning_zone")

        def raw_valid():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM planning_zone WHERE version_id = %s "
                    "AND NOT ST_IsValid(geom)",
                    [study.pk],
                )

        ours_t = statistics.median(_timed(lambda: selectors.version_report(version=study), 3))
        raw_t = statistics.median(_timed(raw_valid, 3))
        rows.append(
            (
                "validate a 10,000-zone version (full report)",
                f"{ours_t:.2f} s",
                f"ST_IsValid scan {raw_t:.3f} s",
                ours_t / raw_t,
            )
        )
        transaction.set_rollback(True)

    # 3. Save of one edited zone in the 200,000-zone plan (service: lock, validate, event).
    with transaction.atomic():
        draft = services.version_clone(version=approved, label="edit", by=None)
        zones = list(
            draft.zones.order_by("id").values_list("id", flat=True)[:: max(1, ZONES // 200)]
        )
        from planning.models import Zone

        ours_ms, raw_ms = [], []
        for i, zone_id in enumerate(zones):
            zone = Zone.objects.get(pk=zone_id)
            start = time.perf_counter()
            services.zone_update(zone=zone, changes={"label_fr": f"edit {i}"}, by=None)
            ours_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE planning_zone SET label_fr = %s WHERE id = %s", [f"raw {i}", zone_id]
                )
            raw_ms.append((time.perf_counter() - start) * 1000)
        transaction.set_rollback(True)
    p99 = statistics.quantiles(ours_ms, n=100)[98]
    rows.append(
        (
            f"save one zone, {ZONES:,}-zone plan ({len(ours_ms)} edits)",
            f"median {statistics.median(ours_ms):.1f} ms, p99 {p99:.1f} ms",
            f"raw UPDATE median {statistics.median(raw_ms):.2f} ms",
            statistics.median(ours_ms) / statistics.median(raw_ms),
        )
    )

    print("\n| benchmark | ours | baseline | ratio |\n| --- | --- | --- | --- |")
    for name, ours_s, raw_s, ratio in rows:
        print(f"| {name} | {ours_s} | {raw_s} | {ratio:.1f}x |")


if __name__ == "__main__":
    main()
