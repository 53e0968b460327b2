"""``papertrend stars refresh``: keep GitHub star counts and histories up to date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from papertrend.claims import stop_on_signals
from papertrend.coderepos.stars import StarsJob


class Command(BaseCommand):
    help = (
        "Star tracking. 'refresh' claims due repositories (never fetched first, then "
        "those whose next fetch time has come), fetches them from GitHub, stores star "
        "snapshots and backfills new repositories' star history. Several workers may run "
        "at once. SIGTERM/SIGINT finish the current repository and exit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        refresh = actions.add_parser("refresh", help="refresh star counts of due repositories")
        refresh.add_argument("--once", action="store_true", help="one pass, then exit")
        refresh.add_argument("--batch", type=int, default=None, help="repositories per claim")
        refresh.add_argument("--worker-id", default=None, help="name of this worker's claims")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] is not None and options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        job = StarsJob(worker_id=options["worker_id"], batch=options["batch"])
        with stop_on_signals(job.request_stop), job.client:
            summary = job.run(once=options["once"], echo=self.stdout.write)
        # For cron: a one-off pass that could not do its work exits non-zero.
        if options["once"] and summary.unreachable:
            raise CommandError("GitHub could not be reached; nothing was refreshed this pass")
        if options["once"] and summary.errors:
            raise CommandError(f"{summary.errors} repositories failed (see the warnings above)")
