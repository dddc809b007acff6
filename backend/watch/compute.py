"""Indicator computations from the system's own data: territory, equipment, zoning, permits,
rasters. Each returns rows (level, unit_code, period, dimension, value, population) per district
and per commune; ratios of a commune are recomputed from its districts' sums, never averaged.

Metric work is done in EPSG:26191 (Merchich / Nord Maroc), the CRS of the rasters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from django.db import connection
from exactextract import exact_extract
from rasterio.enums import Resampling
from rasterio.io import MemoryFile
from rasterio.warp import reproject
from scipy.spatial import cKDTree

from . import catalogue as cat
from .zonal import zonal_sums

METRIC_SRID = 26191
RASTERS = {
    "population": "population_100m.tif",
    "builtup_2014": "builtup_2014.tif",
    "builtup_2024": "builtup_2024.tif",
}
M2_PER_KM2 = 1e6
PERCENT = 100.0

ERR_RASTER = "Raster {name} not found in {dir}: load the demo (make demo) or give --rasters."


@dataclass
class Row:
    """One value to store."""

    indicator: str
    level: str
    unit_code: str
    period: str
    value: float | None
    dimension: str = ""
    population: float | None = None


def _fetch(sql: str, params: Iterable = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def districts() -> gpd.GeoDataFrame:
    """The districts with commune, population, area (km², geography) and metric geometry."""
    rows = _fetch(
        "SELECT d.code, c.code, d.population, ST_Area(d.geom::geography) / 1e6, "
        "ST_AsBinary(ST_Transform(d.geom, %s)) FROM territory_district d "
        "JOIN territory_commune c ON c.id = d.commune_id ORDER BY d.code",
        [METRIC_SRID],
    )
    frame = pd.DataFrame(rows, columns=["code", "commune", "population", "area_km2", "wkb"])
    geom = shapely.from_wkb([bytes(b) for b in frame.pop("wkb")])
    return gpd.GeoDataFrame(frame, geometry=geom, crs=METRIC_SRID)


def _ratio(num: float, den: float, scale: float = 1.0) -> float | None:
    return float(num / den * scale) if den else None


def _two_levels(
    indicator: str,
    period: str,
    units: gpd.GeoDataFrame,
    num: pd.Series,
    den: pd.Series | None,
    scale: float = 1.0,
    dimension: str = "",
) -> list[Row]:
    """District ratios num/den, and commune ratios of the summed numerators and denominators.

    With no denominator the value is a sum (a count, an area): the commune's is the sum of its
    districts'.
    """
    additive = den is None
    den = pd.Series(np.ones(len(units))) if additive else den
    rows = [
        Row(indicator, "district", code, period, _ratio(n, d, scale), dimension, p)
        for code, n, d, p in zip(units["code"], num, den, units["population"], strict=True)
    ]
    grouped = pd.DataFrame(
        {
            "c": units["commune"].to_numpy(),
            "n": num.to_numpy(),
            "d": den.to_numpy(),
            "p": units["population"].to_numpy(),
        }
    )
    for code, g in grouped.groupby("c"):
        d = g["d"].sum() if additive is False else 1.0
        rows.append(
            Row(
                indicator,
                "commune",
                code,
                period,
                _ratio(g["n"].sum(), d, scale),
                dimension,
                float(g["p"].sum()),
            )
        )
    return rows


def population_and_density(units: gpd.GeoDataFrame, period: str) -> list[Row]:
    """Population (sum) and density per km² of each district and commune."""
    pop = units["population"].astype(float)
    return _two_levels("population", period, units, pop, None) + _two_levels(
        "density", period, units, pop, units["area_km2"]
    )


def equipment_points(kind: str | None = None) -> gpd.GeoDataFrame:
    """Equipment points in the metric CRS, with their kind."""
    rows = _fetch(
        "SELECT kind, ST_AsBinary(ST_Transform(geom, %s)) FROM territory_equipment "
        "WHERE %s::text IS NULL OR kind = %s ORDER BY id",
        [METRIC_SRID, kind, kind],
    )
    geom = shapely.from_wkb([bytes(r[1]) for r in rows])
    return gpd.GeoDataFrame({"kind": [r[0] for r in rows]}, geometry=geom, crs=METRIC_SRID)


def equipment_per_1000(units: gpd.GeoDataFrame, period: str) -> list[Row]:
    """Facilities of each kind per 1,000 inhabitants (points located in the district)."""
    points = equipment_points()
    joined = gpd.sjoin(points, units[["code", "geometry"]], predicate="within")
    counts = joined.groupby(["kind", "code"]).size()
    rows: list[Row] = []
    pop = units["population"].astype(float)
    for kind in sorted(points["kind"].unique()):
        per_unit = units["code"].map(counts.get(kind, pd.Series(dtype=float))).fillna(0.0)
        rows += _two_levels(
            "equipment_per_1000", period, units, per_unit, pop, cat.PER_INHABITANTS, kind
        )
    return rows


@dataclass
class PopulationGrid:
    """Populated 100 m cells: centres (metric), population, and the district each lies in."""

    xy: np.ndarray
    pop: np.ndarray
    unit: np.ndarray


def population_grid(units: gpd.GeoDataFrame, raster: Path) -> PopulationGrid:
    """The population raster as points, each assigned to the district holding its centre."""
    with rasterio.open(raster) as src:
        data = src.read(1, masked=True)
        rows, cols = np.nonzero(~np.ma.getmaskarray(data) & (data.filled(0) > 0))
        xs, ys = rasterio.transform.xy(src.transform, rows, cols)
        pop = data[rows, cols].astype(float).filled(0.0)
    xy = np.column_stack([np.asarray(xs), np.asarray(ys)])
    points = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=METRIC_SRID)
    hit = gpd.sjoin(points, units[["geometry"]].reset_index(names="unit"), predicate="within")
    hit = hit[~hit.index.duplicated()]
    unit = np.full(len(xy), -1)
    unit[hit.index.to_numpy()] = hit["unit"].to_numpy()
    keep = unit >= 0
    return PopulationGrid(xy[keep], pop[keep], unit[keep])


def _unit_sums(grid: PopulationGrid, values: np.ndarray, n: int) -> pd.Series:
    return pd.Series(np.bincount(grid.unit, values, minlength=n))


def access(units: gpd.GeoDataFrame, grid: PopulationGrid, period: str) -> list[Row]:
    """Share of people within the distance of the nearest school / health centre, and 2SFCA."""
    rows: list[Row] = []
    n = len(units)
    pop_sum = _unit_sums(grid, grid.pop, n)
    for kind, distance in cat.ACCESS_KINDS.items():
        points = equipment_points(kind)
        if points.empty:
            continue
        fac = shapely.get_coordinates(points.geometry.values)
        dist, _ = cKDTree(fac).query(grid.xy)
        near = _unit_sums(grid, grid.pop * (dist <= distance), n)
        rows += _two_levels("access_share", period, units, near, pop_sum, PERCENT, kind)
        score = two_step_fca(fac, grid.xy, grid.pop, cat.TWO_SFCA_CATCHMENT_M[kind])
        weighted = _unit_sums(grid, grid.pop * score, n)
        rows += _two_levels(
            "access_2sfca", period, units, weighted, pop_sum, cat.PER_INHABITANTS, kind
        )
    return rows


def two_step_fca(
    supply_xy: np.ndarray,
    demand_xy: np.ndarray,
    demand: np.ndarray,
    d0: float,
    capacity: np.ndarray | None = None,
) -> np.ndarray:
    """Two-step floating catchment area (Luo & Wang 2003), binary catchment of radius d0.

    Step 1: R_j = S_j / sum of demand within d0 of facility j.
    Step 2: A_i = sum of R_j over the facilities within d0 of demand point i.
    """
    capacity = np.ones(len(supply_xy)) if capacity is None else np.asarray(capacity, float)
    pairs = cKDTree(supply_xy).sparse_distance_matrix(cKDTree(demand_xy), d0, output_type="ndarray")
    j, i = pairs["i"], pairs["j"]
    reached = np.bincount(j, demand[i], minlength=len(supply_xy))
    ratio = np.divide(capacity, reached, out=np.zeros_like(capacity), where=reached > 0)
    return np.bincount(i, ratio[j], minlength=len(demand_xy))


def zoning_composition(units: gpd.GeoDataFrame, period: str) -> list[Row]:
    """Share of each district's area in each zone family of the approved plan."""
    rows = _fetch(
        "SELECT d.code, z.family, sum(ST_Area(ST_Intersection(z.geom, d.geom)::geography)) "
        "FROM territory_district d JOIN publish.zones z "
        "ON z.status = 'approved' AND ST_Intersects(z.geom, d.geom) GROUP BY d.code, z.family"
    )
    table = pd.DataFrame(rows, columns=["code", "family", "m2"]).pivot_table(
        index="code", columns="family", values="m2", fill_value=0.0
    )
    area_m2 = units["area_km2"] * M2_PER_KM2
    out: list[Row] = []
    for family in table.columns:
        covered = units["code"].map(table[family]).fillna(0.0)
        out += _two_levels("zoning_share", period, units, covered, area_m2, PERCENT, family)
    return out


