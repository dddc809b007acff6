from __future__ import annotations

from rest_framework import serializers

from common.api import GeoJSONGeometryField, parse_srid

from .models import ZONE_ATTRIBUTES, PlanningEvent, Zone


class ZoneEditSerializer(serializers.ModelSerializer):
    """A zone as planners edit it: rules, GeoJSON geometry (any EPSG CRS in), revision."""

    geometry = GeoJSONGeometryField(source="geom")
    crs = serializers.CharField(write_only=True, required=False, default="EPSG:4326")
    repair = serializers.BooleanField(write_only=True, required=False, default=False)

    class Meta:
        model = Zone
        fields = ["id", "version", "key", *ZONE_ATTRIBUTES, "revision", "geometry", "crs", "repair"]
        read_only_fields = ["id", "version", "revision"]
        # Rules are checked by planning.validation, with located messages, not by DRF.
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


class PlanningEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)

    class Meta:
        model = PlanningEvent
        fields = ["id", "at", "action", "actor", "payload"]
