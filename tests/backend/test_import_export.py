"""Import (GeoPackage, zipped Shapefile, GeoJSON, DXF drawn in EPSG:26191) and export."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from pyproj import Transformer

from planning import transfer
from planning.models import PlanningEvent, VersionStage, Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def source_26191(draft) -> gpd.GeoDataFrame:
    """The draft's zones as an agency would send them: Merchich Nord, CNIG-like columns."""
    frame = transfer.zones_frame(draft)
    frame = frame.rename(
        columns={
            "code": "LIBELLE",
            "label_fr": "LIBELONG",
            "max_height_m": "HAUTEUR",
            "max_levels": "NIVEAUX",
            "ground_coverage_max": "COS",
            "floor_area_ratio_max": "CUS",
        }
    )
    columns = ["LIBELLE", "LIBELONG", "HAUTEUR", "NIVEAUX", "COS", "CUS", "geometry"]
    return frame[columns].to_crs(26191)


def _write(frame: gpd.GeoDataFrame, tmp_path: Path, name: str, driver: str, **kw) -> bytes:
    path = tmp_path / name
    pyogrio.write_dataframe(frame, path, driver=driver, **kw)
    return path.read_bytes()


def _zip_shapefile(frame, tmp_path) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "zones.shp", driver="ESRI Shapefile")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in folder.iterdir():
            archive.write(member, member.name)
    return buffer.getvalue()


def _first_vertex_lands_right(frame_26191, version):
    x, y = (
        frame_26191.geometry.iloc[0].exterior.coords[0]
        if frame_26191.geometry.iloc[0].geom_type == "Polygon"
        else frame_26191.geometry.iloc[0].geoms[0].exterior.coords[0]
    )
    lon, lat = Transformer.from_crs(26191, 4326, always_xy=True).transform(x, y)
    zone = Zone.objects.filter(version=version).order_by("key").first()
    assert zone.geom[0][0].coords[0] == pytest.approx((lon, lat), abs=1e-8)


def test_a_zipped_shapefile_in_26191_lands_at_the_right_place(draft, source_26191, tmp_path):
    data = _zip_shapefile(source_26191, tmp_path)
    result = transfer.zones_import(version=draft, data=data, name="zones.zip", by=None)
    assert result.written and result.features == len(source_26191)
    assert "26191" in result.source_crs
    _first_vertex_lands_right(source_26191, draft)
    assert PlanningEvent.objects.filter(version=draft, action="zones_import").exists()


def test_a_dxf_needs_its_crs_declared_and_then_lands_right(draft, source_26191, tmp_path):
    # CAD drawings carry the zone code as the layer name, and no coordinate system. Zones with
    # holes have their own test below.
    simple = source_26191[
        [g.geoms[0].interiors.__len__() == 0 and len(g.geoms) == 1 for g in source_26191.geometry]
    ]
    frame = gpd.GeoDataFrame(
        {"Layer": simple["LIBELLE"]}, geometry=simple.geometry.boundary, crs=26191
    )
    data = _write(frame.explode(index_parts=False), tmp_path, "plan.dxf", "DXF")
    with pytest.raises(transfer.Refused, match="declare it, e.g. crs=EPSG:26191"):
        transfer.zones_import(version=draft, data=data, name="plan.dxf", by=None)
    read, source_crs = transfer.read_zones(data, "plan.dxf", crs="EPSG:26191")
    assert len(read) == len(simple) and source_crs == "EPSG:26191"
    x, y = simple.geometry.iloc[0].geoms[0].exterior.coords[0]
    lon, lat = Transformer.from_crs(26191, 4326, always_xy=True).transform(x, y)
    assert read.geometry.iloc[0].exterior.coords[0] == pytest.approx((lon, lat), abs=1e-8)
    assert set(read["code"]) == set(simple["LIBELLE"])
    result = transfer.zones_import(
        version=draft, data=data, name="plan.dxf", by=None, crs="EPSG:26191", dry_run=True
    )
    # The drawing has codes only: the rules come from the code list.
    assert result.report["summary"]["missing_rules"] == 0
    assert result.report["summary"]["overlaps"] == 0


def test_a_dry_run_writes_nothing(draft, source_26191, tmp_path):
    before = sorted(Zone.objects.filter(version=draft).values_list("key", flat=True))
    data = _write(source_26191, tmp_path, "zones.gpkg", "GPKG")
    result = transfer.zones_import(
        version=draft, data=data, name="zones.gpkg", by=None, dry_run=True
    )
    assert result.report["valid"] and not result.written
    assert sorted(Zone.objects.filter(version=draft).values_list("key", flat=True)) == before


