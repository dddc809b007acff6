"""Zonal statistics: the fast cell-centre path and exactextract, against rasterstats and numpy."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from exactextract import exact_extract
from rasterio.transform import from_origin
from rasterstats import zonal_stats

from watch.zonal import zonal_sums

SIZE, RES = 600, 10.0
NODATA = -9999.0


@pytest.fixture(scope="module")
def raster(tmp_path_factory):
    rng = np.random.default_rng(7)
    data = rng.random((SIZE, SIZE)).astype("float32")
    data[:5, :5] = NODATA
    path = tmp_path_factory.mktemp("zonal") / "r.tif"
    profile = {
        "driver": "GTiff",
        "width": SIZE,
        "height": SIZE,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:26191",
        "nodata": NODATA,
        "transform": from_origin(0, SIZE * RES, RES, RES),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path, data


def test_grid_aligned_squares_sum_exactly_their_cells(raster):
    path, data = raster
    squares = [
        shapely.box(c * 1000, SIZE * RES - (r + 1) * 1000, (c + 1) * 1000, SIZE * RES - r * 1000)
        for r in range(6)
        for c in range(6)
    ]
    result = zonal_sums(path, squares, rows_per_chunk=64)
    valid = np.where(data == NODATA, 0.0, data)
    blocks = valid.reshape(6, 100, 6, 100).sum(axis=(1, 3)).ravel()
    np.testing.assert_allclose(result.sum, blocks, rtol=1e-6)
    assert result.count[0] == 100 * 100 - 25 and result.count[1] == 100 * 100
    # exactextract agrees on grid-aligned polygons (every covered cell is covered fully).
    frame = gpd.GeoDataFrame(geometry=squares, crs="EPSG:26191")
    exact = exact_extract(str(path), frame, ["sum"], output="pandas")["sum"].to_numpy()
    np.testing.assert_allclose(exact, blocks, rtol=1e-5)


def test_any_polygons_agree_with_rasterstats_cell_centres(raster):
    path, _ = raster
    rng = np.random.default_rng(3)
    points = shapely.points(rng.uniform(0, SIZE * RES, (80, 2)))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(
            shapely.multipoints(points), extend_to=shapely.box(0, 0, SIZE * RES, SIZE * RES)
        )
    )
    cells = shapely.intersection(cells, shapely.box(0, 0, SIZE * RES, SIZE * RES))
    ours = zonal_sums(path, cells, rows_per_chunk=100)
    theirs = zonal_stats(list(cells), str(path), stats=["sum", "count"])
    np.testing.assert_array_equal(ours.count, [t["count"] for t in theirs])
    np.testing.assert_allclose(ours.sum, [t["sum"] or 0.0 for t in theirs], rtol=1e-5)
