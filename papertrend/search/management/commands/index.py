"""``papertrend index sync|rebuild|status``: maintain the full-text search index."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from papertrend.papers.models import Paper
from papertrend.search import backend, indexing
from papertrend.search.models import IndexQueue


class Command(BaseCommand):
    help = (
        "sync: apply queued paper changes to the search index; rebuild: re-index "
        "every paper; status: documents in the index vs papers in the database vs queued."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["sync", "rebuild", "status"])
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="sync: queue rows per index commit (default 1000)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "status":
                self._status()
                return
            if action == "sync":
                stats = indexing.sync(batch_size=max(1, options["batch_size"]))
            else:
                stats = indexing.rebuild()
        except backend.SearchIndexError as exc:
            raise CommandError(str(exc)) from exc
        kind = "rebuilt" if stats.rebuilt else "synced"
        self.stdout.write(
            f"{kind}: {stats.indexed} indexed, {stats.removed} removed, "
            f"{stats.queue_rows} queue rows cleared, {stats.batches} commits "
            f"in {stats.seconds:.1f} s"
        )

    def _status(self) -> None:
        status = backend.get_index().status()
        visible = Paper.objects.filter(hidden=False).count()
        self.stdout.write(f"index folder:      {status.path}")
        self.stdout.write(f"schema version:    {status.schema_version}")
        self.stdout.write(f"documents:         {status.num_docs} ({status.num_segments} segments)")
        self.stdout.write(f"visible papers:    {visible} (of {Paper.objects.count()})")
        self.stdout.write(f"queued changes:    {IndexQueue.objects.count()}")
        if status.needs_rebuild:
            self.stdout.write("needs a rebuild:   yes (the next sync will rebuild)")
