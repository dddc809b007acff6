"""The zoning lookup: at a point or on a parcel, the zone, its rules, the prescriptions, the plan
version and its legal status, the data behind a "note de renseignements urbanistiques".

Read from the `publish` views only, through the read-only role, in one SQL statement.
"""

from __future__ import annotations

import json
import logging

import psycopg
from pygeoapi.process.base import BaseProcessor, ProcessorExecuteError

from . import db
from .crs import CRS84, EPSG_URI, output_crs

LOGGER = logging.getLogger(__name__)

ACCEPTED_TYPES = ("Point", "Polygon", "MultiPolygon")
# A parcel larger than this is not a parcel: refuse rather than scan a whole plan.
MAX_AREA_M2 = 5_000_000
ERR_GEOMETRY = (
    "Input 'geometry' must be a GeoJSON Point, Polygon or MultiPolygon, e.g. "
    '{"type": "Point", "coordinates": [-7.62, 33.59]}.'
)
ERR_CRS = "Input 'crs' is not offered: {detail}"
ERR_INVALID = "The geometry is not valid: {detail}"
ERR_AREA = "The parcel is larger than {max} m²; send the parcel itself, not a whole area."

LOOKUP_SQL = """
WITH q AS (
  SELECT ST_Transform(ST_SetSRID(
           CASE WHEN %(flip)s THEN ST_FlipCoordinates(ST_GeomFromGeoJSON(%(geometry)s))
                ELSE ST_GeomFromGeoJSON(%(geometry)s) END, %(srid)s), 4326) AS g
), hit AS (
  SELECT z.*,
         CASE WHEN GeometryType(q.g) LIKE '%%POLYGON'
              THEN round(ST_Area(ST_Intersection(z.geom, q.g)::geography)::numeric, 1) END
           AS overlap_m2
  FROM publish.zones z, q
  WHERE ST_Intersects(z.geom, q.g)
)
SELECT json_build_object(
  'area_m2', (SELECT CASE WHEN GeometryType(g) LIKE '%%POLYGON'
                          THEN round(ST_Area(g::geography)::numeric, 1) END FROM q),
  'zones', coalesce((
    SELECT json_agg(json_build_object(
      'id', h.id, 'code', h.code, 'label_fr', h.label_fr, 'label_ar', h.label_ar,
      'family', h.family, 'overlap_m2', h.overlap_m2,
      'rules', json_build_object(
        'max_height_m', h.max_height_m, 'max_levels', h.max_levels,
        'ground_coverage_max', h.ground_coverage_max,
        'floor_area_ratio_max', h.floor_area_ratio_max, 'min_lot_area_m2', h.min_lot_area_m2,
        'setback_road_m', h.setback_road_m, 'setback_neighbour_m', h.setback_neighbour_m,
        'allowed_uses', h.allowed_uses, 'prohibited_uses', h.prohibited_uses),
      'plan_version', (
        SELECT json_build_object(
          'id', d.id, 'document_code', d.document_code, 'title', d.title,
          'title_ar', d.title_ar, 'doc_type', d.doc_type, 'stage', d.stage,
          'approved_on', d.approved_on, 'decree_reference', d.decree_reference,
          'bulletin_officiel_date', d.bulletin_officiel_date,
          'inquiry_opens_at', d.inquiry_opens_at, 'inquiry_closes_at', d.inquiry_closes_at)
        FROM publish.plan_documents d WHERE d.id = h.version_id),
      'legal_status', json_build_object(
        'status', h.status,
        'enforceable', h.status = 'approved',
        'fr', CASE WHEN h.status = 'approved'
                   THEN 'Plan approuvé, opposable aux tiers'
                   ELSE 'Projet soumis à enquête publique, non opposable' END,
        'ar', CASE WHEN h.status = 'approved'
                   THEN 'تصميم مصادق عليه وملزم للأغيار'
                   ELSE 'مشروع معروض على البحث العمومي، غير ملزم' END),
      'articles', coalesce((
        SELECT json_agg(json_build_object(
                 'number', a.number, 'title_fr', a.title_fr, 'title_ar', a.title_ar,
                 'body_fr', a.body_fr, 'body_ar', a.body_ar) ORDER BY a.position)
        FROM publish.regulation_articles a
        WHERE a.version_id = h.version_id AND (a.zone_code = h.code OR a.zone_code = '')),
        '[]'::json),
      'prescriptions', coalesce((
        SELECT json_agg(json_build_object(
                 'id', p.id, 'kind', p.kind, 'label_fr', p.label_fr, 'label_ar', p.label_ar,
                 'equipment_type', p.equipment_type, 'width_m', p.width_m,
                 'expires_on', p.expires_on) ORDER BY p.id)
        FROM publish.prescriptions p, q
        WHERE p.version_id = h.version_id AND ST_Intersects(p.geom, q.g)), '[]'::json)
    ) ORDER BY h.status, h.overlap_m2 DESC NULLS LAST, h.id) FROM hit h), '[]'::json)
)
"""

