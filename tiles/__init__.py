"""e-urbanisme vector-tile service: Mapbox Vector Tiles from the `publish` views, without Django."""
