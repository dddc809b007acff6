"""Open and close the inquiries that are due; run it every minute (cron, systemd timer)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from inquiry.services import inquiry_tick


class Command(BaseCommand):
    help = (
        "Move due inquiries to 'open' or 'closed'. The services and the publish views judge the "
        "dates on the database clock themselves: this only keeps the stored status tidy. It also "
        "erases the web entries whose author did not confirm their email in time."
    )

    def handle(self, *args, **options):
        moved = inquiry_tick()
        if options["verbosity"] > 0:
            self.stdout.write(
                f"opened {moved['opened']}, closed {moved['closed']}, "
                f"erased {moved['purged']} unconfirmed entries"
            )
