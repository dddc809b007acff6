"""The base admin class for spatial models."""

from __future__ import annotations

from django.contrib.gis import admin

from .widgets import LocalMapWidget


class MapAdmin(admin.GISModelAdmin):
    gis_widget = LocalMapWidget
    gis_widget_kwargs = {"attrs": {"default_lon": -7.62, "default_lat": 33.53, "default_zoom": 11}}
