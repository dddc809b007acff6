"""Writes of the urban watch: the catalogue, indicator values, analysis runs."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from common.errors import Refused

from . import catalogue as cat
from . import compute
from .analysis import Options
from .models import AnalysisRun, GridCell, Indicator, IndicatorValue

# The demo's census is for one year; its 2014 population is back-projected at this annual rate
# (an assumption of the demo, written in the value's source, never used for real data).
DEMO_ANNUAL_GROWTH = 0.012
DEMO_PERIOD, DEMO_BASE_PERIOD = "2024", "2014"


def catalogue_sync() -> dict[str, Indicator]:
    """Create or update every indicator of the catalogue; returns them by code."""
    out = {}
    for row in cat.as_rows():
        code = row.pop("code")
        out[code], _ = Indicator.objects.update_or_create(code=code, defaults=row)
    return out


def values_replace(*, rows: Iterable[compute.Row], indicators: dict[str, Indicator]) -> int:
    """Replace the stored values of each (indicator, level, period) present in `rows`."""
    rows = list(rows)
    keys = {(r.indicator, r.level, r.period) for r in rows}
    with transaction.atomic():
        for code, level, period in keys:
            IndicatorValue.objects.filter(
                indicator=indicators[code], level=level, period=period
            ).delete()
        IndicatorValue.objects.bulk_create(
            IndicatorValue(
                indicator=indicators[r.indicator],
                level=r.level,
                unit_code=r.unit_code,
                period=r.period,
                dimension=r.dimension,
                value=r.value,
                population=r.population,
                method_version=indicators[r.indicator].method_version,
            )
            for r in rows
        )
    return len(rows)


def indicators_compute(
    *,
    rasters_dir: Path | None,
    period: str = DEMO_PERIOD,
    base_period: str = DEMO_BASE_PERIOD,
    base_population: dict[str, float] | None = None,
    progress: bool = True,
) -> int:
    """Compute every indicator of the catalogue from the database (and rasters if given)."""
    indicators = catalogue_sync()
    units = compute.districts()
    steps = [
        ("population", lambda: compute.population_and_density(units, period)),
        ("equipment", lambda: compute.equipment_per_1000(units, period)),
        ("zoning", lambda: compute.zoning_composition(units, period)),
        ("permits", lambda: compute.permits(units)),
    ]
    if rasters_dir is not None:
        raster = compute._raster(rasters_dir, "population")
        # Read once, for both access steps.
        grid = functools.cache(lambda: compute.population_grid(units, raster))
        steps += [
            ("access", lambda: compute.access(units, grid(), period)),
            ("open space access", lambda: compute.open_space_access(units, grid(), period)),
            (
                "rasters",
                lambda: compute.builtup(units, rasters_dir, period, base_period, base_population),
            ),
            ("grid cells", lambda: _grid_cells(units, rasters_dir, period)),
        ]
    if base_population:
        steps.append(
            (
                "base population",
                lambda: [
                    compute.Row(
                        "population", "district", code, base_period, value, population=value
                    )
                    for code, value in base_population.items()
                ],
            )
        )
    total = 0
    with tqdm(steps, desc="indicators", unit="step", disable=not progress) as bar:
        for name, step in bar:
            bar.set_postfix_str(name)
            total += values_replace(rows=step(), indicators=indicators)
    return total


def _grid_cells(units, rasters_dir: Path, period: str) -> list[compute.Row]:
    """Replace the analysis grid (1 km cells) and compute its indicators."""
    cells = compute.grid_cells(units, compute._raster(rasters_dir, "population"))
    geoms = compute.to_wgs84(cells.geometry)
    with transaction.atomic():
        IndicatorValue.objects.filter(level="cell").delete()
        GridCell.objects.all().delete()
        GridCell.objects.bulk_create(
            GridCell(
                code=c, size_m=compute.GRID_CELL_M, district_code=d, geom=GEOSGeometry(g, 4326)
            )
            for c, d, g in zip(cells["code"], cells["district"], geoms, strict=True)
        )
    return compute.cell_rows(cells, rasters_dir, period)


def demo_base_population(years: int) -> dict[str, float]:
    """The demo's back-projected population of each district `years` before its census."""
    from territory.models import District

    factor = (1 + DEMO_ANNUAL_GROWTH) ** years
    return {
        code: round(pop / factor)
        for code, pop in District.objects.values_list("code", "population")
    }


def indicators_compute_demo(*, rasters_dir: Path | None, progress: bool = True) -> int:
    """The demo's indicators (called by the demo loader)."""
    years = int(DEMO_PERIOD) - int(DEMO_BASE_PERIOD)
    return indicators_compute(
        rasters_dir=rasters_dir, base_population=demo_base_population(years), progress=progress
    )


def analysis_run_record(
    *,
    indicator: Indicator,
    level: str,
    period: str,
    dimension: str,
    options: Options,
    result: dict | None,
    message: str = "",
) -> AnalysisRun:
    """Store an analysis as it was run: inputs, seed, method version, result or failure."""
    from .measures import MEASURES_VERSION

    return AnalysisRun.objects.create(
        indicator=indicator,
        level=level,
        period=period,
        dimension=dimension,
        parameters=options.as_dict(),
        seed=options.seed,
        method_version=MEASURES_VERSION,
        status=AnalysisRun.Status.SUCCESSFUL if result is not None else AnalysisRun.Status.FAILED,
        result=result,
        message=message,
        finished_at=timezone.now(),
    )


def analysis_run_start(
    *, indicator: Indicator, level: str, period: str, dimension: str, options: Options
) -> AnalysisRun:
    """Accept an analysis to run in the background; its status is the run's row."""
    from .measures import MEASURES_VERSION

    run = AnalysisRun.objects.create(
        indicator=indicator,
        level=level,
        period=period,
        dimension=dimension,
        parameters=options.as_dict(),
        seed=options.seed,
        method_version=MEASURES_VERSION,
    )
    # After commit, so that the worker sees the row; a thread is enough for the embedded
    # server (a PostgreSQL-backed queue would take its place across several machines).
    transaction.on_commit(
        lambda: threading.Thread(target=analysis_run_execute, args=(run.pk,), daemon=True).start()
    )
    return run


def analysis_run_execute(run_id: int) -> None:
    """Run an accepted analysis and record its result or its failure."""
    from . import selectors

    try:
        with transaction.atomic():
            run = AnalysisRun.objects.select_for_update().get(pk=run_id)
            if run.status != AnalysisRun.Status.ACCEPTED:
                return  # another worker took it
            run.status = AnalysisRun.Status.RUNNING
            run.save(update_fields=["status"])
        options = Options(**{**run.parameters, "epsilons": tuple(run.parameters["epsilons"])})
        try:
            _, result = selectors.analysis(
                code=run.indicator.code,
                level=run.level,
                period=run.period,
                dimension=run.dimension,
                options=options,
            )
            run.status, run.result = AnalysisRun.Status.SUCCESSFUL, result
        except Refused as err:
            run.status, run.message = AnalysisRun.Status.FAILED, err.message
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "result", "message", "finished_at"])
    finally:
        connection.close()


def refuse(message: str, code: str) -> Refused:
    """A 400 refusal with an actionable message."""
    return Refused(message, code=code, status=400)
