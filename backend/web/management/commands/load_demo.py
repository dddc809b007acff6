"""Generate and load the demo agglomeration near Casablanca."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from web import demo


class Command(BaseCommand):
    help = "Load the demo agglomeration (territory, an approved PA and its draft under inquiry)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=20261124)
        parser.add_argument(
            "--zones",
            type=int,
            default=1500,
            help="Number of zones of the plan (up to 200,000 for benchmarks).",
        )
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--if-empty", action="store_true", help="Do nothing if the database already holds data."
        )
        group.add_argument(
            "--replace", action="store_true", help="Delete the current territory and plans first."
        )

    def handle(self, *args, seed: int, zones: int, if_empty: bool, replace: bool, **options):
        if demo.has_data():
            if if_empty:
                self.stdout.write("  the database already holds data: demo not loaded")
                return
            if not replace:
                raise CommandError("The database already holds data: use --replace or --if-empty.")
        started = time.monotonic()
        ds = demo.load(seed=seed, zones=zones, replace=replace, progress=options["verbosity"] > 0)
        self.stdout.write(
            f"  loaded {len(ds.communes)} communes, {len(ds.districts)} districts, "
            f"{len(ds.approved_zones)} + {len(ds.draft_zones)} zones, "
            f"{len(ds.equipment)} equipment in {time.monotonic() - started:.1f} s"
        )
