"""The urban-watch REST API on the demo: catalogue, values, analyses, profiles, exports, 400s."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pyarrow.parquet as pq
import pyogrio
import pytest
from rest_framework.test import APIClient

from watch import selectors
from watch.models import AnalysisRun, IndicatorValue

API = "/api/v1/watch/"
SEED = 4242


@pytest.fixture
def client(db):
    return APIClient()


def test_the_demo_has_every_indicator_of_the_catalogue_computed(client):
    body = client.get(API + "indicators/").json()
    assert {i["code"] for i in body} >= {
        "density",
        "equipment_per_1000",
        "access_share",
        "access_2sfca",
        "zoning_share",
        "permits_count",
        "lcrpgr",
        "open_space_share",
        "open_space_access",
        "builtup_share_popweighted",
    }
    for indicator in body:
        assert indicator["name_fr"] and indicator["name_ar"] and indicator["name_en"]
        assert indicator["formula"] and indicator["method_version"]
        assert indicator["coverage"], f"{indicator['code']} has no values"
    assert not IndicatorValue.objects.filter(method_version="").exists()


def test_commune_population_is_the_sum_of_its_districts(db):
    from territory.models import Commune

    commune = Commune.objects.first()
    expected = sum(d.population for d in commune.districts.all())
    value = IndicatorValue.objects.get(
        indicator__code="population", level="commune", unit_code=commune.code, period="2024"
    )
    assert value.value == expected


def test_values_are_geojson_with_the_shared_class_breaks(client):
    body = client.get(API + "indicators/density/values/?level=district&scheme=fisher_jenks&k=4")
    assert body.status_code == 200
    data = body.json()
    assert data["breaks"]["scheme"] == "fisher_jenks" and len(data["breaks"]["bins"]) == 4
    assert data["features"][0]["geometry"]["type"] == "MultiPolygon"
    classes = {f["properties"]["class"] for f in data["features"]}
    assert classes <= {0, 1, 2, 3}
    # The same breaks as the analysis (one classification, shared).
    analysis = client.get(
        API + "analysis/?indicator=density&level=district&scheme=fisher_jenks&k=4&permutations=0"
    ).json()
    assert analysis["breaks"]["bins"] == data["breaks"]["bins"]


def test_analysis_records_the_seed_and_is_reproducible(client):
    url = API + f"analysis/?indicator=density&level=district&seed={SEED}&permutations=99"
    first = client.post(url)
    assert first.status_code == 201
    run = AnalysisRun.objects.get(pk=first.json()["run"])
    assert run.seed == SEED and run.method_version == "watch-measures/1.0"
    second = client.get(url).json()
    assert second["lisa"]["p_sim"] == first.json()["lisa"]["p_sim"]
    assert second["moran"]["p_sim"] == first.json()["moran"]["p_sim"]
    assert client.get(API + f"runs/{run.pk}/").json()["seed"] == SEED
    decomposition = second["theil_decomposition_weighted"]
    total = sum(c["value"] for c in decomposition["components"])
    assert total == pytest.approx(decomposition["T"], abs=1e-12)
    # Region -> province -> commune -> district: between provinces, between communes of a
    # province, within communes.
    assert [(c["level"], c["kind"]) for c in decomposition["components"]] == [
        ("province_code", "between"),
        ("commune_code", "between"),
        ("commune_code", "within"),
    ]


@pytest.mark.parametrize(
    ("url", "code", "phrase"),
    [
        ("analysis/?indicator=nope&level=district", "unknown_indicator", "the catalogue has"),
        ("analysis/?indicator=density&level=province", "no_data", "has values at"),
        ("analysis/?indicator=density&level=planet", "unknown_level", "use one of"),
        ("analysis/?indicator=density&level=region", "no_data", "has values at"),
        ("analysis/?indicator=density", "missing_parameter", "is required"),
        ("analysis/?indicator=equipment_per_1000&level=district", "dimension_required", "school"),
        ("analysis/?indicator=density&level=district&k=40", "bad_parameter", "between 2 and 9"),
        ("analysis/?indicator=density&level=district&seed=abc", "bad_parameter", "whole number"),
        ("analysis/?indicator=density&level=district&scheme=magic", "bad_parameter", "quantiles"),
        ("export.shp?indicator=density&level=district", "bad_format", "gpkg"),
    ],
)
def test_bad_requests_get_a_400_a_person_can_act_on(client, url, code, phrase):
    response = client.get(API + url)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert phrase in response.json()["detail"]


def test_a_gini_of_a_single_unit_is_refused_with_a_400(client):
    # The demo has one region; store its density so that the level has data, with one unit.
    from watch.models import Indicator

    IndicatorValue.objects.create(
        indicator=Indicator.objects.get(code="density"),
        level="region",
        unit_code="06",
        period="2024",
        value=1.0,
        method_version="1.0",
    )
    response = client.get(API + "analysis/?indicator=density&level=region")
    assert response.status_code == 400
    assert response.json()["code"] == "too_few_units"
    assert "choose a finer level" in response.json()["detail"]


def test_unit_profile_and_comparison(client):
    codes = [
        v
        for v in IndicatorValue.objects.filter(level="commune")
        .values_list("unit_code", flat=True)
        .distinct()
    ][:2]
    profile = client.get(API + f"units/commune/{codes[0]}/").json()
    assert any(i["indicator"] == "lcrpgr" for i in profile["indicators"])
    compared = client.get(API + f"compare/?level=commune&a={codes[0]}&b={codes[1]}").json()
    assert compared["a"]["unit_code"] == codes[0] and compared["b"]["unit_code"] == codes[1]
    assert client.get(API + "units/commune/nowhere/").status_code == 400


@pytest.mark.parametrize("fmt", ["gpkg", "parquet", "csv"])
def test_exports_carry_formula_sources_date_crs_and_seed(client, fmt, tmp_path):
    url = API + f"export.{fmt}?indicator=density&level=district&seed={SEED}&permutations=9"
    response = client.get(url)
    assert response.status_code == 200
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(response.content)
    if fmt == "gpkg":
        meta = pyogrio.read_info(path)["layer_metadata"]
        frame = gpd.read_file(path)
    elif fmt == "parquet":
        meta = json.loads(pq.read_schema(path).metadata[b"e_urbanisme"])
        frame = gpd.read_parquet(path)
    else:
        lines = response.content.decode().splitlines()
        meta = dict(line[2:].split(": ", 1) for line in lines if line.startswith("# "))
        frame = None
    assert meta["seed"] == str(SEED) and meta["crs"] == "EPSG:4326"
    assert meta["formula"] and meta["sources"] and meta["exported_at"]
    if frame is not None:
        assert {"value", "class", "lisa_cluster", "priority"} <= set(frame.columns)
        assert frame.crs.to_epsg() == 4326


def test_the_publish_view_is_what_the_reader_role_sees(db, reader_conninfo):
    import psycopg

    with psycopg.connect(reader_conninfo) as conn:
        n = conn.execute("SELECT count(*) FROM publish.indicator_values").fetchone()[0]
        assert n == IndicatorValue.objects.count()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM watch_indicatorvalue")


def test_selectors_refuse_unknown_indicators_listing_the_catalogue(db):
    from common.errors import Refused

    with pytest.raises(Refused, match="density"):
        selectors.indicator_get("no-such-indicator")


def test_csv_export_is_readable_by_pandas(client):
    import pandas as pd

    body = client.get(API + "export.csv?indicator=density&level=commune&permutations=0").content
    frame = pd.read_csv(io.BytesIO(body), comment="#")
    assert len(frame) == 10 and "wkt" in frame.columns


def test_grid_cells_hold_the_whole_population_and_nest_in_the_hierarchy(client):
    from watch.models import GridCell

    cells = IndicatorValue.objects.filter(indicator__code="population", level="cell")
    districts = IndicatorValue.objects.filter(
        indicator__code="population", level="district", period="2024"
    )
    assert GridCell.objects.count() == cells.count() > 100
    total_cells = sum(v.value for v in cells)
    assert total_cells == pytest.approx(sum(v.value for v in districts), rel=1e-4)
    body = client.get(
        API + "analysis/?indicator=density&level=cell&permutations=19&scheme=fisher_jenks"
    ).json()
    assert body["n"] == cells.count() and body["breaks"]["sampled"] is True
    assert body["weighted"] is not None
    levels = [c["level"] for c in body["theil_decomposition_weighted"]["components"]]
    assert levels == ["province_code", "commune_code", "commune_code"]


def test_recorded_runs_have_an_hourly_budget_reading_has_none(client, monkeypatch):
    from django.core.cache import cache

    from watch.api import RunThrottle

    monkeypatch.setattr(RunThrottle, "THROTTLE_RATES", {"watch_runs": "2/hour"})
    cache.clear()
    url = API + "analysis/?indicator=density&level=district&permutations=9"
    assert [client.post(url).status_code for _ in range(2)] == [201, 201]
    refused = client.post(url)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0 and refused.json()["detail"]
    assert AnalysisRun.objects.count() == 2
    assert client.get(url).status_code == 200
    cache.clear()
