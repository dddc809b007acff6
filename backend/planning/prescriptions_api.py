"""The prescriptions' editing API: thin views over planning.prescriptions, with ETag / If-Match."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import GeoJSONGeometryField, parse_srid

from . import prescriptions as services
from .access import editable, editable_version, readable
from .api import etag, if_match_revision
from .models import PlanningEvent, Prescription
from .serializers import PlanningEventSerializer


class PrescriptionEditSerializer(serializers.ModelSerializer):
    """A prescription as planners edit it: GeoJSON geometry (any EPSG CRS in), revision."""

    geometry = GeoJSONGeometryField(source="geom")
    crs = serializers.CharField(write_only=True, required=False, default="EPSG:4326")
    # A plain string: the service says which kinds exist, with the other problems at once.
    kind = serializers.CharField(max_length=32)

    class Meta:
        model = Prescription
        fields = [
            "id",
            "version",
            "key",
            "kind",
            "label_fr",
            "label_ar",
            "equipment_type",
            "width_m",
            "expires_on",
            "revision",
            "geometry",
            "crs",
        ]
        read_only_fields = ["id", "version", "revision"]
        # Kinds and geometry are checked by the service, with located messages, not by DRF.
        extra_kwargs = {"key": {"required": False, "validators": []}}

    def validate(self, attrs):
        geom = attrs.get("geom")
        if geom is not None:
            geom.srid = parse_srid(attrs.pop("crs", "EPSG:4326"))
            if geom.srid != 4326:
                geom.transform(4326)
        else:
            attrs.pop("crs", None)
        return attrs


def _if_match(request, item: Prescription) -> int:
    return if_match_revision(request, item, kind="prescription")


def _response(item: Prescription, status_code: int = 200) -> Response:
    data = PrescriptionEditSerializer(item).data
    return Response(data, status=status_code, headers={"ETag": etag(item, kind="prescription")})


def _stale(exc: services.PrescriptionStale) -> Response:
    body = {
        "detail": exc.message,
        "code": exc.code,
        "current": PrescriptionEditSerializer(exc.prescription).data,
    }
    return Response(body, status=exc.status)


class VersionPrescriptions(APIView):
    """Create a prescription (reservation, easement, no-build area) in a draft version."""

    permission_classes = [IsAuthenticated]
    serializer_class = PrescriptionEditSerializer

    def post(self, request, version_id: int):
        version = editable_version(request.user, version_id)
        serializer = PrescriptionEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.prescription_create(
            version=version, values=dict(serializer.validated_data), by=request.user
        )
        return _response(item, status.HTTP_201_CREATED)


class PrescriptionEdit(APIView):
    """Read, change or delete a prescription; writes need If-Match (stale: 412, current state)."""

    permission_classes = [IsAuthenticated]
    serializer_class = PrescriptionEditSerializer

    def get(self, request, pk: int):
        return _response(readable(request.user, Prescription, pk))

    def patch(self, request, pk: int):
        item = editable(request.user, Prescription, pk)
        revision = _if_match(request, item)
        serializer = PrescriptionEditSerializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            item = services.prescription_update(
                prescription=item,
                changes=dict(serializer.validated_data),
                by=request.user,
                if_revision=revision,
            )
        except services.PrescriptionStale as exc:
            return _stale(exc)
        return _response(item)

    def delete(self, request, pk: int):
        item = editable(request.user, Prescription, pk)
        try:
            services.prescription_delete(
                prescription=item, by=request.user, if_revision=_if_match(request, item)
            )
        except services.PrescriptionStale as exc:
            return _stale(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PrescriptionHistory(APIView):
    """Who changed the prescription, when, and the values before and after."""

    permission_classes = [IsAuthenticated]
    serializer_class = PlanningEventSerializer

    def get(self, request, pk: int):
        item = editable(request.user, Prescription, pk)
        events = services.prescription_history(prescription=item)
        return Response(PlanningEventSerializer(events, many=True).data)


class PrescriptionRestore(APIView):
    """Restore the state a prescription had before one event of its history."""

    permission_classes = [IsAuthenticated]
    serializer_class = PrescriptionEditSerializer

    def post(self, request, pk: int, event_id: int):
        item = editable(request.user, Prescription, pk)
        event = get_object_or_404(PlanningEvent, pk=event_id)
        restored = services.prescription_restore(prescription=item, event=event, by=request.user)
        return _response(restored)