def permits(units: gpd.GeoDataFrame) -> list[Row]:
    """Permits issued and floor area permitted per inhabitant, each year, per unit."""
    rows = _fetch(
        "SELECT d.code, extract(year FROM p.issued_on)::int, count(*), sum(p.floor_area_m2) "
        "FROM territory_buildingpermit p JOIN territory_district d "
        "ON ST_Within(p.geom, d.geom) GROUP BY 1, 2"
    )
    table = pd.DataFrame(rows, columns=["code", "year", "n", "m2"])
    out: list[Row] = []
    pop = units["population"].astype(float)
    for year, g in table.groupby("year"):
        n = units["code"].map(g.set_index("code")["n"]).fillna(0.0).astype(float)
        m2 = units["code"].map(g.set_index("code")["m2"]).fillna(0.0).astype(float)
        out += _two_levels("permits_count", str(year), units, n, None) + _two_levels(
            "permits_floor_area", str(year), units, m2, pop
        )
    return out


def _raster(rasters_dir: Path, name: str) -> Path:
    path = Path(rasters_dir) / RASTERS[name]
    if not path.is_file():
        raise FileNotFoundError(ERR_RASTER.format(name=RASTERS[name], dir=rasters_dir))
    return path


def zonal(units: gpd.GeoDataFrame, raster, ops: list[str], weights=None) -> pd.DataFrame:
    """Exact zonal statistics (exactextract: fractional cell coverage), one row per unit."""

    def as_source(r):
        return str(r) if isinstance(r, Path) else r

    frame = exact_extract(
        as_source(raster),
        units[["code", "geometry"]],
        ops,
        weights=as_source(weights) if weights is not None else None,
        include_cols=["code"],
        output="pandas",
    )
    return frame.set_index("code").reindex(units["code"]).reset_index()


