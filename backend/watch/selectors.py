"""Reads of the urban watch, from the `publish` views: the same rows the OGC API serves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from django.db import connection

from common.errors import Refused

from . import measures as m
from .analysis import Options, analyse
from .models import IndicatorValue, Level

HIERARCHY = {
    "cell": ["province_code", "commune_code"],
    "district": ["province_code", "commune_code"],
    "commune": ["province_code"],
    "province": [],
    "region": [],
}
MIN_UNITS = 2

ERR_INDICATOR = "Unknown indicator {code!r}; the catalogue has: {known}."
ERR_LEVEL = "Unknown level {level!r}; use one of: {known}."
ERR_NO_DATA = (
    "Indicator {code!r} has no values at level {level!r}{period}; it has values at: {available}."
)
ERR_DIMENSION = "Indicator {code!r} needs a dimension at this level; choose one of: {known}."
ERR_SINGLE = (
    "Disparity measures compare units: indicator {code!r} at level {level!r} has "
    "{n} unit(s) with a value in period {period!r}; choose a finer level."
)
ERR_UNIT = "No unit {code!r} at level {level!r} has values."

VALUES_SQL = """
SELECT unit_code, name_fr, name_ar, value, population, commune_code, province_code,
       region_code, method_version, ST_AsBinary(geom)
FROM publish.indicator_values
WHERE indicator = %s AND level = %s AND period = %s AND dimension = %s
ORDER BY unit_code
"""
COLUMNS = [
    "unit_code",
    "name_fr",
    "name_ar",
    "value",
    "population",
    "commune_code",
    "province_code",
    "region_code",
    "method_version",
]


Fetch = Callable[[str, list], list[tuple]]

INDICATOR_SQL = """
SELECT code, name_fr, name_ar, name_en, formula, unit, source, method_version,
       higher_is_better, population_weighted
FROM publish.indicators WHERE code = %s
"""
COVERAGE_SQL = """
SELECT level, period, dimension, count(*) FROM publish.indicator_values
WHERE indicator = %s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


@dataclass(frozen=True)
class IndicatorInfo:
    """An indicator as `publish.indicators` shows it."""

    code: str
    name_fr: str
    name_ar: str
    name_en: str
    formula: str
    unit: str
    source: str
    method_version: str
    higher_is_better: bool
    population_weighted: bool


