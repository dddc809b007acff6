"""Write pygeoapi's configuration and OpenAPI document from the `publish` views."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from tqdm import tqdm

from publish.ogc import config


class Command(BaseCommand):
    help = "Generate var/ogc/pygeoapi.yml and var/ogc/openapi.yml (the OGC API at /ogc/)."

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, default=None, help="directory (default var/ogc)")

    def handle(self, *args, **options):
        """Introspect the views as the read-only role, then write both files."""
        with tqdm(desc="collections", unit="view", disable=options["verbosity"] == 0) as bar:
            cfg, oas = config.write(
                role=settings.READER_ROLE, out_dir=options["out"], progress=lambda _: bar.update()
            )
        self.stdout.write(f"wrote {cfg} and {oas}")
