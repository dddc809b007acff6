"""Validation of zones at save time: every problem explained, located, never silently fixed."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import DatabaseError, connection, transaction

from .models import PlanVersion, ZoneCode

MSG_INVALID = "The geometry is not valid: {reason}. Repair it, or save again with repair=true."
MSG_EMPTY = "The geometry is empty."
MSG_TYPE = "A zone must be a polygon or a multipolygon, not a {kind}."
MSG_VERTICES = "The geometry has {count} vertices; the limit is {limit}. Simplify it."
MSG_RANGE = (
    "Coordinates out of range: longitude {x:.6g}, latitude {y:.6g} (EPSG:4326 needs longitudes in "
    "[-180, 180] and latitudes in [-90, 90]). Check the CRS the geometry was sent in."
)
MSG_OUTSIDE = "{area:.1f} m² of the zone lie outside the plan perimeter."
MSG_OVERLAP = "The zone overlaps zone {code} (#{id}) over {area:.1f} m²."
MSG_UNKNOWN_CODE = "Code {code!r} is not in the code list of this document ({known})."
MSG_FAMILY = "Code {code} belongs to the family {expected!r}, not {family!r}."
MSG_ABOVE_LIMIT = "{field} = {value} is above the limit of code {code} ({limit})."
MSG_BELOW_FLOOR = "{field} = {value} is below the minimum of code {code} ({limit})."
MSG_INCONSISTENT = (
    "The floor-area ratio (CUS {far}) cannot exceed the ground coverage (COS {cov}) times the "
    "number of floors (R+{levels}, so {floors}): at most {most:.2f}."
)


@dataclass
class Problem:
    """One validation problem: a code tests can check, a message, and where it is."""

    code: str
    message: str
    field: str = "geometry"
    location: dict | None = None  # a GeoJSON point, in EPSG:4326
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _point(ewkt_or_geojson: str | None) -> dict | None:
    return json.loads(ewkt_or_geojson) if ewkt_or_geojson else None


def check_geometry(geom: GEOSGeometry) -> list[Problem]:
    """Validity, type, emptiness and vertex cap; checked in PostGIS for its exact reasons."""
    if geom.empty:
        return [Problem("geometry_empty", MSG_EMPTY)]
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return [Problem("geometry_type", MSG_TYPE.format(kind=geom.geom_type))]
    problems = []
    # Beyond the globe, PostGIS's geography wraps longitudes around: a polygon at longitude 352
    # would be measured at -8, and a small one would pass the perimeter check.
    west, south, east, north = geom.extent
    if west < -180 or east > 180 or south < -90 or north > 90:
        x = west if west < -180 else east if east > 180 else (west + east) / 2
        y = south if south < -90 else north if north > 90 else (south + north) / 2
        return [Problem("out_of_range", MSG_RANGE.format(x=x, y=y))]
    limit = settings.EU_MAX_VERTICES
    if geom.num_coords > limit:
        problems.append(
            Problem("too_many_vertices", MSG_VERTICES.format(count=geom.num_coords, limit=limit))
        )
    try:
        # A savepoint: PostGIS may refuse to read the geometry at all (a ring of fewer than four
        # positions), and the caller's transaction must survive that.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT d.valid, d.reason, ST_AsGeoJSON(d.location) "
                "FROM ST_IsValidDetail(ST_GeomFromEWKB(%s)) d",
                [bytes(geom.ewkb)],
            )
            valid, reason, location = cursor.fetchone()
    except DatabaseError as exc:
        reason = str(exc).splitlines()[0]
        return [*problems, Problem("geometry_invalid", MSG_INVALID.format(reason=reason))]
    if not valid:
        problems.append(
            Problem(
                "geometry_invalid", MSG_INVALID.format(reason=reason), location=_point(location)
            )
        )
    return problems


def check_placement(
    geom: GEOSGeometry, *, version: PlanVersion, exclude_id: int | None
) -> list[Problem]:
    """Inside the plan perimeter, and no overlap with another zone beyond the tolerance."""
    tolerance = settings.EU_OVERLAP_TOLERANCE_M2
    problems = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH g AS (SELECT ST_GeomFromEWKB(%(g)s) AS geom),
                 outside AS (
                   SELECT ST_Difference(g.geom, d.perimeter) AS geom
                   FROM g, planning_planningdocument d WHERE d.id = %(doc)s)
            SELECT ST_Area(geom::geography), ST_AsGeoJSON(ST_PointOnSurface(geom))
            FROM outside WHERE NOT ST_IsEmpty(geom)
            """,
            {"g": bytes(geom.ewkb), "doc": version.document_id},
        )
        row = cursor.fetchone()
        if row and row[0] > tolerance:
            problems.append(
                Problem(
                    "outside_perimeter",
                    MSG_OUTSIDE.format(area=row[0]),
                    location=_point(row[1]),
                    details={"area_m2": row[0]},
                )
            )
        # The && filter uses the GiST index; the area is on the geography, in m².
        cursor.execute(
            """
            WITH g AS (SELECT ST_GeomFromEWKB(%(g)s) AS geom)
            SELECT z.id, z.code, a.area, ST_AsGeoJSON(ST_PointOnSurface(a.inter))
            FROM g, planning_zone z,
                 LATERAL (SELECT ST_Intersection(z.geom, g.geom) AS inter) i,
                 LATERAL (SELECT i.inter, ST_Area(i.inter::geography) AS area) a
            WHERE z.version_id = %(v)s AND z.geom && g.geom AND z.id <> %(ex)s
              AND ST_Intersects(z.geom, g.geom) AND a.area > %(tol)s
            ORDER BY a.area DESC
            """,
            {"g": bytes(geom.ewkb), "v": version.pk, "ex": exclude_id or 0, "tol": tolerance},
        )
        for zone_id, code, area, location in cursor.fetchall():
            problems.append(
                Problem(
                    "overlap",
                    MSG_OVERLAP.format(code=code, id=zone_id, area=area),
                    location=_point(location),
                    details={"zone_id": zone_id, "area_m2": area},
                )
            )
    return problems


