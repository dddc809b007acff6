"""schemathesis against the REST API's OpenAPI document, as the public: no server error."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

EXAMPLES = 2
SEED = 20261201
TIMEOUT_S = 240


def test_schemathesis_finds_no_server_error_in_the_rest_api(live_url, tmp_path):
    request = urllib.request.Request(
        f"{live_url}/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        document = json.load(response)
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document))
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [
            st,
            "run",
            str(path),
            "--url",
            live_url,
            "-n",
            str(EXAMPLES),
            f"--seed={SEED}",
            "-c",
            "not_a_server_error",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    report = result.stdout
    assert "operations" in report.lower() or "api operations" in report.lower(), report[:2000]
    assert result.returncode == 0, report[report.find("FAILURES") - 100 :][:8000] or report
