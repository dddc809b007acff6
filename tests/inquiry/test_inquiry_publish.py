"""publish.observations: what the public (tiles, OGC API, reader role) may see of the register."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from inquiry_helpers import point_in_zone, submit

from inquiry import services

PRIVATE_COLUMNS = {
    "author_name",
    "author_email",
    "author_id_number",
    "ip",
    "receipt_token",
    "hidden",
    "hidden_reason",
    "assigned_to_id",
    "tags",
    "context",
}


def _public_rows(inquiry_id: int) -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT register_number, author_display, body, zone_code, commune_code, "
            "ST_SRID(geom), ST_SRID(geom_3857) FROM publish.observations WHERE inquiry_id = %s",
            [inquiry_id],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _layer_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM publish.layer_version WHERE layer = 'observations'")
        return cursor.fetchone()[0]


def test_the_view_has_the_public_columns_and_no_private_one(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'publish' AND table_name = 'observations'"
        )
        columns = {r[0] for r in cursor.fetchall()}
    expected = {"id", "inquiry_id", "register_number", "theme", "status", "submitted_at"}
    assert expected | {"author_display", "body", "geom", "geom_3857"} <= columns
    assert not columns & PRIVATE_COLUMNS


def test_anonymous_named_hidden_and_unconsented_entries(open_inquiry, moderator):
    point, zone = point_in_zone(open_inquiry)
    anonymous = submit(open_inquiry, geometry=point)
    named = submit(open_inquiry, publish_named=True, body="Nommé", author_email="n@example.ma")
    hidden = submit(open_inquiry, body="Injurieux", author_email="h@example.ma")
    services.observation_hide(observation=hidden, reason="Injures", by=moderator)
    paper = submit(open_inquiry, channel="paper", consent_publication=False, body="Lettre")
    rows = _public_rows(open_inquiry.pk)
    assert rows[anonymous.register_number][:4] == (
        "Anonyme",
        anonymous.body,
        zone.code,
        anonymous.commune.code,
    )
    assert rows[anonymous.register_number][4:] == (4326, 3857)
    assert rows[named.register_number][0] == "Fatima Zahra Bennani"
    assert hidden.register_number not in rows
    assert paper.register_number not in rows


def test_each_register_write_bumps_the_observations_layer(open_inquiry, moderator):
    before = _layer_version()
    entry = submit(open_inquiry)
    after_submit = _layer_version()
    services.observation_hide(observation=entry, reason="x", by=moderator)
    assert before < after_submit < _layer_version()


def test_the_reader_role_reads_the_view_but_not_the_register(reader_conninfo):
    with psycopg.connect(reader_conninfo, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM publish.observations").fetchone()[0] >= 0
        for table in ("inquiry_observation", "inquiry_attachment", "inquiry_observationevent"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - test constant
