"""Read-only models over the `publish` SQL views: what the public may see, defined once in SQL."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField


class PublishedPlanVersion(models.Model):
    document_code = models.CharField(max_length=40)
    document_name_fr = models.CharField(max_length=300)
    document_name_ar = models.CharField(max_length=300)
    doc_type = models.CharField(max_length=8)
    label = models.CharField(max_length=200)
    stage = models.CharField(max_length=16)
    status = models.CharField(max_length=16)

    class Meta:
        managed = False
        db_table = 'publish"."plan_versions'
        ordering = ["document_code", "id"]


class PublishedZone(models.Model):
    version = models.ForeignKey(PublishedPlanVersion, on_delete=models.DO_NOTHING)
    document_code = models.CharField(max_length=40)
    status = models.CharField(max_length=16)
    key = models.CharField(max_length=64)
    code = models.CharField(max_length=16)
    label_fr = models.CharField(max_length=200)
    label_ar = models.CharField(max_length=200)
    family = models.CharField(max_length=16)
    max_height_m = models.FloatField(null=True)
    max_levels = models.PositiveSmallIntegerField(null=True)
    ground_coverage_max = models.FloatField(null=True)
    floor_area_ratio_max = models.FloatField(null=True)
    min_lot_area_m2 = models.FloatField(null=True)
    setback_road_m = models.FloatField(null=True)
    setback_neighbour_m = models.FloatField(null=True)
    allowed_uses = ArrayField(models.CharField(max_length=100))
    prohibited_uses = ArrayField(models.CharField(max_length=100))
    geom = models.MultiPolygonField(srid=4326)

    class Meta:
        managed = False
        db_table = 'publish"."zones'


class PublishedArticle(models.Model):
    version = models.ForeignKey(PublishedPlanVersion, on_delete=models.DO_NOTHING)
    zone_code = models.CharField(max_length=16)
    number = models.CharField(max_length=20)
    position = models.PositiveIntegerField()
    title_fr = models.CharField(max_length=300)
    title_ar = models.CharField(max_length=300)

    class Meta:
        managed = False
        db_table = 'publish"."regulation_articles'
        ordering = ["position"]
