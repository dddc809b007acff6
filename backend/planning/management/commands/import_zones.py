"""Import zones from a GeoPackage, zipped Shapefile, GeoJSON or DXF into a draft version."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from common.errors import Invalid, Refused
from planning import transfer
from planning.models import PlanVersion


class Command(BaseCommand):
    help = "Import zones into a draft version, all or nothing (--dry-run: report only)."

    def add_arguments(self, parser):
        parser.add_argument("version", type=int, help="Id of the draft version.")
        parser.add_argument("file", type=Path)
        parser.add_argument("--crs", help="Declared CRS, e.g. EPSG:26191 (required for DXF).")
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add to the version's zones instead of replacing them.",
        )
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="Map a zone field to a source column, e.g. code=LIBELLE.",
        )

    def handle(self, *args, version, file, crs, append, dry_run, map, **options):
        try:
            mapping = dict(item.split("=", 1) for item in map)
        except ValueError as exc:
            raise CommandError("--map takes FIELD=COLUMN") from exc
        try:
            target = PlanVersion.objects.get(pk=version)
        except PlanVersion.DoesNotExist as exc:
            raise CommandError(f"No plan version {version}.") from exc
        with tqdm(desc="zones", unit="zone", disable=options["verbosity"] == 0) as bar:
            try:
                result = transfer.zones_import(
                    version=target,
                    data=file.read_bytes(),
                    name=file.name,
                    by=None,
                    crs=crs,
                    mapping=mapping,
                    replace=not append,
                    dry_run=dry_run,
                    progress=bar,
                )
            except Invalid as exc:
                raise CommandError(f"{exc.message}\n{exc.problems}") from exc
            except Refused as exc:
                raise CommandError(exc.message) from exc
        verb = "would import" if dry_run else "imported"
        self.stdout.write(
            f"{verb} {result.features} zones from {result.source_crs}; "
            f"report: {result.report['summary']}"
        )