PROCESS_METADATA = {
    "version": "1.0.0",
    "id": "zoning-lookup",
    "title": {
        "fr": "Renseignements d'urbanisme à un point ou sur une parcelle",
        "ar": "المعلومات التعميرية لنقطة أو قطعة أرضية",
        "en": "Zoning lookup at a point or on a parcel",
    },
    "description": {
        "fr": "Zone(s), règles, articles du règlement, prescriptions, version du plan et statut "
        "juridique : les données d'une note de renseignements urbanistiques.",
        "ar": "المنطقة وقواعدها ومواد النظام والتخصيصات ونسخة التصميم ووضعها القانوني.",
        "en": "Zone(s), rules, règlement articles, prescriptions, plan version and legal status.",
    },
    "jobControlOptions": ["sync-execute"],
    "keywords": ["urbanisme", "zonage", "note de renseignements"],
    "links": [],
    "inputs": {
        "geometry": {
            "title": "Point ou parcelle (GeoJSON)",
            "description": "A GeoJSON Point, Polygon or MultiPolygon, in `crs` (default CRS84).",
            "schema": {"type": "object", "contentMediaType": "application/geo+json"},
            "minOccurs": 1,
            "maxOccurs": 1,
        },
        "crs": {
            "title": "CRS of the geometry",
            "description": "CRS84 (default), EPSG:4326 (lat, lon), 3857, 26191 or 26192.",
            "schema": {"type": "string", "default": CRS84},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
    },
    "outputs": {
        "lookup": {
            "title": "Renseignements",
            "description": "The zones found, each with its rules, articles, prescriptions, "
            "plan version and legal status; area_m2 of the parcel.",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        }
    },
    "example": {"inputs": {"geometry": {"type": "Point", "coordinates": [-7.62, 33.59]}}},
}


def crs_uri(value: str | None) -> str:
    """Accept a CRS URI, `EPSG:n` or nothing (CRS84)."""
    if not value:
        return CRS84
    if value.upper().startswith("EPSG:"):
        return EPSG_URI.format(code=value.split(":", 1)[1])
    return value


def lookup(geometry: dict, crs: str | None = None) -> dict:
    """The zoning data at a point or on a parcel (see PROCESS_METADATA)."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ACCEPTED_TYPES:
        raise ValueError(ERR_GEOMETRY)
    try:
        out = output_crs(crs_uri(crs))
    except ValueError as err:
        raise ValueError(ERR_CRS.format(detail=err)) from None
    params = {"geometry": json.dumps(geometry), "srid": out.srid, "flip": out.flip}
    try:
        with db.pool().connection() as conn:
            result = conn.execute(LOOKUP_SQL, params).fetchone()[0]
    except psycopg.errors.InternalError as err:
        raise ValueError(ERR_INVALID.format(detail=err.diag.message_primary)) from None
    except psycopg.DataError as err:
        raise ValueError(ERR_INVALID.format(detail=err.diag.message_primary)) from None
    if result["area_m2"] and result["area_m2"] > MAX_AREA_M2:
        raise ValueError(ERR_AREA.format(max=MAX_AREA_M2))
    return result


class ZoningLookupProcessor(BaseProcessor):
    """OGC API Processes wrapper of `lookup`."""

    def __init__(self, processor_def):
        """Describe the process."""
        super().__init__(processor_def, PROCESS_METADATA)

    def execute(self, data, outputs=None):
        """Run the lookup; bad input raises ProcessorExecuteError with the reason."""
        try:
            result = lookup(data.get("geometry"), data.get("crs"))
        except ValueError as err:
            raise ProcessorExecuteError(user_msg=str(err)) from None
        return "application/json", result

    def __repr__(self):
        return "<ZoningLookupProcessor>"
