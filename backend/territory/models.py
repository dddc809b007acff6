"""The territory: administrative units, the agencies that cover them, what exists on the ground."""

from __future__ import annotations

from django.contrib.gis.db import models

from common.fields import web_mercator_copy


class NamedUnit(models.Model):
    """An administrative unit with a code and a name in French and Arabic."""

    code = models.CharField(max_length=32, unique=True)
    name_fr = models.CharField(max_length=200)
    name_ar = models.CharField(max_length=200)
    geom = models.MultiPolygonField(srid=4326)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name_fr} ({self.code})"


class Region(NamedUnit):
    geom_3857 = web_mercator_copy(models.MultiPolygonField)


class Province(NamedUnit):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="provinces")
    geom_3857 = web_mercator_copy(models.MultiPolygonField)


class Commune(NamedUnit):
    class Kind(models.TextChoices):
        URBAN = "urbaine", "Commune urbaine"
        RURAL = "rurale", "Commune rurale"

    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="communes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    geom_3857 = web_mercator_copy(models.MultiPolygonField)


class District(NamedUnit):
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="districts")
    population = models.PositiveIntegerField(help_text="Population légale (recensement).")
    geom_3857 = web_mercator_copy(models.MultiPolygonField)


class Agency(models.Model):
    """An agence urbaine; it covers one or more provinces."""

    code = models.CharField(max_length=32, unique=True)
    name_fr = models.CharField(max_length=200)
    name_ar = models.CharField(max_length=200)
    provinces = models.ManyToManyField(Province, related_name="agencies")

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name_fr


class Equipment(models.Model):
    """A public facility that exists (school, health centre, mosque, market...)."""

    class Kind(models.TextChoices):
        SCHOOL = "school", "École"
        HEALTH_CENTRE = "health_centre", "Centre de santé"
        MOSQUE = "mosque", "Mosquée"
        MARKET = "market", "Marché"
        ADMINISTRATION = "administration", "Administration"
        SPORTS = "sports", "Équipement sportif"

    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    name_fr = models.CharField(max_length=200)
    name_ar = models.CharField(max_length=200)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="equipment")
    geom = models.PointField(srid=4326)
    geom_3857 = web_mercator_copy(models.PointField)

    class Meta:
        verbose_name_plural = "equipment"

    def __str__(self) -> str:
        return self.name_fr


class BuildingPermit(models.Model):
    """A building permit as issued by the commune: the raw material of urban watch."""

    class Kind(models.TextChoices):
        CONSTRUCTION = "construction", "Construction"
        EXTENSION = "extension", "Extension"
        LOTISSEMENT = "lotissement", "Lotissement"

    reference = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    issued_on = models.DateField(db_index=True)
    floor_area_m2 = models.FloatField()
    levels = models.PositiveSmallIntegerField()
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="permits")
    geom = models.PointField(srid=4326)

    def __str__(self) -> str:
        return self.reference


class BaseFeature(models.Model):
    """Background features of the self-served basemap: sea, coastline, roads, rivers, rail."""

    class Kind(models.TextChoices):
        SEA = "sea", "Mer"
        COASTLINE = "coastline", "Trait de côte"
        ROAD_PRIMARY = "road_primary", "Route principale"
        ROAD_SECONDARY = "road_secondary", "Route secondaire"
        RIVER = "river", "Oued"
        RAIL = "rail", "Voie ferrée"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    name_fr = models.CharField(max_length=200, blank=True)
    name_ar = models.CharField(max_length=200, blank=True)
    geom = models.GeometryField(srid=4326)
    geom_3857 = web_mercator_copy(models.GeometryField)

    def __str__(self) -> str:
        return f"{self.kind} {self.name_fr}"