def test_an_import_with_errors_writes_nothing(draft, source_26191, tmp_path):
    before = Zone.objects.filter(version=draft).count()
    broken = source_26191.copy()
    broken.loc[broken.index[0], "geometry"] = broken.geometry.iloc[1]  # a duplicate: overlap
    data = _write(broken, tmp_path, "zones.geojson", "GeoJSON")
    with pytest.raises(transfer.Invalid) as invalid:
        transfer.zones_import(version=draft, data=data, name="zones.geojson", by=None)
    assert invalid.value.problems[0]["summary"]["overlaps"] >= 1
    assert Zone.objects.filter(version=draft).count() == before


def test_import_through_the_api(planner_client, draft, source_26191, tmp_path):
    data = _write(source_26191, tmp_path, "zones.gpkg", "GPKG")
    upload = io.BytesIO(data)
    upload.name = "zones.gpkg"
    response = planner_client.post(
        f"/api/v1/planning/versions/{draft.pk}/import/", {"file": upload, "dry_run": "true"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["features"] == len(source_26191)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("zones.txt", b"hello", "Unsupported file"),
        ("zones.gpkg", b"not a geopackage", "content is not GeoPackage"),
        ("zones.zip", b"PK\x05\x06" + b"\0" * 18, "no .shp file"),
    ],
)
def test_bad_files_get_a_clear_error(planner_client, draft, name, data, message):
    upload = io.BytesIO(data)
    upload.name = name
    response = planner_client.post(
        f"/api/v1/planning/versions/{draft.pk}/import/", {"file": upload}
    )
    assert 400 <= response.status_code < 500
    assert message in response.json()["detail"]


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp", "csv", "cnig"])
def test_exports_read_back(client, demo_document, fmt, tmp_path):
    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    response = client.get(f"/api/v1/planning/versions/{approved.pk}/export.{fmt}")
    assert response.status_code == 200
    name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
    path = tmp_path / name
    path.write_bytes(response.content)
    if fmt == "csv":
        assert response.content.count(b"\n") == approved.zones.count() + 1
        return
    layer = "zone_urba" if fmt == "cnig" else None
    frame = pyogrio.read_dataframe(f"/vsizip/{path}" if fmt == "shp" else path, layer=layer)
    assert len(frame) == approved.zones.count()
    if fmt == "cnig":
        assert set(frame.columns) >= {"LIBELLE", "LIBELONG", "TYPEZONE", "IDURBA"}
        assert set(frame["TYPEZONE"]) <= {"U", "AUc", "AUs", "A", "N"}
    if fmt == "geojson":
        assert json.loads(response.content)["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_an_unknown_export_format_is_404(client, demo_document):
    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    response = client.get(f"/api/v1/planning/versions/{approved.pk}/export.kml")
    assert response.status_code == 404 and "use one of gpkg" in response.json()["detail"]


def test_dxf_rings_inside_rings_become_holes_or_enclaves(draft, tmp_path):
    import shapely

    # In Merchich metres: a 1 km square zone "ZM" with two rings inside it: one on the same
    # layer (only the outline of a hole), one on layer "EV" (a green enclave).
    x0, y0 = 300_000, 320_000
    square = shapely.box(x0, y0, x0 + 1000, y0 + 1000)
    hole = shapely.box(x0 + 100, y0 + 100, x0 + 300, y0 + 300)
    enclave = shapely.box(x0 + 600, y0 + 600, x0 + 800, y0 + 800)
    frame = gpd.GeoDataFrame(
        {"Layer": ["ZM", "ZM", "EV"]},
        geometry=[square.boundary, hole.boundary, enclave.boundary],
        crs=26191,
    )
    data = _write(frame, tmp_path, "holes.dxf", "DXF")
    read, _ = transfer.read_zones(data, "holes.dxf", crs="EPSG:26191")
    by_code = {row.code: row.geometry for row in read.itertuples()}
    assert sorted(by_code) == ["EV", "ZM"]
    zone = gpd.GeoSeries([by_code["ZM"]], crs=4326).to_crs(26191).iloc[0]
    assert len(zone.interiors) == 2  # the hole and the enclave are cut out of the zone
    assert zone.area == pytest.approx(1_000_000 - 2 * 40_000, rel=1e-6)
    assert gpd.GeoSeries([by_code["EV"]], crs=4326).to_crs(26191).iloc[0].area == pytest.approx(
        40_000, rel=1e-6
    )
