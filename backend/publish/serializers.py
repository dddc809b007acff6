from __future__ import annotations

from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from planning.models import ZONE_ATTRIBUTES

from .models import PublishedArticle, PublishedPlanVersion, PublishedZone


class PlanVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublishedPlanVersion
        fields = [
            "id",
            "document_code",
            "document_name_fr",
            "document_name_ar",
            "doc_type",
            "label",
            "stage",
            "status",
        ]


class ArticleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublishedArticle
        fields = ["number", "title_fr", "title_ar"]


class ZoneSerializer(GeoFeatureModelSerializer):
    version = serializers.SerializerMethodField()
    document = serializers.SerializerMethodField()
    articles = serializers.SerializerMethodField()

    class Meta:
        model = PublishedZone
        geo_field = "geom"
        fields = ["id", *ZONE_ATTRIBUTES, "status", "version", "document", "articles"]

    def get_version(self, zone: PublishedZone) -> dict:
        v = zone.version
        return {"id": v.id, "label": v.label, "kind": v.stage}

    def get_document(self, zone: PublishedZone) -> dict:
        v = zone.version
        return {
            "code": v.document_code,
            "name_fr": v.document_name_fr,
            "name_ar": v.document_name_ar,
        }

    def get_articles(self, zone: PublishedZone) -> list[dict]:
        articles = PublishedArticle.objects.filter(version_id=zone.version_id, zone_code=zone.code)
        return ArticleSerializer(articles, many=True).data