def resampled_fraction(source: Path, like: Path) -> MemoryFile:
    """The share of `source` cells equal to 1, averaged onto the grid of `like` (in memory).

    exactextract needs value and weight rasters on compatible grids; the built-up layer (30 m)
    goes onto the population grid (100 m) so that people weight it.
    """
    with rasterio.open(source) as src, rasterio.open(like) as ref:
        data = src.read(1, masked=True)
        frac = np.zeros((ref.height, ref.width), dtype="float32")
        reproject(
            source=np.where(data.filled(0) == 1, 1.0, 0.0).astype("float32"),
            destination=frac,
            src_transform=src.transform,
            src_crs=src.crs,
            dst_transform=ref.transform,
            dst_crs=ref.crs,
            resampling=Resampling.average,
        )
        profile = {**ref.profile, "dtype": "float32", "nodata": None, "count": 1}
    memfile = MemoryFile()
    with memfile.open(**profile) as dst:
        dst.write(frac, 1)
    return memfile


def builtup(
    units: gpd.GeoDataFrame,
    rasters_dir: Path,
    period: str,
    base_period: str,
    base_population: dict[str, float] | None,
) -> list[Row]:
    """Built-up area, share, per capita, population-weighted share, SDG 11.3.1 and 11.7.1."""
    with rasterio.open(_raster(rasters_dir, "builtup_2024")) as src:
        cell_m2 = abs(src.transform.a * src.transform.e)
    pop = units["population"].astype(float)
    now = zonal(units, _raster(rasters_dir, "builtup_2024"), ["sum", "count"])
    base = zonal(units, _raster(rasters_dir, "builtup_2014"), ["sum", "count"])
    population = _raster(rasters_dir, "population")
    with (
        resampled_fraction(_raster(rasters_dir, "builtup_2024"), population) as memfile,
        memfile.open() as fraction,
        rasterio.open(population) as people,
    ):
        weighted = zonal(units, fraction, ["weighted_sum"], weights=people)
    urb2 = now["sum"].fillna(0.0) * cell_m2
    urb1 = base["sum"].fillna(0.0) * cell_m2
    rows = (
        _two_levels("builtup_area", period, units, urb2, None, 1 / M2_PER_KM2)
        + _two_levels("builtup_area", base_period, units, urb1, None, 1 / M2_PER_KM2)
        + _two_levels(
            "builtup_share",
            period,
            units,
            now["sum"].fillna(0.0),
            now["count"].fillna(0.0),
            PERCENT,
        )
        + _two_levels("builtup_per_capita", period, units, urb2, pop)
    )
    pop_weight = zonal(units, _raster(rasters_dir, "population"), ["sum"])["sum"].fillna(0.0)
    rows += _two_levels(
        "builtup_share_popweighted",
        period,
        units,
        weighted["weighted_sum"].fillna(0.0),
        pop_weight,
        PERCENT,
    )
    if base_population:
        years = int(period) - int(base_period)
        pop1 = units["code"].map(base_population).astype(float)
        rows += lcrpgr_rows(units, urb1, urb2, pop1, pop, years, f"{base_period}-{period}")
    rows += open_space(units, urb2, period)
    return rows


