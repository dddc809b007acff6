"""Fast zonal sums and counts for large rasters: one read of the raster, no label raster.

exactextract (compute.zonal) weighs each cell by the exact fraction a polygon covers; it is what
the indicators use. On a large raster that is several times the cost of reading the raster, so
this module offers the cell-centre alternative (a cell belongs to a polygon when the polygon
holds its centre, as in rasterstats and GDAL's rasteriser), near the cost of one full read.

How: a polygon meets each row of cell centres in runs of whole cells. The runs come from the
polygons' edges alone (the scanline rule GDAL's rasteriser uses, vectorised with numpy), and the
sum of a run is the difference of two entries of the row's running sum. So the raster is read
once, in bands of rows by worker threads that also take the running sums (GDAL and numpy release
the GIL), and nothing the size of the raster is ever written per polygon. Polygons may overlap:
each counts its own cells.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import shapely
from rasterio.windows import Window

# Bands of 256 rows (a usual GeoTIFF block height); two readers; a few bands in flight bound
# the memory on rasters of any size.
ROWS_PER_CHUNK = 256
WORKERS = 2
IN_FLIGHT = 4
ERR_ROTATED = "The raster's grid is rotated or sheared; zonal sums need a north-up grid."


@dataclass
class ZonalSums:
    """Per polygon: number of valid cells whose centre it holds, and the sum of their values."""

    count: np.ndarray
    sum: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """Mean value per polygon (NaN where it holds no cell centre)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.sum / self.count, np.nan)


@dataclass
class Runs:
    """Horizontal runs of cell centres inside the polygons: row, columns [start, end), owner."""

    row: np.ndarray
    start: np.ndarray
    end: np.ndarray
    owner: np.ndarray


def cell_runs(geometries: np.ndarray, transform: rasterio.Affine, height: int, width: int) -> Runs:
    """The runs of cells whose centre each polygon holds, sorted by row.

    GDAL's scanline rule, so the cells are the ones `rasterize(all_touched=False)` burns: the
    centre line of row r (y = r + 0.5 in pixel space) meets an edge when y0 <= y < y1 (ends
    ordered by y, horizontal edges skipped); on that row the crossings of one polygon, sorted
    and rounded to floor(x + 0.5), pair up even-odd into runs [start, end).
    """
    if transform.b or transform.d:
        raise ValueError(ERR_ROTATED)
    parts, part_owner = shapely.get_parts(geometries, return_index=True)
    polygonal = shapely.get_type_id(parts) == 3
    parts, part_owner = parts[polygonal], part_owner[polygonal]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    # Pixel space through the inverse geotransform, as GDAL's rasteriser transforms.
    inverse = ~transform
    x = inverse.a * coords[:, 0] + inverse.b * coords[:, 1] + inverse.c
    y = inverse.d * coords[:, 0] + inverse.e * coords[:, 1] + inverse.f
    # An edge joins two consecutive vertices of one ring; the lower end (in y) comes first.
    same_ring = vertex_ring[:-1] == vertex_ring[1:]
    x0, y0, x1, y1 = x[:-1][same_ring], y[:-1][same_ring], x[1:][same_ring], y[1:][same_ring]
    owner = part_owner[ring_part[vertex_ring[:-1][same_ring]]]
    swap = y0 > y1
    x0, x1 = np.where(swap, x1, x0), np.where(swap, x0, x1)
    y0, y1 = np.where(swap, y1, y0), np.where(swap, y0, y1)
    first = np.clip(np.ceil(y0 - 0.5), 0, height).astype(np.int64)
    stop = np.clip(np.ceil(y1 - 0.5), 0, height).astype(np.int64)
    crossings = np.maximum(stop - first, 0)
    edge = np.repeat(np.arange(len(first)), crossings)
    # The k-th crossing of an edge is on its first row + k.
    k = np.arange(len(edge)) - np.repeat(np.cumsum(crossings) - crossings, crossings)
    row = first[edge] + k
    centre = row + 0.5
    at = (centre - y0[edge]) * (x1[edge] - x0[edge]) / (y1[edge] - y0[edge]) + x0[edge]
    # Clipped to the raster before pairing (clipping keeps the order); a run off the raster
    # becomes empty.
    column = np.clip(np.floor(at + 0.5), 0, width).astype(np.int64)
    owner = owner[edge]
    # Within one (row, polygon) the crossings are even in number: sorted, they pair up.
    order = np.lexsort((column, owner, row))
    row, owner, column = row[order], owner[order], column[order]
    start, end = column[0::2], column[1::2]
    keep = end > start
    return Runs(row[0::2][keep], start[keep], end[keep], owner[0::2][keep])


def _band(raster: str, band: int, window: Window) -> tuple[np.ndarray, np.ndarray | None]:
    """Read one band of rows and return the running sums of its valid cells along each row, and
    the running counts when some cell is invalid (a worker's job; GDAL and numpy release the
    GIL). A leading column of zeros makes a run's total `prefix[r, end] - prefix[r, start]`."""
    with rasterio.open(raster) as src:
        data = src.read(band, window=window, out_dtype="float64")
        nodata = src.nodata
    invalid = np.isnan(data)
    if nodata is not None:
        invalid |= data == nodata
    height = data.shape[0]
    sums = np.zeros((height, data.shape[1] + 1))
    counts = None
    if invalid.any():
        data[invalid] = 0.0
        counts = np.zeros((height, data.shape[1] + 1), dtype=np.int32)
        np.cumsum(~invalid, axis=1, dtype=np.int32, out=counts[:, 1:])
    np.cumsum(data, axis=1, out=sums[:, 1:])
    return sums, counts


def zonal_sums(
    raster: str | Path,
    geometries: Sequence[shapely.Geometry],
    band: int = 1,
    rows_per_chunk: int = ROWS_PER_CHUNK,
) -> ZonalSums:
    """Cell-centre zonal count and sum of `band` for each geometry (in the raster's CRS).

    Worker threads read bands of rows while the calling thread finds the polygons' runs of
    cells, then totals each band's runs as it arrives. Geometries that are not polygons (or
    are empty) hold no cell.
    """
    geometries = np.asarray(geometries, dtype=object)
    raster = str(raster)
    with rasterio.open(raster) as src:
        height, width, transform = src.height, src.width, src.transform
    windows = [
        Window(0, row, width, min(rows_per_chunk, height - row))
        for row in range(0, height, rows_per_chunk)
    ]
    count = np.zeros(len(geometries), dtype=np.int64)
    total = np.zeros(len(geometries), dtype=np.float64)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pending = deque(pool.submit(_band, raster, band, w) for w in windows[: IN_FLIGHT + 1])
        runs = cell_runs(geometries, transform, height, width)
        bounds = np.searchsorted(runs.row, [w.row_off for w in windows] + [height])
        for i, window in enumerate(windows):
            sums, counts = pending.popleft().result()
            if i + IN_FLIGHT + 1 < len(windows):
                pending.append(pool.submit(_band, raster, band, windows[i + IN_FLIGHT + 1]))
            part = slice(bounds[i], bounds[i + 1])
            row = runs.row[part] - window.row_off
            start, end, owner = runs.start[part], runs.end[part], runs.owner[part]
            total += np.bincount(owner, sums[row, end] - sums[row, start], minlength=len(total))
            cells = end - start if counts is None else counts[row, end] - counts[row, start]
            count += np.bincount(owner, cells, minlength=len(count)).astype(np.int64)
    return ZonalSums(count=count, sum=total)
