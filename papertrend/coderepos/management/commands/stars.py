"""``papertrend stars refresh``: keep GitHub star counts and histories up to date;
``papertrend stars import FILE...``: load star histories from files (no network)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from papertrend.claims import stop_on_signals
from papertrend.coderepos.starfiles import import_files, parse_repository
from papertrend.coderepos.stars import StarsJob

EXIT_SKIPPED = 3  # as `papertrend ingest`: the run finished, but rows were skipped


class Command(BaseCommand):
    help = (
        "Star tracking. 'refresh' claims due repositories (never fetched first, then "
        "those whose next fetch time has come), fetches them from GitHub, stores star "
        "snapshots and backfills new repositories' star history. Several workers may run "
        "at once. SIGTERM/SIGINT finish the current repository and exit. 'import' loads "
        "star histories from files (GitHub stargazers JSON, or CSV owner/name,date,stars)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        refresh = actions.add_parser("refresh", help="refresh star counts of due repositories")
        refresh.add_argument("--once", action="store_true", help="one pass, then exit")
        refresh.add_argument("--batch", type=int, default=None, help="repositories per claim")
        refresh.add_argument("--worker-id", default=None, help="name of this worker's claims")
        load = actions.add_parser(
            "import",
            help="load star histories from files: GitHub stargazers JSON (starred_at) or "
            "CSV rows owner/name,date,stars; repositories are created if unknown",
        )
        load.add_argument(
            "files",
            nargs="+",
            metavar="FILE",
            help="a star file, or OWNER/NAME=FILE for a stargazers JSON file",
        )
        load.add_argument(
            "--repo",
            metavar="OWNER/NAME",
            help="the repository whose stargazers the JSON files list (they do not say)",
        )
        load.add_argument(
            "--allow-skipped",
            action="store_true",
            help=f"exit 0 even when rows were skipped (default: exit {EXIT_SKIPPED})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(options)
            return
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

    def _import(self, options: dict[str, Any]) -> None:
        repo = None
        if options["repo"]:
            repo = parse_repository(options["repo"])
            if repo is None:
                raise CommandError(
                    f"--repo wants OWNER/NAME or a repository URL: {options['repo']!r}"
                )
        summary = import_files(options["files"], repo)
        self.stdout.write(summary.render())
        if summary.skipped and not options["allow_skipped"]:
            raise CommandError(
                f"{summary.skipped} rows or files skipped (listed above); the rest loaded",
                returncode=EXIT_SKIPPED,
            )
