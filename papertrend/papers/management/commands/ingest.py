"""``papertrend ingest PATH...``: load arXiv metadata files into the database and index.

Exit status (also in ``docs/ingest.md``): 0 when every record loaded (some perhaps
after a repair); ``EXIT_SKIPPED`` (3) when any record or file was skipped, unless
``--allow-skipped``; 1 for an error that stopped the run (a missing path, a database
that cannot be reached); 2 for a usage error. Every skipped or repaired record is
written to a report file (``papers.report``) named in the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from papertrend.papers import formats
from papertrend.papers.ingest import ingest_records
from papertrend.papers.management.commands import _reporting
from papertrend.papers.management.commands._reporting import EXIT_SKIPPED
from papertrend.papers.records import FORMATS


class Command(BaseCommand):
    help = (
        "Load papers from files or directories: Kaggle arXiv snapshot JSON lines, OAI-PMH XML "
        "(arXiv, arXivRaw, oai_dc), arXiv API Atom (raw or recorded JSON), legacy .abs files, "
        "or a trending-papers page saved as text. The format is detected per file. Exits "
        f"{EXIT_SKIPPED} when any record was skipped (see the report file it names)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="files or directories")
        parser.add_argument("--format", choices=FORMATS, help="force one format for every file")
        parser.add_argument("--batch-size", type=int, default=500, help="records per transaction")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--no-index", action="store_true", help="leave the search index for `index sync`"
        )
        _reporting.add_arguments(parser)
        parser.add_argument(
            "--index-wait",
            type=float,
            default=None,
            metavar="SECONDS",
            help="how long to wait for another process writing the search index (another "
            "ingest's sync, a rebuild) before leaving the changes queued (default 300)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[Path] = options["paths"]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"no such file or directory: {', '.join(missing)}")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        show_progress = not options["no_progress"]
        total = None
        if show_progress:
            hints = [formats.count_hint(p) for p in paths]
            total = sum(h for h in hints if h) or None
        run_report = _reporting.open_report(options)
        try:
            summary = ingest_records(
                formats.iter_records(paths, options["format"]),
                total=total,
                progress=show_progress,
                batch_size=options["batch_size"],
                report=run_report,
            )
        finally:
            # An interrupted run's report still lists what it skipped so far.
            run_report.close()
        self.stdout.write(summary.render())
        if not options["no_index"]:
            self._sync_index(options["index_wait"])
        _reporting.check_skipped(summary, run_report, options)

    def _sync_index(self, wait: float | None) -> None:
        from papertrend.search.indexing import LOAD_LOCK_WAIT_SECONDS, sync_after_load

        synced, message = sync_after_load(LOAD_LOCK_WAIT_SECONDS if wait is None else wait)
        if synced:
            self.stdout.write(message)
        else:
            self.stderr.write(self.style.WARNING(message))
