"""The API the browser editor needs beyond zone CRUD: the version's context, its zones as
GeoJSON, split and merge. Thin views over planning.selectors / planning.reshape."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import GeoJSONGeometryField, parse_srid
from common.errors import Refused

from . import jobs, reshape
from .access import editable, editable_version, readable, readable_version, user_may_edit
from .api import _zone_response, etag, if_match_revision, uploaded_file
from .models import ImportJob, Zone, ZoneCode
from .serializers import ZoneEditSerializer

ERR_BBOX = (
    "Give bbox as four numbers west,south,east,north in degrees, e.g. bbox=-7.7,33.4,-7.5,33.6."
)
ERR_NOT_YOUR_JOB = "This import belongs to another agency's plan: only its planners may follow it."
ERR_OTHER_ZONE = "Say which zone to merge with: {'other': <zone id>, 'other_revision': <n>}."

# The editor loads a version's zones as one GeoJSON document up to this many; beyond, it must
# ask for its view's bounding box. Overridable for benchmark-sized plans.
MAX_ZONES_PER_REQUEST = getattr(settings, "EU_EDITOR_MAX_ZONES", 5000)
# Seven decimals of a degree are about 1 cm: exact enough to edit, half the bytes of 15.
GEOJSON_PRECISION = 7
ZONE_LIST_FIELDS = ["id", "key", "code", "label_fr", "label_ar", "family", "revision"]


def _bbox(text: str | None) -> Polygon | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise Refused(ERR_BBOX, code="bad_bbox") from exc
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise Refused(ERR_BBOX, code="bad_bbox")
    return Polygon.from_bbox((west, south, east, north))


class VersionContext(APIView):
    """What the editor needs to start: the version, its document, code list and extent."""

    permission_classes = [IsAuthenticated]

    def get(self, request, version_id: int):
        version = readable_version(request.user, version_id)
        document = version.document
        codes = ZoneCode.objects.filter(document=document).values(
            "code",
            "family",
            "label_fr",
            "label_ar",
            "max_levels_limit",
            "max_height_m_limit",
            "ground_coverage_limit",
            "floor_area_ratio_limit",
            "min_lot_area_m2_floor",
        )
        siblings = document.versions.exclude(pk=version.pk).values("id", "number", "label", "stage")
        return Response(
            {
                "id": version.pk,
                "number": version.number,
                "label": version.label,
                "stage": version.stage,
                "frozen": version.is_frozen,
                "parent": version.parent_id,
                "editable": user_may_edit(request.user, version) and not version.is_frozen,
                "document": {
                    "id": document.pk,
                    "code": document.code,
                    "name_fr": document.name_fr,
                    "name_ar": document.name_ar,
                },
                "bbox": list(document.perimeter.extent),
                "perimeter": json.loads(document.perimeter.geojson),
                "codes": list(codes),
                "versions": list(siblings),
            }
        )


class VersionZoneFeatures(APIView):
    """The zones of a version as a GeoJSON FeatureCollection (`bbox=` to load only a view)."""

    permission_classes = [IsAuthenticated]

    def get(self, request, version_id: int):
        version = readable_version(request.user, version_id)
        zones = Zone.objects.filter(version=version)
        bbox = _bbox(request.query_params.get("bbox"))
        if bbox is not None:
            zones = zones.filter(geom__bboverlaps=bbox)
        rows = list(
            zones.order_by("id")
            .annotate(geojson=AsGeoJSON("geom", precision=GEOJSON_PRECISION))
            .values(*ZONE_LIST_FIELDS, "geojson")[: MAX_ZONES_PER_REQUEST + 1]
        )
        truncated = len(rows) > MAX_ZONES_PER_REQUEST
        features = [
            {
                "type": "Feature",
                "id": row["id"],
                "geometry": json.loads(row.pop("geojson")),
                "properties": row,
            }
            for row in rows[:MAX_ZONES_PER_REQUEST]
        ]
        return Response({"type": "FeatureCollection", "features": features, "truncated": truncated})


class SplitSerializer(serializers.Serializer):
    line = GeoJSONGeometryField()
    crs = serializers.CharField(required=False, default="EPSG:4326")


class ZoneSplit(APIView):
    """Cut a zone along a line (If-Match): it keeps the largest part, the others become zones."""

    permission_classes = [IsAuthenticated]
    serializer_class = SplitSerializer

    def post(self, request, pk: int):
        zone = editable(request.user, Zone, pk)
        revision = if_match_revision(request, zone)
        serializer = SplitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        line: GEOSGeometry = serializer.validated_data["line"]
        line.srid = parse_srid(serializer.validated_data["crs"])
        zones = reshape.zone_split(zone=zone, line=line, by=request.user, if_revision=revision)
        return Response(
            {"zones": ZoneEditSerializer(zones, many=True).data},
            status=201,
            headers={"ETag": etag(zones[0])},
        )


class ZoneMerge(APIView):
    """Merge a neighbouring zone into this one (If-Match; `other_revision` for the other)."""

    permission_classes = [IsAuthenticated]

    def post(self, request, pk: int):
        zone = editable(request.user, Zone, pk)
        revision = if_match_revision(request, zone)
        try:
            other = readable(request.user, Zone, int(request.data["other"]))
            other_revision = int(request.data["other_revision"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Refused(ERR_OTHER_ZONE, code="bad_other") from exc
        merged = reshape.zone_merge(
            zone=zone,
            other=other,
            by=request.user,
            if_revision=revision,
            other_revision=other_revision,
        )
        return _zone_response(merged)


class VersionImportJobs(APIView):
    """Start an import in the background (same fields as the import); 202 with the job to poll."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    def post(self, request, version_id: int):
        version = editable_version(request.user, version_id)
        upload = uploaded_file(request)
        options = {
            "crs": request.data.get("crs") or None,
            "mapping": {
                k[len("map_") :]: v for k, v in request.data.items() if k.startswith("map_")
            },
            "replace": request.data.get("mode", "replace") == "replace",
            "dry_run": str(request.data.get("dry_run", "")).lower() in ("1", "true", "yes"),
        }
        job = jobs.import_job_start(
            version=version, data=upload.read(), name=upload.name, options=options, by=request.user
        )
        url = f"/api/v1/planning/import-jobs/{job.pk}/"
        return Response(jobs.job_as_dict(job), status=202, headers={"Location": url})


class ImportJobDetail(APIView):
    """An import job's status and progress (its agency's planners and administrators)."""

    permission_classes = [IsAuthenticated]

    def get(self, request, pk: int):
        job = get_object_or_404(ImportJob.objects.select_related("version__document"), pk=pk)
        if not user_may_edit(request.user, job.version):
            raise Refused(ERR_NOT_YOUR_JOB, code="forbidden", status=403)
        return Response(jobs.job_as_dict(job))
