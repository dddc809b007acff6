"""Zonal statistics: the fast cell-centre path and exactextract, against rasterstats and numpy."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.features
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


def test_awkward_polygons_count_the_cells_gdal_burns_for_each(raster):
    """Each polygon on its own, as GDAL's rasteriser burns it: holes, several parts, overlaps
    (polygons need not tile), edges off the raster, slivers thinner than a cell, a concave
    star; geometries that are not polygons, or are empty, hold nothing."""
    path, data = raster
    extent = SIZE * RES
    star = shapely.Polygon(
        [
            (2000 + r * np.cos(a), 3000 + r * np.sin(a))
            for a, r in zip(np.linspace(0, 2 * np.pi, 23)[:-1], [1500, 400] * 11, strict=True)
        ]
    )
    shapes = [
        shapely.box(1000, 1000, 3000, 3000).difference(shapely.box(1500, 1500, 2500, 2500)),
        shapely.MultiPolygon([shapely.box(0, 0, 333, 777), shapely.box(4000, 4000, 4555, 5999)]),
        shapely.box(500, 500, 2500, 2500),  # overlaps the first
        shapely.box(-1000, extent - 1234, 1234, extent + 1000),  # hangs off the top left
        shapely.box(-50, -50, extent + 50, extent + 50),  # the whole raster and more
        shapely.box(3001, 100, 3004, 5000),  # thinner than a cell, between centres
        shapely.box(3013, 100, 3017, 5000),  # thinner than a cell, over a column of centres
        star,
        shapely.Point(100, 100).buffer(0),  # empty
        shapely.LineString([(0, 0), (5000, 5000)]),
    ]
    result = zonal_sums(path, shapes, rows_per_chunk=50)
    with rasterio.open(path) as src:
        transform = src.transform
    valid = data != NODATA
    for i, shape in enumerate(shapes):
        if shape.is_empty or shape.geom_type not in ("Polygon", "MultiPolygon"):
            assert result.count[i] == 0 and result.sum[i] == 0
            continue
        burnt = ~rasterio.features.geometry_mask(
            [shape], out_shape=data.shape, transform=transform, all_touched=False
        )
        cells = burnt & valid
        assert result.count[i] == cells.sum(), f"shape {i}"
        np.testing.assert_allclose(result.sum[i], data[cells].astype("float64").sum(), rtol=1e-9)
    assert result.count[5] == 0 and result.count[6] == 490


def test_a_rotated_grid_is_refused(tmp_path):
    path = tmp_path / "rotated.tif"
    transform = rasterio.Affine(10, 1, 0, 1, -10, 1000)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="float32",
        transform=transform,
    ) as dst:
        dst.write(np.ones((10, 10), dtype="float32"), 1)
    with pytest.raises(ValueError, match="north-up"):
        zonal_sums(path, [shapely.box(0, 0, 50, 50)])
