"""The planners' editing API: thin views over planning.services, with ETag / If-Match."""

from __future__ import annotations

from dataclasses import asdict

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import Refused

from . import selectors, services, transfer
from .access import editable, editable_version, readable, readable_version
from .models import PlanningEvent, PlanVersion, Zone
from .serializers import PlanningEventSerializer, ZoneEditSerializer

ERR_IF_MATCH = (
    "This write needs an If-Match header with the zone's ETag (from GET), so that it cannot "
    "overwrite someone else's change."
)
ERR_POINT = "Give the point as lon and lat in degrees (EPSG:4326), e.g. ?lon=-7.62&lat=33.53."
ERR_NO_FILE = "Send the file to import in the multipart field 'file'."
ERR_UPLOAD_SIZE = "The file is larger than {limit} MB: split it, or import it with the command."
ERR_BAD_ETAG = "If-Match {value!r} is not an ETag of this API."


def etag(item, kind: str = "zone") -> str:
    """The ETag of an edited feature (a zone, or another `kind`): its id and revision."""
    return f'"{kind}-{item.pk}-r{item.revision}"'


def if_match_revision(request, item, kind: str = "zone") -> int:
    """The revision the client's If-Match names for this feature (428 without, 412 if foreign)."""
    value = request.headers.get("If-Match")
    if not value:
        raise Refused(ERR_IF_MATCH, code="if_match_required", status=428)
    try:
        prefix, revision = value.strip().strip("W/").strip('"').rsplit("-r", 1)
        if prefix != f"{kind}-{item.pk}":
            raise ValueError
        return int(revision)
    except ValueError as exc:
        raise Refused(ERR_BAD_ETAG.format(value=value), code="bad_etag", status=412) from exc


def _zone_response(zone: Zone, status_code: int = 200) -> Response:
    return Response(ZoneEditSerializer(zone).data, status=status_code, headers={"ETag": etag(zone)})


class VersionZones(APIView):
    """Create a zone in a draft version."""

    permission_classes = [IsAuthenticated]
    serializer_class = ZoneEditSerializer

    def post(self, request, version_id: int):
        version = editable_version(request.user, version_id)
        serializer = ZoneEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        repair = values.pop("repair", False)
        zone = services.zone_create(version=version, values=values, by=request.user, repair=repair)
        return _zone_response(zone, status.HTTP_201_CREATED)


class ZoneEdit(APIView):
    """Read, change or delete a zone; writes need If-Match (stale: 412 with the current zone)."""

    permission_classes = [IsAuthenticated]
    serializer_class = ZoneEditSerializer

    def get(self, request, pk: int):
        return _zone_response(readable(request.user, Zone, pk))

    def patch(self, request, pk: int):
        zone = editable(request.user, Zone, pk)
        revision = if_match_revision(request, zone)
        serializer = ZoneEditSerializer(zone, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        repair = changes.pop("repair", False)
        zone = services.zone_update(
            zone=zone, changes=changes, by=request.user, if_revision=revision, repair=repair
        )
        return _zone_response(zone)

    def delete(self, request, pk: int):
        zone = editable(request.user, Zone, pk)
        services.zone_delete(
            zone=zone, by=request.user, if_revision=if_match_revision(request, zone)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ZoneHistory(APIView):
    """Who changed the zone, when, and the values before and after."""

    permission_classes = [IsAuthenticated]
    serializer_class = PlanningEventSerializer

    def get(self, request, pk: int):
        # The history is an editing tool: it shows a draft's states before they were public.
        zone = editable(request.user, Zone, pk)
        return Response(PlanningEventSerializer(services.zone_history(zone=zone), many=True).data)


class ZoneRestore(APIView):
    """Restore the state a zone had before one event of its history."""

    permission_classes = [IsAuthenticated]
    serializer_class = ZoneEditSerializer

    def post(self, request, pk: int, event_id: int):
        zone = editable(request.user, Zone, pk)
        event = get_object_or_404(PlanningEvent, pk=event_id)
        return _zone_response(services.zone_restore(zone=zone, event=event, by=request.user))


class VersionClone(APIView):
    """Clone a version (for instance a frozen one) into a new draft."""

    permission_classes = [IsAuthenticated]

    def post(self, request, version_id: int):
        version = editable_version(request.user, version_id)
        label = str(request.data.get("label") or f"Révision de la version {version.number}")
        clone = services.version_clone(version=version, label=label, by=request.user)
        return Response(
            {"id": clone.pk, "number": clone.number, "label": clone.label, "stage": clone.stage},
            status=status.HTTP_201_CREATED,
        )


def _visible_version(request, version_id: int) -> PlanVersion:
    """What the public sees (publish.plan_versions), and private drafts to their agency."""
    return readable_version(request.user, version_id)


class VersionReport(APIView):
    """A version's validation report: gaps, overlaps, codes, missing rules, lapsed reservations."""

    permission_classes = [IsAuthenticated]

    def get(self, request, version_id: int):
        version = readable_version(request.user, version_id)
        return Response(selectors.version_report(version=version))


class VersionDiff(APIView):
    """Zones added, removed or modified between two versions, with their rule changes."""

    permission_classes = [AllowAny]

    def get(self, request, old_id: int, new_id: int):
        old, new = _visible_version(request, old_id), _visible_version(request, new_id)
        return Response(selectors.version_diff(old=old, new=new))


class ChangesAt(APIView):
    """ "What changes here?" at a point (lon, lat in EPSG:4326) between two versions."""

    permission_classes = [AllowAny]

    def get(self, request, old_id: int, new_id: int):
        old, new = _visible_version(request, old_id), _visible_version(request, new_id)
        try:
            lon, lat = float(request.query_params["lon"]), float(request.query_params["lat"])
        except (KeyError, ValueError) as exc:
            raise Refused(ERR_POINT, code="bad_point") from exc
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise Refused(ERR_POINT, code="bad_point")
        return Response(selectors.changes_at(old=old, new=new, lon=lon, lat=lat))


def uploaded_file(request):
    """The request's `file`, refused before it is read when missing or over the size cap."""
    upload = request.FILES.get("file")
    if upload is None:
        raise Refused(ERR_NO_FILE, code="no_file")
    if upload.size > settings.EU_MAX_UPLOAD_BYTES:
        raise Refused(
            ERR_UPLOAD_SIZE.format(limit=settings.EU_MAX_UPLOAD_BYTES // 2**20),
            code="too_big",
            status=413,
        )
    return upload


class VersionImport(APIView):
    """Import zones from an uploaded file; `dry_run=true` returns the report and writes nothing."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    def post(self, request, version_id: int):
        version = editable_version(request.user, version_id)
        upload = uploaded_file(request)
        mapping = {k[len("map_") :]: v for k, v in request.data.items() if k.startswith("map_")}
        result = transfer.zones_import(
            version=version,
            data=upload.read(),
            name=upload.name,
            by=request.user,
            crs=request.data.get("crs") or None,
            mapping=mapping,
            replace=request.data.get("mode", "replace") == "replace",
            dry_run=str(request.data.get("dry_run", "")).lower() in ("1", "true", "yes"),
        )
        return Response(
            asdict(result), status=status.HTTP_201_CREATED if result.written else status.HTTP_200_OK
        )


class VersionExport(APIView):
    """The zones of a version as GeoPackage, GeoJSON, zipped Shapefile, CSV or CNIG GeoPackage."""

    permission_classes = [AllowAny]

    def get(self, request, version_id: int, fmt: str):
        version = _visible_version(request, version_id)
        content, media_type, filename = transfer.zones_export(version=version, fmt=fmt)
        response = HttpResponse(content, content_type=media_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
