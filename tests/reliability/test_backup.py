"""`make backup` / `make restore`: a round trip gives back every row and every uploaded file."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKUP = str(ROOT / "scripts" / "backup.sh")
RESTORED = "test_eurbanisme_restored"


def _fingerprint(dbname: str) -> dict[str, tuple[int, str]]:
    """Per table of the public schema: row count and a hash of all its rows."""
    with psycopg.connect(dbname=dbname) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'spatial_ref_sys' ORDER BY tablename"
            )
        ]
        return {
            table: conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608 - names from the catalogue
                f'FROM "{table}" t'
            ).fetchone()
            for table in tables
        }


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BACKUP, *args], env=dict(os.environ, **env), capture_output=True, text=True
    )


@pytest.fixture
def media(tmp_path) -> Path:
    folder = tmp_path / "media"
    (folder / "documents" / "PA-1").mkdir(parents=True)
    (folder / "documents" / "PA-1" / "reglement.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(4096))
    (folder / "rasters.tif").write_bytes(os.urandom(2048))
    return folder


def test_a_backup_restores_every_row_and_file(db, test_db_name, media, tmp_path):
    archive = tmp_path / "backup.tar"
    made = _run("backup", str(archive), PGDATABASE=test_db_name, EU_MEDIA_ROOT=str(media))
    assert made.returncode == 0, made.stderr
    assert "[3/3]" in made.stdout  # progress, step by step

    target = tmp_path / "restored-media"
    try:
        done = _run("restore", str(archive), PGDATABASE=RESTORED, EU_MEDIA_ROOT=str(target))
        assert done.returncode == 0, done.stderr
        original, restored = _fingerprint(test_db_name), _fingerprint(RESTORED)
        assert original == restored
        assert original["inquiry_observation"][0] > 0 and original["planning_zone"][0] > 0
        assert _files(target) == _files(media)
    finally:
        subprocess.run(["dropdb", "--if-exists", RESTORED], check=True)


def test_a_damaged_archive_is_refused_before_anything_changes(db, test_db_name, media, tmp_path):
    archive = tmp_path / "backup.tar"
    assert (
        _run("backup", str(archive), PGDATABASE=test_db_name, EU_MEDIA_ROOT=str(media)).returncode
        == 0
    )
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name == "media/rasters.tif":
                data = b"x" + data[1:]
            out.addfile(member, fileobj=None if data is None else io.BytesIO(data))
    target = tmp_path / "untouched"
    target.mkdir()
    (target / "keep.txt").write_text("still here")
    refused = _run("restore", str(damaged), PGDATABASE=RESTORED, EU_MEDIA_ROOT=str(target))
    assert refused.returncode == 1 and "damaged" in refused.stderr
    assert (target / "keep.txt").read_text() == "still here"
    with psycopg.connect(dbname="postgres") as conn:
        assert not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (RESTORED,)
        ).fetchone()
