"""Urban watch: the indicator catalogue, values per unit and period, and analysis runs."""

from __future__ import annotations

from django.contrib.gis.db import models


class Level(models.TextChoices):
    """The territorial levels an indicator can be computed at, coarsest first."""

    REGION = "region", "Région"
    PROVINCE = "province", "Province"
    COMMUNE = "commune", "Commune"
    DISTRICT = "district", "Quartier"
    CELL = "cell", "Maille"


class GridCell(models.Model):
    """A square cell of the analysis grid (EPSG:26191 metres), with the district holding its
    centre: cells nest in the territorial hierarchy for the Theil decomposition."""

    code = models.CharField(max_length=32, unique=True)
    size_m = models.PositiveIntegerField()
    district_code = models.CharField(max_length=32)
    geom = models.PolygonField(srid=4326)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Indicator(models.Model):
    """One indicator of the catalogue: what it measures, how, from what, in which unit."""

    code = models.SlugField(max_length=64, unique=True)
    name_fr = models.CharField(max_length=200)
    name_ar = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    formula = models.TextField()
    unit = models.CharField(max_length=40)
    source = models.TextField()
    method_version = models.CharField(max_length=20)
    # Whether a higher value is better off (equipment) or worse off (density): priority ranks.
    higher_is_better = models.BooleanField(default=True)
    # Population-weighted measures make sense for rates over people, not for counts.
    population_weighted = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class IndicatorValue(models.Model):
    """The value of an indicator for one unit, one period and one dimension (e.g. a kind)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    level = models.CharField(max_length=16, choices=Level.choices)
    unit_code = models.CharField(max_length=32)
    period = models.CharField(max_length=16)
    # A breakdown of the indicator (an equipment kind, a zone family); "" when there is none.
    dimension = models.CharField(max_length=32, blank=True, default="")
    value = models.FloatField(null=True)
    # The population the value is about, for population-weighted measures.
    population = models.FloatField(null=True)
    method_version = models.CharField(max_length=20)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["indicator", "level", "period", "unit_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "level", "unit_code", "period", "dimension"],
                name="indicator_value_unique",
            )
        ]
        indexes = [
            models.Index(fields=["indicator", "level", "period"]),
            # A unit's values at once: the `indicators` tile layer (publish.indicator_latest).
            models.Index(fields=["level", "unit_code"], name="watch_value_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.level} {self.unit_code} {self.period}"


class AnalysisRun(models.Model):
    """A disparity analysis as it was run: inputs, seed, method version and results."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        RUNNING = "running", "Running"
        SUCCESSFUL = "successful", "Successful"
        FAILED = "failed", "Failed"

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="runs")
    level = models.CharField(max_length=16, choices=Level.choices)
    period = models.CharField(max_length=16)
    dimension = models.CharField(max_length=32, blank=True, default="")
    parameters = models.JSONField(default=dict)
    seed = models.BigIntegerField()
    method_version = models.CharField(max_length=20)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACCEPTED)
    result = models.JSONField(null=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"analysis {self.pk} ({self.status})"
