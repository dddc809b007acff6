"""Production refuses to start without its secrets, or with a malformed setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
START = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def _start(**env: str | None) -> subprocess.CompletedProcess:
    """Start Django's settings in a fresh process with the given changes to the environment."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EU_")}
    environ |= {"DJANGO_SETTINGS_MODULE": "eurbanisme.settings", "EU_SECRET_KEY": "x" * 50}
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return subprocess.run(
        [sys.executable, "-c", START],
        cwd=REPO / "backend",
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_starts_with_a_secret_key_from_the_environment():
    started = _start()
    assert started.returncode == 0, started.stderr[-2000:]
    assert started.stdout.strip() == "False", "production is not in debug mode by default"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"EU_SECRET_KEY": None}, "EU_SECRET_KEY is required"),
        ({"EU_SECRET_KEY": ""}, "EU_SECRET_KEY is required"),
        ({"EU_SECRET_KEY": "   "}, "EU_SECRET_KEY is required"),
        ({"EU_DEBUG": "maybe"}, "EU_DEBUG='maybe' is not a boolean"),
        ({"EU_MAX_VERTICES": "lots"}, "EU_MAX_VERTICES='lots' is not an integer"),
    ],
    ids=["no secret key", "empty secret key", "blank secret key", "bad boolean", "bad integer"],
)
def test_it_refuses_to_start(env, says):
    started = _start(**env)
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr and says in started.stderr, started.stderr[
        -2000:
    ]
