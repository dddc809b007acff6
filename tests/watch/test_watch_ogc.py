"""Indicators through the OGC API: the publish views as collections, and the disparity-analysis
process, which gives the same numbers as the REST API (both read the same views)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from owslib.ogcapi.features import Features

pytestmark = pytest.mark.django_db

SEED = 777


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=120) as response:
        return json.load(response)


def test_indicator_values_are_an_ogc_collection_read_with_owslib(watch_ogc_url):
    features = Features(watch_ogc_url)
    ids = {c["id"] for c in features.collections()["collections"]}
    assert {"indicators", "indicator_values"} <= ids
    page = features.collection_items(
        "indicator_values", indicator="density", level="district", limit=1000
    )
    assert page["numberReturned"] == 157
    first = page["features"][0]
    assert first["geometry"]["type"] == "MultiPolygon"
    assert {"value", "unit_code", "method_version", "period"} <= set(first["properties"])
    catalogue = features.collection_items("indicators", limit=100)
    assert any(f["properties"]["code"] == "lcrpgr" for f in catalogue["features"])


def test_the_process_agrees_with_the_rest_api_and_records_its_seed(watch_ogc_url, live_url):
    described = _get(f"{watch_ogc_url}/processes/disparity-analysis?f=json")
    assert "indicator" in described["inputs"]
    inputs = {
        "indicator": "access_share",
        "level": "district",
        "dimension": "school",
        "seed": SEED,
        "permutations": 99,
    }
    status, body = _post(
        f"{watch_ogc_url}/processes/disparity-analysis/execution", {"inputs": inputs}
    )
    assert status == 200, body
    result = body.get("analysis", body)
    assert result["options"]["seed"] == SEED and result["moran"]["seed"] == SEED
    rest = _get(
        f"{live_url}/api/v1/watch/analysis/?indicator=access_share&level=district"
        f"&dimension=school&seed={SEED}&permutations=99"
    )
    assert result["moran"]["I"] == pytest.approx(rest["moran"]["I"], abs=1e-12)
    assert result["lisa"]["p_sim"] == rest["lisa"]["p_sim"]
    assert result["unweighted"] == rest["unweighted"]


def test_the_process_refuses_bad_input_with_a_message(watch_ogc_url):
    status, body = _post(
        f"{watch_ogc_url}/processes/disparity-analysis/execution",
        {"inputs": {"indicator": "nope", "level": "district"}},
    )
    assert status == 400, body
    assert "the catalogue has" in json.dumps(body)


def test_a_long_analysis_runs_in_the_background_with_a_job_status(live_url):
    url = f"{live_url}/api/v1/watch/runs/?indicator=density&level=district&seed={SEED}"
    status, body = _post(url, {})
    assert status == 202 and body["status"] == "accepted"
    run_url = f"{live_url}/api/v1/watch/runs/{body['run']}/"
    deadline = time.monotonic() + 120
    run = _get(run_url)
    while run["status"] in ("accepted", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        run = _get(run_url)
    assert run["status"] == "successful", run
    assert run["seed"] == SEED and run["result"]["moran"]["seed"] == SEED
    assert run["method_version"] == run["result"]["method_version"]
    # Bad requests are refused at once, not accepted and failed later.
    status, body = _post(f"{live_url}/api/v1/watch/runs/?indicator=density&level=province", {})
    assert status == 400 and body["code"] == "no_data"


def _wait_job(job_url: str) -> dict:
    deadline = time.monotonic() + 120
    job = _get(f"{job_url}?f=json")
    while job["status"] in ("accepted", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = _get(f"{job_url}?f=json")
    return job


def test_the_process_runs_as_a_job_when_asked_asynchronously(watch_ogc_url, live_url):
    from owslib.ogcapi.processes import Processes

    described = _get(f"{watch_ogc_url}/processes/disparity-analysis?f=json")
    assert "async-execute" in described["jobControlOptions"]
    conformance = _get(f"{watch_ogc_url}/conformance?f=json")["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list" in conformance
    assert not any(c.endswith(("/dismiss", "/callback")) for c in conformance)
    inputs = {"indicator": "density", "level": "district", "seed": SEED, "permutations": 99}
    # OWSLib sends Prefer: respond-async and gets 201 with the job's Location.
    processes = Processes(watch_ogc_url, timeout=120)
    processes.execute("disparity-analysis", inputs, async_=True)
    job_url = processes.response_headers["Location"]
    assert job_url.startswith(f"{watch_ogc_url}/jobs/")
    assert processes.response_headers["Preference-Applied"] == "respond-async"
    job = _wait_job(job_url)
    assert job["status"] == "successful", job
    assert job["processID"] == "disparity-analysis"
    results = _get(f"{job_url}/results?f=json")
    result = results["outputs"][0] if "outputs" in results else results
    rest = _get(
        f"{live_url}/api/v1/watch/analysis/?indicator=density&level=district"
        f"&seed={SEED}&permutations=99"
    )
    assert result["moran"]["seed"] == SEED
    assert result["moran"]["I"] == pytest.approx(rest["moran"]["I"], abs=1e-12)
    assert result["unweighted"] == rest["unweighted"]
    job_id = job_url.rsplit("/", 1)[1]
    listed = _get(f"{watch_ogc_url}/jobs?f=json")["jobs"]
    assert job_id in {j["jobID"] for j in listed}
    # Nobody may dismiss a job: jobs have no owner to check.
    request = urllib.request.Request(job_url, method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 405
    assert _get(f"{job_url}?f=json")["status"] == "successful"


def test_a_failing_job_says_why_in_its_status(watch_ogc_url):
    request = urllib.request.Request(
        f"{watch_ogc_url}/processes/disparity-analysis/execution",
        data=json.dumps({"inputs": {"indicator": "nope", "level": "district"}}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Prefer": "respond-async"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
        job_url = response.headers["Location"]
    job = _wait_job(job_url)
    assert job["status"] == "failed" and "the catalogue has" in job["message"]


def test_a_zoning_lookup_is_answered_at_once_and_never_kept_as_a_job(watch_ogc_url):
    before = {j["jobID"] for j in _get(f"{watch_ogc_url}/jobs?f=json")["jobs"]}
    point = {"type": "Point", "coordinates": [-7.62, 33.53]}
    request = urllib.request.Request(
        f"{watch_ogc_url}/processes/zoning-lookup/execution",
        data=json.dumps({"inputs": {"geometry": point}}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Prefer": "respond-async"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        assert response.headers["Preference-Applied"] == "wait"
        assert "Location" not in response.headers
        json.load(response)
    jobs = _get(f"{watch_ogc_url}/jobs?f=json")["jobs"]
    assert {j["jobID"] for j in jobs} == before
    assert all(j["processID"] != "zoning-lookup" for j in jobs)


@pytest.mark.parametrize(
    ("lang", "values_title", "catalogue_title", "keyword"),
    [
        ("fr", "Valeurs des indicateurs", "Indicateurs de l'observatoire urbain", "veille urbaine"),
        ("ar", "قيم المؤشرات", "مؤشرات المرصد الحضري", "الرصد الحضري"),
    ],
)
def test_indicator_collections_are_titled_in_french_and_arabic(
    watch_ogc_url, lang, values_title, catalogue_title, keyword
):
    values = _get(f"{watch_ogc_url}/collections/indicator_values?f=json&lang={lang}")
    assert values["title"] == values_title
    assert keyword in values["keywords"] and values["description"]
    catalogue = _get(f"{watch_ogc_url}/collections/indicators?f=json&lang={lang}")
    assert catalogue["title"] == catalogue_title
    assert keyword in catalogue["keywords"]
