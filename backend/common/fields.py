"""Geometry columns shared by every spatial model."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform


def web_mercator_copy(field_class: type[models.GeometryField]) -> models.GeneratedField:
    """A stored EPSG:3857 copy of `geom`, for tiles (ARCHITECTURE.md, contract 4)."""
    return models.GeneratedField(
        expression=Transform("geom", 3857),
        output_field=field_class(srid=3857),
        db_persist=True,
    )
