"""manage.py compute_indicators: compute every indicator of the catalogue, with a progress bar."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from watch import services


class Command(BaseCommand):
    help = "Compute the urban-watch indicators from the territory, plans, permits and rasters."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rasters",
            type=Path,
            default=settings.MEDIA_ROOT / "rasters",
            help="directory of population_100m.tif, builtup_2014/2024.tif",
        )
        parser.add_argument(
            "--no-rasters",
            action="store_true",
            help="skip the raster indicators (access, built-up, SDG 11.3.1)",
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="add the demo's back-projected 2014 population (SDG 11.3.1)",
        )

    def handle(self, *args, rasters: Path, no_rasters: bool, demo: bool, **options):
        rasters_dir = None if no_rasters else rasters
        try:
            if demo:
                n = services.indicators_compute_demo(rasters_dir=rasters_dir)
            else:
                n = services.indicators_compute(rasters_dir=rasters_dir)
        except FileNotFoundError as err:
            raise CommandError(str(err)) from None
        self.stdout.write(self.style.SUCCESS(f"{n} indicator values stored."))
