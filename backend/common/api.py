"""REST plumbing shared by the apps: service refusals become clear 4xx responses."""

from __future__ import annotations

import json
import logging
import threading

from django.contrib.gis.gdal import GDALException, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db import InterfaceError, OperationalError
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Invalid, Refused

log = logging.getLogger(__name__)

ERR_DATABASE = (
    "The database is unavailable for a moment (restart or maintenance): nothing was recorded. "
    "Try again in a few seconds."
)
ERR_GEOJSON = "Malformed GeoJSON geometry: {error}."
ERR_3D = (
    "The geometry has a third (Z) coordinate: send 2D coordinates only (longitude and latitude, "
    "or x and y)."
)
ERR_CRS = "Unknown CRS {crs!r}: give an EPSG code such as EPSG:26191, EPSG:26192 or EPSG:4326."


def exception_handler(exc, context):
    """Map `Refused` (and `Invalid`, with its problems) to a JSON 4xx, a database outage to a
    503 that says nothing was recorded; the rest to DRF."""
    if isinstance(exc, Refused):
        body = {"detail": exc.message, "code": exc.code}
        if isinstance(exc, Invalid):
            body["problems"] = exc.problems
        current = getattr(exc, "current", None)
        if current is not None:
            from planning.serializers import ZoneEditSerializer

            body["current"] = ZoneEditSerializer(current).data
        return Response(body, status=exc.status)
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is restarting or unreachable: the transaction did not commit.
        log.warning("database unavailable: %s", type(exc).__name__)
        response = Response({"detail": ERR_DATABASE, "code": "database_unavailable"}, status=503)
        response["Retry-After"] = "5"
        return response
    return drf_exception_handler(exc, context)


_per_thread = threading.local()


def reused(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """This thread's instance of a serializer that takes no context, its fields built once.

    DRF deep-copies the declared fields of a serializer for every instance: ~0.8 ms for the 13
    fields of a citizen's submission, a tenth of its time. Fields keep nothing of what they
    validate or represent, so one thread may reuse them. Use `run_validation(data)` (raises
    the same ValidationError as `is_valid(raise_exception=True)`) and
    `to_representation(instance)` (the same dict as `.data`).
    """
    instances = _per_thread.__dict__
    instance = instances.get(serializer_class)
    if instance is None:
        instance = instances[serializer_class] = serializer_class()
    return instance


class OneRenderer(DefaultContentNegotiation):
    """Content negotiation for a view with one renderer: that one, whatever the Accept header.

    DRF parses the Accept header and the query string to choose among the renderers, even when
    there is one: 2.6 % of a submission's Python in the last-day rush. A client that asks for
    another type gets this one rather than a 406. Parsers are chosen as DRF chooses them.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def parse_srid(crs: str) -> int:
    """EPSG:n, or an OGC CRS URI, to an SRID that PROJ knows."""
    text = crs.strip()
    if text.upper() in ("CRS84", "OGC:CRS84", "HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84"):
        return 4326
    code = text.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    try:
        srid = int(code)
        SpatialReference(srid)
    except (ValueError, GDALException) as exc:
        raise serializers.ValidationError(ERR_CRS.format(crs=crs)) from exc
    return srid


class GeoJSONGeometryField(serializers.JSONField):
    """A GeoJSON geometry object in, a GEOS geometry out (SRID set by the `crs` field)."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if not isinstance(data, dict) or "type" not in data:
            raise serializers.ValidationError(
                ERR_GEOJSON.format(error="expected an object with 'type' and 'coordinates'")
            )
        try:
            geometry = GEOSGeometry(json.dumps(data))
        except (GEOSException, GDALException, ValueError, TypeError) as exc:
            raise serializers.ValidationError(ERR_GEOJSON.format(error=exc)) from exc
        if geometry.hasz:
            raise serializers.ValidationError(ERR_3D)
        return geometry

    def to_representation(self, value):
        return json.loads(value.geojson)
