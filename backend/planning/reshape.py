"""Split and merge zones: PostGIS does the geometry, the zone services do the writes.

Each operation runs in one transaction and is made of the ordinary zone services, so every
part gets the usual validation, row locks and history events (update, create, delete): a split
or a merge can be undone event by event with the zone restore.
"""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry, LineString, MultiPolygon
from django.db import connection, transaction

from accounts.models import User
from common.errors import Refused

from .models import Zone
from .services import ZONE_FIELDS, Stale, zone_create, zone_delete, zone_update

ERR_LINE_TYPE = "Draw the cutting line as a LineString (at least two points), not a {kind}."
ERR_NO_CUT = (
    "The line does not cut zone {key} in two: draw it across the zone, from one side to the "
    "other, beyond both edges."
)
ERR_OTHER_VERSION = (
    "Zones {a} and {b} belong to different versions: only zones of one version merge."
)
ERR_SAME_ZONE = "Choose another zone to merge with: a zone cannot merge with itself."
ERR_NOT_TOUCHING = (
    "Zones {a} and {b} do not share an edge, so their union would be in several pieces: "
    "merge only neighbouring zones."
)
ERR_STALE_OTHER = (
    "Zone {key} was changed by someone else since you loaded it (your revision {yours}, current "
    "{current}): reload it before merging."
)

# Pieces smaller than this (m²) are slivers of a cut along an edge, not parts of the zone.
MIN_PART_AREA_M2 = 1.0


def _split_parts(geom: GEOSGeometry, line: GEOSGeometry) -> list[GEOSGeometry]:
    """The polygons of a geometry cut by a line, largest first, slivers dropped."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_AsEWKB(ST_Multi(d.geom))
            FROM ST_Dump(ST_CollectionExtract(
                   ST_Split(ST_GeomFromEWKB(%(g)s), ST_GeomFromEWKB(%(l)s)), 3)) d
            WHERE ST_Area(d.geom::geography) >= %(min)s
            ORDER BY ST_Area(d.geom::geography) DESC
            """,
            {"g": bytes(geom.ewkb), "l": bytes(line.ewkb), "min": MIN_PART_AREA_M2},
        )
        return [GEOSGeometry(memoryview(bytes(row[0]))) for row in cursor.fetchall()]


@transaction.atomic
def zone_split(
    *, zone: Zone, line: GEOSGeometry, by: User | None, if_revision: int | None = None
) -> list[Zone]:
    """Cut a zone along a line: it keeps the largest part, each other part becomes a new zone
    with the same rules. Returns the zone, then the new zones."""
    if not isinstance(line, LineString) or line.num_points < 2:
        raise Refused(ERR_LINE_TYPE.format(kind=line.geom_type), code="bad_line")
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    if line.srid != zone.geom.srid:
        line.transform(zone.geom.srid)
    parts = _split_parts(zone.geom, line)
    if len(parts) < 2:
        raise Refused(ERR_NO_CUT.format(key=zone.key), code="no_cut")
    kept = zone_update(zone=zone, changes={"geom": parts[0]}, by=by, if_revision=if_revision)
    attributes = {name: getattr(kept, name) for name in ZONE_FIELDS - {"key", "geom"}}
    created = [
        zone_create(version=kept.version, values=attributes | {"geom": part}, by=by)
        for part in parts[1:]
    ]
    return [kept, *created]


def _union(a: GEOSGeometry, b: GEOSGeometry) -> GEOSGeometry:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsEWKB(ST_Multi(ST_UnaryUnion(ST_Collect("
            "ST_GeomFromEWKB(%s), ST_GeomFromEWKB(%s)))))",
            [bytes(a.ewkb), bytes(b.ewkb)],
        )
        return GEOSGeometry(memoryview(bytes(cursor.fetchone()[0])))


@transaction.atomic
def zone_merge(
    *,
    zone: Zone,
    other: Zone,
    by: User | None,
    if_revision: int | None = None,
    other_revision: int | None = None,
) -> Zone:
    """Merge a neighbouring zone into `zone`, which keeps its own rules; `other` is deleted."""
    if zone.pk == other.pk:
        raise Refused(ERR_SAME_ZONE, code="same_zone")
    # Lock both rows in id order, so two merges of the same pair cannot deadlock.
    locked = {z.pk: z for z in Zone.objects.select_for_update().filter(pk__in=[zone.pk, other.pk])}
    zone, other = locked[zone.pk], locked[other.pk]
    if zone.version_id != other.version_id:
        raise Refused(ERR_OTHER_VERSION.format(a=zone.key, b=other.key), code="other_version")
    if other_revision is not None and other_revision != other.revision:
        raise Stale(
            ERR_STALE_OTHER.format(key=other.key, yours=other_revision, current=other.revision),
            current=other,
        )
    union = _union(zone.geom, other.geom)
    if not isinstance(union, MultiPolygon) or len(union) != 1:
        raise Refused(ERR_NOT_TOUCHING.format(a=zone.key, b=other.key), code="not_touching")
    # Delete first: the union overlaps `other`, and the overlap check would refuse it.
    zone_delete(zone=other, by=by, if_revision=other_revision)
    return zone_update(zone=zone, changes={"geom": union}, by=by, if_revision=if_revision)
