"""The admin's map widget, with OpenLayers and the basemap served by the system itself."""

from __future__ import annotations

from django.contrib.gis.forms.widgets import OpenLayersWidget


class LocalMapWidget(OpenLayersWidget):
    """OpenLayers from our own static files over our own basemap tiles: no external request."""

    template_name = "common/local_map_widget.html"

    class Media:
        extend = False  # drop the parent's CDN links
        css = {"all": ("app/vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("app/vendor/ol/ol.js", "gis/js/OLMapWidget.js")