def django_fetch(sql: str, params: list) -> list[tuple]:
    """Run a read on Django's connection (the REST API's path)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def indicator_get(code: str, fetch: Fetch = django_fetch) -> IndicatorInfo:
    """The indicator of that code, or a 400 that lists the catalogue."""
    rows = fetch(INDICATOR_SQL, [code])
    if not rows:
        known = ", ".join(r[0] for r in fetch("SELECT code FROM publish.indicators ORDER BY 1", []))
        raise Refused(ERR_INDICATOR.format(code=code, known=known), code="unknown_indicator")
    return IndicatorInfo(*rows[0])


def coverage(code: str, fetch: Fetch = django_fetch) -> list[dict]:
    """Where an indicator has values: level, period, dimension and unit count."""
    return [
        {"level": lv, "period": p, "dimension": d, "units": n}
        for lv, p, d, n in fetch(COVERAGE_SQL, [code])
    ]


def resolve(
    indicator: IndicatorInfo,
    level: str,
    period: str | None,
    dimension: str | None,
    fetch: Fetch = django_fetch,
) -> tuple[str, str]:
    """Check the level, and default the period (latest) and the dimension (only one)."""
    if level not in Level.values:
        raise Refused(
            ERR_LEVEL.format(level=level, known=", ".join(Level.values)), code="unknown_level"
        )
    everywhere = coverage(indicator.code, fetch)
    cov = [
        c for c in everywhere if c["level"] == level and (period is None or c["period"] == period)
    ]
    if not cov:
        available = sorted({f"{c['level']} ({c['period']})" for c in everywhere})
        raise Refused(
            ERR_NO_DATA.format(
                code=indicator.code,
                level=level,
                period=f" for period {period!r}" if period else "",
                available=", ".join(available) or "none",
            ),
            code="no_data",
        )
    period = period or max(c["period"] for c in cov)
    dims = sorted({c["dimension"] for c in cov if c["period"] == period})
    if dimension is None:
        if len(dims) > 1:
            raise Refused(
                ERR_DIMENSION.format(code=indicator.code, known=", ".join(dims)),
                code="dimension_required",
            )
        dimension = dims[0]
    elif dimension not in dims:
        raise Refused(
            ERR_DIMENSION.format(code=indicator.code, known=", ".join(dims)),
            code="unknown_dimension",
        )
    return period, dimension


def values_frame(
    indicator: IndicatorInfo, level: str, period: str, dimension: str, fetch: Fetch = django_fetch
) -> gpd.GeoDataFrame:
    """The values of one indicator, level, period and dimension, with unit geometries."""
    rows = fetch(VALUES_SQL, [indicator.code, level, period, dimension])
    frame = pd.DataFrame([r[:-1] for r in rows], columns=COLUMNS)
    geom = shapely.from_wkb([bytes(r[-1]) for r in rows]) if rows else []
    return gpd.GeoDataFrame(frame, geometry=list(geom), crs=4326)


def analysis(
    *,
    code: str,
    level: str,
    period: str | None = None,
    dimension: str | None = None,
    options: Options | None = None,
    fetch: Fetch = django_fetch,
) -> tuple[IndicatorInfo, dict]:
    """The whole disparity suite for one indicator at one level: 400s on bad requests."""
    indicator = indicator_get(code, fetch)
    period, dimension = resolve(indicator, level, period, dimension, fetch)
    frame = values_frame(indicator, level, period, dimension, fetch)
    valid = frame[frame["value"].notna()]
    if len(valid) < MIN_UNITS:
        raise Refused(
            ERR_SINGLE.format(code=code, level=level, n=len(valid), period=period),
            code="too_few_units",
        )
    options = options or Options(higher_is_better=indicator.higher_is_better)
    population = valid["population"]
    weighted = indicator.population_weighted and population.ge(0).all() and population.sum() > 0
    try:
        result = analyse(
            valid.reset_index(drop=True),
            "value",
            population="population" if weighted else None,
            hierarchy=[h for h in HIERARCHY[level] if valid[h].nunique() > 1] or None,
            options=options,
        )
    except m.MeasureError as err:
        raise Refused(str(err), code="measure_error") from None
    result["units"] = [
        {
            "unit_code": r.unit_code,
            "name_fr": r.name_fr,
            "name_ar": r.name_ar,
            "value": r.value,
            "population": r.population,
        }
        for r in valid.itertuples()
    ]
    result.update(
        indicator=indicator.code,
        level=level,
        period=period,
        dimension=dimension,
        indicator_method_version=indicator.method_version,
    )
    return indicator, result


def unit_profile(*, level: str, code: str) -> dict:
    """Every indicator value of one unit, latest first, for its profile card."""
    if level not in Level.values:
        raise Refused(
            ERR_LEVEL.format(level=level, known=", ".join(Level.values)), code="unknown_level"
        )
    rows = (
        IndicatorValue.objects.filter(level=level, unit_code=code)
        .select_related("indicator")
        .order_by("indicator__code", "dimension", "period")
    )
    if not rows:
        raise Refused(ERR_UNIT.format(code=code, level=level), code="unknown_unit")
    series: dict[str, dict] = {}
    for v in rows:
        key = f"{v.indicator.code}:{v.dimension}" if v.dimension else v.indicator.code
        entry = series.setdefault(
            key,
            {
                "indicator": v.indicator.code,
                "dimension": v.dimension,
                "unit": v.indicator.unit,
                "name_fr": v.indicator.name_fr,
                "name_ar": v.indicator.name_ar,
                "name_en": v.indicator.name_en,
                "values": [],
            },
        )
        entry["values"].append(
            {"period": v.period, "value": v.value, "method_version": v.method_version}
        )
    return {"level": level, "unit_code": code, "indicators": list(series.values())}
