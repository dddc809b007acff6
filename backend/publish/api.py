"""Public read API: it reads the `publish` views only, so it can show nothing the public may not."""

from __future__ import annotations

import json
import math

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from common.errors import Refused

from . import note
from .models import PublishedPlanVersion, PublishedZone
from .serializers import PlanVersionSerializer, ZoneSerializer


class ZoneDetail(generics.RetrieveAPIView):
    """A published zone with its rules and the articles of its règlement chapter."""

    permission_classes = [AllowAny]
    serializer_class = ZoneSerializer
    queryset = PublishedZone.objects.select_related("version")


class PlanVersionList(generics.ListAPIView):
    """The plan versions the public may see: approved ones and drafts whose inquiry has opened."""

    permission_classes = [AllowAny]
    serializer_class = PlanVersionSerializer
    queryset = PublishedPlanVersion.objects.all()
    pagination_class = None


ERR_PLACE = (
    "Say where: `lon` and `lat` (WGS 84 degrees, e.g. lon=-7.62&lat=33.59), `zone` (a published "
    "zone id), or `geometry` (a GeoJSON Point or parcel polygon, in `crs`, default CRS84)."
)
ERR_LON_LAT = "`lon` must be a number in [-180, 180] and `lat` in [-90, 90]; got {lon!r}, {lat!r}."
ERR_GEOMETRY_JSON = "`geometry` is not valid JSON: {error}."
ERR_PLAN = "`plan` must be one of: {plans}."
ERR_LANG = "`lang` must be one of: {langs}."


PLACE_PARAMETERS = [
    OpenApiParameter("lon", float, description="Longitude (WGS 84), with `lat`."),
    OpenApiParameter("lat", float, description="Latitude (WGS 84), with `lon`."),
    OpenApiParameter("zone", int, description="A published zone id (the note at a point in it)."),
    OpenApiParameter("geometry", str, description="A GeoJSON Point or parcel polygon, in `crs`."),
    OpenApiParameter("crs", str, description="CRS of `geometry`: CRS84 (default), EPSG:26191..."),
    OpenApiParameter("plan", str, enum=list(note.PLANS), description="Only this plan's zones."),
]


def _query_place(params) -> tuple[dict, str | None, str | None]:
    """The place (GeoJSON), its CRS and the plan status asked for, from the query string."""
    plan = params.get("plan") or None
    if plan is not None and plan not in note.PLANS:
        raise Refused(ERR_PLAN.format(plans=", ".join(note.PLANS)), code="bad_plan")
    if params.get("zone"):
        try:
            zone_id = int(params["zone"])
        except ValueError:
            raise Refused(ERR_PLACE, code="bad_place") from None
        geometry, status = note.zone_point(zone_id)
        return geometry, None, plan or status
    if params.get("geometry"):
        try:
            geometry = json.loads(params["geometry"])
        except ValueError as err:
            raise Refused(ERR_GEOMETRY_JSON.format(error=err), code="bad_geometry") from None
        return geometry, params.get("crs") or None, plan
    if "lon" in params or "lat" in params:
        lon, lat = params.get("lon", ""), params.get("lat", "")
        try:
            x, y = float(lon), float(lat)
        except ValueError:
            x = y = math.nan
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            raise Refused(ERR_LON_LAT.format(lon=lon, lat=lat), code="bad_coordinates")
        return {"type": "Point", "coordinates": [x, y]}, None, plan
    raise Refused(ERR_PLACE, code="bad_place")


@extend_schema(parameters=PLACE_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
@permission_classes([AllowAny])
def lookup(request):
    """The zoning lookup at a place (the OGC process `zoning-lookup`), with the place's commune:
    what the map's card shows."""
    geometry, crs, plan = _query_place(request.query_params)
    data = note.note_data(geometry=geometry, crs=crs, plan=plan)
    data.pop("zones_extract")
    return Response(data)


@extend_schema(
    parameters=[
        *PLACE_PARAMETERS,
        OpenApiParameter("lang", str, enum=list(note.LANGS), description="fr (default) or ar."),
    ],
    responses={(200, "application/pdf"): OpenApiTypes.BINARY},
)
@api_view(["GET"])
@permission_classes([AllowAny])
def lookup_note(request):
    """The "note de renseignements urbanistiques" at a place, as a PDF (`lang`: fr or ar)."""
    lang = request.query_params.get("lang") or "fr"
    if lang not in note.LANGS:
        raise Refused(ERR_LANG.format(langs=", ".join(note.LANGS)), code="bad_lang")
    geometry, crs, plan = _query_place(request.query_params)
    data = note.note_data(geometry=geometry, crs=crs, plan=plan)
    pdf = note.note_pdf(data, lang)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"note-renseignements-{data['zones'][0]['code']}-{lang}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
