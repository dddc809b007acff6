"""Prometheus metrics of one tile service instance (its own registry, so apps do not collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The counters, gauges and histograms served at /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tiles_requests_total",
            "Tile requests by layer and by how they were answered.",
            ["layer", "source"],  # memory, disk, database, bypass, not_modified
            registry=self.registry,
        )
        self.render_seconds = Histogram(
            "tiles_render_seconds",
            "Time to make a tile in PostgreSQL (ST_AsMVT) and gzip it.",
            ["layer"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.queue_seconds = Histogram(
            "tiles_queue_seconds",
            "Time a tile waited for a render slot (as many as pool connections).",
            ["layer"],
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.tile_bytes = Histogram(
            "tiles_body_bytes",
            "Size of the tiles made (before gzip).",
            ["layer"],
            buckets=(0, 1024, 8192, 32768, 131072, 262144, 524288, 1048576),
            registry=self.registry,
        )
        self.errors = Counter(
            "tiles_errors_total",
            "Tiles that failed in the database.",
            ["layer"],
            registry=self.registry,
        )
        self.cache_bytes = Gauge(
            "tiles_cache_bytes", "Bytes held by the memory cache.", registry=self.registry
        )
        self.cache_entries = Gauge(
            "tiles_cache_entries", "Tiles held by the memory cache.", registry=self.registry
        )
        self.listener_up = Gauge(
            "tiles_listener_up",
            "1 while the layer-version listener is connected.",
            registry=self.registry,
        )
        self.layer_version = Gauge(
            "tiles_layer_version",
            "Current version of each layer.",
            ["layer"],
            registry=self.registry,
        )