def lcrpgr(urb1: float, urb2: float, pop1: float, pop2: float, years: float) -> float | None:
    """SDG 11.3.1: LCR / PGR with LCR = ln(Urb2/Urb1)/y and PGR = ln(Pop2/Pop1)/y."""
    if min(urb1, urb2, pop1, pop2) <= 0 or pop1 == pop2 or years <= 0:
        return None
    return float((np.log(urb2 / urb1) / years) / (np.log(pop2 / pop1) / years))


def lcrpgr_rows(units, urb1, urb2, pop1, pop2, years: int, period: str) -> list[Row]:
    """LCRPGR per district and per commune (commune from summed areas and populations)."""
    frame = pd.DataFrame(
        {
            "code": units["code"],
            "commune": units["commune"],
            "u1": urb1,
            "u2": urb2,
            "p1": pop1,
            "p2": pop2,
        }
    )
    rows = [
        Row(
            "lcrpgr",
            "district",
            r.code,
            period,
            lcrpgr(r.u1, r.u2, r.p1, r.p2, years),
            population=float(r.p2),
        )
        for r in frame.itertuples()
    ]
    for code, g in frame.groupby("commune"):
        s = g[["u1", "u2", "p1", "p2"]].sum()
        rows.append(
            Row(
                "lcrpgr",
                "commune",
                code,
                period,
                lcrpgr(s.u1, s.u2, s.p1, s.p2, years),
                population=float(s.p2),
            )
        )
    return rows


def open_space(units: gpd.GeoDataFrame, builtup_m2: pd.Series, period: str) -> list[Row]:
    """SDG 11.7.1: (open public space + street area) / built-up area x 100."""
    rows = _fetch(
        "WITH open AS ("
        "  SELECT geom FROM publish.zones WHERE status = 'approved' AND family = 'green'"
        "  UNION ALL SELECT geom FROM publish.prescriptions WHERE status = 'approved'"
        "    AND kind = 'green_reservation' AND GeometryType(geom) LIKE '%%POLYGON'"
        "  UNION ALL SELECT ST_Transform(ST_Buffer(ST_Transform(geom, %s),"
        "    coalesce(width_m, 10) / 2.0), 4326) FROM publish.prescriptions"
        "    WHERE status = 'approved' AND kind = 'road_reservation'"
        "), merged AS (SELECT ST_Union(geom) AS geom FROM open)"
        " SELECT d.code, ST_Area(ST_Intersection(m.geom, d.geom)::geography)"
        " FROM territory_district d, merged m WHERE ST_Intersects(m.geom, d.geom)",
        [METRIC_SRID],
    )
    area = dict(rows)
    space = units["code"].map(area).fillna(0.0).astype(float)
    return _two_levels("open_space_share", period, units, space, builtup_m2, PERCENT)


def open_spaces() -> np.ndarray:
    """Open public spaces in the metric CRS: green zones and green reservations (approved)."""
    rows = _fetch(
        "SELECT ST_AsBinary(ST_Transform(geom, %s)) FROM publish.zones"
        " WHERE status = 'approved' AND family = 'green'"
        " UNION ALL SELECT ST_AsBinary(ST_Transform(geom, %s)) FROM publish.prescriptions"
        " WHERE status = 'approved' AND kind = 'green_reservation'"
        " AND GeometryType(geom) LIKE '%%POLYGON'",
        [METRIC_SRID, METRIC_SRID],
    )
    return shapely.from_wkb([bytes(r[0]) for r in rows])


