"""``papertrend ingest PATH...``: load arXiv metadata files into the database and index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from papertrend.papers import formats
from papertrend.papers.ingest import ingest_records
from papertrend.papers.records import FORMATS


class Command(BaseCommand):
    help = (
        "Load papers from files or directories: Kaggle arXiv snapshot JSON lines, OAI-PMH XML "
        "(arXiv, arXivRaw, oai_dc), arXiv API Atom (raw or recorded JSON), legacy .abs files, "
        "or a trending-papers page saved as text. The format is detected per file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="files or directories")
        parser.add_argument("--format", choices=FORMATS, help="force one format for every file")
        parser.add_argument("--batch-size", type=int, default=500, help="records per transaction")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--no-index", action="store_true", help="leave the search index for `index sync`"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[Path] = options["paths"]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"no such file or directory: {', '.join(missing)}")
        show_progress = not options["no_progress"]
        total = None
        if show_progress:
            hints = [formats.count_hint(p) for p in paths]
            total = sum(h for h in hints if h) or None
        summary = ingest_records(
            formats.iter_records(paths, options["format"]),
            total=total,
            progress=show_progress,
            batch_size=options["batch_size"],
        )
        self.stdout.write(summary.render())
        if not options["no_index"]:
            from papertrend.search.indexing import sync

            stats = sync()
            self.stdout.write(f"search index: {stats}")
