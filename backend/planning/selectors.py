"""Reads on plan versions: the validation report, the diff between versions, changes at a point."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import connection

from .models import PlanVersion, ZoneFamily
from .services import ZONE_FIELDS

# Families whose zones may be built on, so their height, levels and coverage must be set.
BUILDABLE = [
    ZoneFamily.DENSE_HOUSING,
    ZoneFamily.VILLAS,
    ZoneFamily.MIXED,
    ZoneFamily.ECONOMIC,
    ZoneFamily.TOURISM,
]
RULES = ["max_height_m", "max_levels", "ground_coverage_max", "floor_area_ratio_max"]
DIFF_FIELDS = sorted(ZONE_FIELDS - {"key", "geom"})


def _rows(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _located(rows: list[dict]) -> list[dict]:
    for row in rows:
        if row.get("location"):
            row["location"] = json.loads(row["location"])
    return rows


def version_report(*, version: PlanVersion) -> dict[str, Any]:
    """The whole-version check, like the CNIG validator: each finding with its place."""
    p = {
        "v": version.pk,
        "doc": version.document_id,
        "tol": settings.EU_OVERLAP_TOLERANCE_M2,
        "buildable": [str(f) for f in BUILDABLE],
    }
    findings = {
        "invalid_geometries": _rows(
            "SELECT id, code, ST_IsValidReason(geom) AS reason, "
            "ST_AsGeoJSON(ST_PointOnSurface(ST_MakeValid(geom))) AS location "
            "FROM planning_zone WHERE version_id = %(v)s AND NOT ST_IsValid(geom)",
            p,
        ),
        "gaps": _rows(
            """
            WITH u AS (SELECT ST_Union(geom) AS geom FROM planning_zone WHERE version_id = %(v)s),
                 d AS (SELECT (ST_Dump(ST_Difference(doc.perimeter, coalesce(u.geom,
                              'GEOMETRYCOLLECTION EMPTY'::geometry)))).geom AS geom
                       FROM planning_planningdocument doc, u WHERE doc.id = %(doc)s)
            SELECT round(ST_Area(geom::geography)::numeric, 1)::float AS area_m2,
                   ST_AsGeoJSON(ST_PointOnSurface(geom)) AS location
            FROM d WHERE ST_Area(geom::geography) > %(tol)s ORDER BY 1 DESC
            """,
            p,
        ),
        # One GiST probe per zone (LATERAL), whatever the planner's statistics say.
        "overlaps": _rows(
            """
            SELECT a.id AS zone_id, a.code, o.id AS other_zone_id, o.code AS other_code,
                   round(o.area::numeric, 1)::float AS area_m2, o.location
            FROM planning_zone a
            CROSS JOIN LATERAL (
              SELECT b.id, b.code, ST_Area(i.geom::geography) AS area,
                     ST_AsGeoJSON(ST_PointOnSurface(i.geom)) AS location
              FROM planning_zone b
              CROSS JOIN LATERAL (SELECT ST_Intersection(a.geom, b.geom) AS geom) i
              WHERE b.geom && a.geom AND b.version_id = a.version_id AND b.id > a.id
                AND ST_Intersects(a.geom, b.geom) AND ST_Area(i.geom::geography) > %(tol)s
            ) o
            WHERE a.version_id = %(v)s
            ORDER BY area_m2 DESC
            """,
            p,
        ),
        "unknown_codes": _rows(
            "SELECT z.id, z.code, ST_AsGeoJSON(ST_PointOnSurface(z.geom)) AS location "
            "FROM planning_zone z WHERE z.version_id = %(v)s AND NOT EXISTS ("
            "SELECT 1 FROM planning_zonecode c WHERE c.document_id = %(doc)s AND c.code = z.code) "
            "AND EXISTS (SELECT 1 FROM planning_zonecode WHERE document_id = %(doc)s)",
            p,
        ),
        # A buildable zone needs a height limit (metres or levels) and a ground coverage.
        "missing_rules": _rows(
            "SELECT id, code, array_remove(ARRAY["
            "CASE WHEN max_height_m IS NULL AND max_levels IS NULL THEN 'max_height_m' END, "
            "CASE WHEN ground_coverage_max IS NULL THEN 'ground_coverage_max' END], NULL) "
            "AS missing, ST_AsGeoJSON(ST_PointOnSurface(geom)) AS location "
            "FROM planning_zone WHERE version_id = %(v)s AND family = ANY(%(buildable)s) AND ("
            "(max_height_m IS NULL AND max_levels IS NULL) OR ground_coverage_max IS NULL)",
            p,
        ),
        "lapsed_reservations": _rows(
            "SELECT id, kind, label_fr, expires_on, "
            "ST_AsGeoJSON(ST_PointOnSurface(geom)) AS location FROM planning_prescription "
            "WHERE version_id = %(v)s AND expires_on < current_date ORDER BY expires_on",
            p,
        ),
    }
    for rows in findings.values():
        _located(rows)
    return {
        "version": {
            "id": version.pk,
            "number": version.number,
            "label": version.label,
            "stage": version.stage,
            "document": version.document.code,
        },
        "summary": {name: len(rows) for name, rows in findings.items()},
        "valid": not any(
            findings[k]
            for k in ("invalid_geometries", "gaps", "overlaps", "unknown_codes", "missing_rules")
        ),
        **findings,
    }


def version_diff(*, old: PlanVersion, new: PlanVersion) -> dict[str, Any]:
    """Zones added, removed and modified (rules and geometry) between two versions, by key."""
    cols = ", ".join(f"o.{f} AS old_{f}, n.{f} AS new_{f}" for f in DIFF_FIELDS)
    rows = _rows(
        f"""
        SELECT coalesce(n.key, o.key) AS key, o.id AS old_id, n.id AS new_id, {cols},
               CASE WHEN o.id IS NOT NULL AND n.id IS NOT NULL
                    THEN NOT ST_Equals(o.geom, n.geom) END AS geometry_changed,
               ST_AsGeoJSON(ST_PointOnSurface(coalesce(n.geom, o.geom))) AS location
        FROM (SELECT * FROM planning_zone WHERE version_id = %(old)s) o
        FULL JOIN (SELECT * FROM planning_zone WHERE version_id = %(new)s) n ON n.key = o.key
        ORDER BY 1
        """,  # noqa: S608 - column names come from the model, values are bound
        {"old": old.pk, "new": new.pk},
    )
    added, removed, modified = [], [], []
    for row in rows:
        base = {"key": row["key"], "location": json.loads(row["location"])}
        if row["old_id"] is None:
            added.append(base | {"zone_id": row["new_id"], "code": row["new_code"]})
        elif row["new_id"] is None:
            removed.append(base | {"zone_id": row["old_id"], "code": row["old_code"]})
        else:
            changes = {
                f: {"before": row[f"old_{f}"], "after": row[f"new_{f}"]}
                for f in DIFF_FIELDS
                if row[f"old_{f}"] != row[f"new_{f}"]
            }
            if changes or row["geometry_changed"]:
                modified.append(
                    base
                    | {
                        "old_zone_id": row["old_id"],
                        "new_zone_id": row["new_id"],
                        "changes": changes,
                        "geometry_changed": row["geometry_changed"],
                    }
                )
    return {
        "old": {"id": old.pk, "number": old.number, "label": old.label},
        "new": {"id": new.pk, "number": new.number, "label": new.label},
        "summary": {"added": len(added), "removed": len(removed), "modified": len(modified)},
        "added": added,
        "removed": removed,
        "modified": modified,
    }


def changes_at(*, old: PlanVersion, new: PlanVersion, lon: float, lat: float) -> dict[str, Any]:
    """ "What changes here?": the zone and prescriptions at a point in each version."""

    def at(version: PlanVersion) -> dict[str, Any]:
        zones = _rows(
            "SELECT id, key, code, label_fr, label_ar, family, max_height_m, max_levels, "
            "ground_coverage_max, floor_area_ratio_max, min_lot_area_m2 "
            "FROM planning_zone WHERE version_id = %(v)s AND "
            "ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)) ORDER BY id",
            {"v": version.pk, "x": lon, "y": lat},
        )
        prescriptions = _rows(
            "SELECT id, kind, label_fr, label_ar, expires_on FROM planning_prescription "
            "WHERE version_id = %(v)s AND ST_DWithin(geom::geography, "
            "ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)::geography, 10) ORDER BY id",
            {"v": version.pk, "x": lon, "y": lat},
        )
        return {"zone": zones[0] if zones else None, "prescriptions": prescriptions}

    before, after = at(old), at(new)
    rule_changes = {}
    if before["zone"] and after["zone"]:
        rule_changes = {
            k: {"before": before["zone"][k], "after": after["zone"][k]}
            for k in ["code", "family", *RULES, "min_lot_area_m2"]
            if before["zone"][k] != after["zone"][k]
        }

    def kinds(state: dict) -> list[tuple]:
        return sorted((p["kind"], p["label_fr"]) for p in state["prescriptions"])

    changed = (
        bool(rule_changes)
        or (before["zone"] is None) != (after["zone"] is None)
        or kinds(before) != kinds(after)
    )
    return {
        "point": {"type": "Point", "coordinates": [lon, lat]},
        "before": before,
        "after": after,
        "changes": rule_changes,
        "changed": changed,
    }