def near_share(grid: PopulationGrid, places: np.ndarray, distance: float, n: int) -> pd.Series:
    """Per unit, the population of the cells whose centre lies within `distance` (straight
    line, metres; 0 inside) of one of `places`."""
    if len(places) == 0:
        return pd.Series(np.zeros(n))
    tree = shapely.STRtree(places)
    hits, _ = tree.query(shapely.points(grid.xy), predicate="dwithin", distance=distance)
    near = np.zeros(len(grid.xy), dtype=bool)
    near[hits] = True
    return _unit_sums(grid, grid.pop * near, n)


def open_space_access(units: gpd.GeoDataFrame, grid: PopulationGrid, period: str) -> list[Row]:
    """SDG 11.7.1 part 2: share of the population within 400 m of an open public space."""
    n = len(units)
    near = near_share(grid, open_spaces(), cat.OPEN_SPACE_DISTANCE_M, n)
    return _two_levels(
        "open_space_access", period, units, near, _unit_sums(grid, grid.pop, n), PERCENT
    )


GRID_CELL_M = 1000


def grid_cells(
    units: gpd.GeoDataFrame, population_raster: Path, size_m: int = GRID_CELL_M
) -> gpd.GeoDataFrame:
    """Square cells of `size_m` over the districts, each with the district holding its centre
    (or, on the edge, one it touches).

    Cell edges fall on multiples of `size_m`, hence on the 100 m population grid's lines.
    """
    x0, y0, x1, y1 = units.total_bounds
    xs = np.arange(np.floor(x0 / size_m) * size_m, x1, size_m)
    ys = np.arange(np.floor(y0 / size_m) * size_m, y1, size_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    cells = gpd.GeoDataFrame(
        geometry=shapely.box(gx, gy, gx + size_m, gy + size_m), crs=METRIC_SRID
    )
    centres = gpd.GeoDataFrame(geometry=cells.centroid, crs=METRIC_SRID)
    keep = units[["code", "commune", "geometry"]]
    hit = gpd.sjoin(centres, keep, predicate="within")
    # A cell whose centre is off the territory (the coast) still counts if it touches it.
    edge = gpd.sjoin(cells.drop(index=hit.index), keep, predicate="intersects")
    hit = pd.concat([hit, edge])
    hit = hit[~hit.index.duplicated()].sort_index()
    cells = cells.loc[hit.index].assign(district=hit["code"], commune=hit["commune"])
    cells["code"] = [
        f"{size_m // 1000}km-E{int(x) // size_m}N{int(y) // size_m}"
        for x, y in zip(gx[cells.index], gy[cells.index], strict=True)
    ]
    with rasterio.open(population_raster) as src:
        if src.res[0] and size_m % src.res[0]:
            raise ValueError(f"Cells of {size_m} m do not nest in the {src.res[0]} m grid.")
    sums = zonal_sums(population_raster, cells.geometry.values)
    cells["population"] = sums.sum
    cells["area_km2"] = (size_m / 1000) ** 2
    return cells.reset_index(drop=True)


def cell_rows(cells: gpd.GeoDataFrame, rasters_dir: Path, period: str) -> list[Row]:
    """Population, density and built-up share of each grid cell."""
    built = zonal(cells, _raster(rasters_dir, "builtup_2024"), ["sum", "count"])
    rows = []
    for cell, b_sum, b_count in zip(cells.itertuples(), built["sum"], built["count"], strict=True):
        pop = float(cell.population)
        rows += [
            Row("population", "cell", cell.code, period, pop, population=pop),
            Row("density", "cell", cell.code, period, pop / cell.area_km2, population=pop),
            Row(
                "builtup_share",
                "cell",
                cell.code,
                period,
                _ratio(b_sum or 0.0, b_count or 0.0, PERCENT),
                population=pop,
            ),
        ]
    return rows


def to_wgs84(geoms: gpd.GeoSeries) -> list[memoryview]:
    """Geometries in EPSG:4326, as WKB buffers for GEOS."""
    return [memoryview(b) for b in shapely.to_wkb(geoms.to_crs(4326).values)]