_LIMITS = [
    ("max_levels", "max_levels_limit", MSG_ABOVE_LIMIT),
    ("max_height_m", "max_height_m_limit", MSG_ABOVE_LIMIT),
    ("ground_coverage_max", "ground_coverage_limit", MSG_ABOVE_LIMIT),
    ("floor_area_ratio_max", "floor_area_ratio_limit", MSG_ABOVE_LIMIT),
    ("min_lot_area_m2", "min_lot_area_m2_floor", MSG_BELOW_FLOOR),
]


def check_rules(values: dict[str, Any], *, version: PlanVersion) -> list[Problem]:
    """The code is in the document's code list, with its family, and the rules in its limits."""
    codes = {c.code: c for c in ZoneCode.objects.filter(document_id=version.document_id)}
    problems = []
    code = values.get("code")
    entry = codes.get(code)
    if codes and entry is None:
        problems.append(
            Problem(
                "unknown_code",
                MSG_UNKNOWN_CODE.format(code=code, known=", ".join(sorted(codes))),
                field="code",
            )
        )
    if entry is not None:
        if values.get("family") and values["family"] != entry.family:
            problems.append(
                Problem(
                    "family_mismatch",
                    MSG_FAMILY.format(code=code, expected=entry.family, family=values["family"]),
                    field="family",
                )
            )
        for name, limit_name, message in _LIMITS:
            value, limit = values.get(name), getattr(entry, limit_name)
            if value is None or limit is None:
                continue
            beyond = value < limit if message is MSG_BELOW_FLOOR else value > limit
            if beyond:
                problems.append(
                    Problem(
                        "rule_out_of_range",
                        message.format(field=name, value=value, code=code, limit=limit),
                        field=name,
                    )
                )
    far, cov, levels = (
        values.get(k) for k in ("floor_area_ratio_max", "ground_coverage_max", "max_levels")
    )
    if None not in (far, cov, levels) and far > cov * (levels + 1) + 1e-9:
        problems.append(
            Problem(
                "rule_inconsistent",
                MSG_INCONSISTENT.format(
                    far=far, cov=cov, levels=levels, floors=levels + 1, most=cov * (levels + 1)
                ),
                field="floor_area_ratio_max",
            )
        )
    return problems


# Problems after which placing the geometry (perimeter, overlaps) means nothing.
GEOMETRY_FATAL = ("geometry_empty", "geometry_type", "geometry_invalid", "out_of_range")


def validate_zone(
    values: dict[str, Any],
    *,
    version: PlanVersion,
    exclude_id: int | None = None,
    geometry: bool = True,
) -> list[Problem]:
    """All save-time checks of a zone; an empty list means it may be saved.

    `geometry=False` skips the geometric checks when the geometry did not change: it passed them
    when it was saved, and a rule edit must not be refused for a neighbour's later overlap.
    """
    if not geometry:
        return check_rules(values, version=version)
    geom = values["geom"]
    problems = check_geometry(geom)
    if not any(p.code in GEOMETRY_FATAL for p in problems):
        problems += check_placement(geom, version=version, exclude_id=exclude_id)
    return problems + check_rules(values, version=version)
