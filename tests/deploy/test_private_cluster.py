"""scripts/pg.sh: where the private cluster lives, for a checkout postgres can or cannot enter."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env_of(checkout: Path) -> dict[str, str]:
    out = subprocess.run(
        [str(checkout / "scripts" / "pg.sh"), "env"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "EU_PGBASE": ""},
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def _copy_scripts(target: Path) -> Path:
    (target / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "pg.sh", target / "scripts" / "pg.sh")
    return target


def test_this_checkout_uses_a_private_socket_and_port():
    env = _env_of(ROOT)
    assert env["PGPORT"] != "5432"
    assert not env["PGHOST"].startswith("/var/run/postgresql")


@pytest.mark.skipif(os.geteuid() != 0, reason="the fallback concerns a root user's clone")
def test_a_checkout_postgres_cannot_enter_falls_back_to_var_tmp(tmp_path):
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    checkout = _copy_scripts(private / "clone")
    env = _env_of(checkout)
    assert env["EU_PGDATA"].startswith("/var/tmp/eurbanisme-")
    # Two different checkouts never share a fallback directory.
    other = _copy_scripts(private / "other")
    assert _env_of(other)["EU_PGDATA"] != env["EU_PGDATA"]


@pytest.mark.skipif(os.geteuid() != 0, reason="the fallback concerns a root user's clone")
def test_a_checkout_postgres_can_enter_keeps_the_cluster_under_var():
    # /var/tmp is world-enterable; pytest's own tmp_path is private to root.
    base = Path(tempfile.mkdtemp(prefix="eu-pgtest-", dir="/var/tmp"))
    try:
        base.chmod(0o755)
        checkout = _copy_scripts(base / "clone")
        assert _env_of(checkout)["EU_PGDATA"] == str(checkout / "var" / "pg" / "data")
    finally:
        shutil.rmtree(base)
