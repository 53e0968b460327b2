"""``papertrend index sync|rebuild|build|status``: maintain the search indexes.

``sync`` and ``rebuild`` keep the full-text (BM25) index in step with the
database; ``build`` does that, then embeds new or changed papers and brings the
vector index up to date (incremental and resumable: see ``search.embedding_job``
and ``search.vector_sync``).
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from papertrend.claims import stop_on_signals
from papertrend.papers.models import Paper
from papertrend.search import backend, indexing
from papertrend.search.embedders import EmbeddingModelError, get_embedder, model_choice
from papertrend.search.embedding_job import (
    Progress,
    duration_text,
    embed_pending,
    pending_papers,
    progress_from_database,
    prune_other_models,
)
from papertrend.search.models import IndexQueue
from papertrend.search.summaries import pending_summaries, summarize_pending
from papertrend.search.vector_sync import VectorIndexBusy, index_folder, sync_vectors
from papertrend.search.vectors import VectorIndexError, read_manifest


class Command(BaseCommand):
    help = (
        "sync: apply queued paper changes to the full-text index; rebuild: re-index "
        "every paper; build: sync, then embed new or changed papers and update the "
        "vector index; status: what each index holds against the database."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["sync", "rebuild", "build", "status"])
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="sync: queue rows per index commit (default 1000); "
            "build: papers per embedding transaction (default 64)",
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="build: embed at most this many papers"
        )
        parser.add_argument(
            "--model", default=None, help="build/status: embedding model (default: the setting)"
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="build: no progress bar; progress lines instead (as when output is a file)",
        )
        parser.add_argument(
            "--progress-interval",
            type=float,
            default=10.0,
            help="build: seconds between progress lines without a bar (default 10)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "status":
                self._status(options["model"])
                return
            if action == "build":
                self._build(options)
                return
            if action == "sync":
                stats = indexing.sync(batch_size=max(1, options["batch_size"] or 1000))
            else:
                stats = indexing.rebuild()
        except backend.SearchIndexError as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            # Ctrl-C before the signal handlers are set (e.g. while the model's libraries
            # import): one line for the log, not a traceback; what was committed stays.
            self.stderr.write(f"index {action} interrupted; run it again to resume")
            raise SystemExit(130) from None
        self._report_keyword(stats)

    def _report_keyword(self, stats: indexing.SyncStats) -> None:
        kind = "rebuilt" if stats.rebuilt else "synced"
        self.stdout.write(
            f"{kind}: {stats.indexed} indexed, {stats.removed} removed, "
            f"{stats.queue_rows} queue rows cleared, {stats.batches} commits "
            f"in {stats.seconds:.1f} s"
        )

    def _build(self, options: dict[str, Any]) -> None:
        try:
            self._report_keyword(indexing.sync())
            model = model_choice(options["model"]).ref()
        except (backend.SearchIndexError, EmbeddingModelError) as exc:
            raise CommandError(str(exc)) from exc
        pending = pending_papers(model.identity).count()
        limit = options["limit"]
        total = pending if limit is None else min(pending, max(0, limit))
        # Card summaries need the same model (search.summaries).
        summaries = pending_summaries().count()
        if total == 0 and summaries == 0:
            # Nothing to embed: don't spend seconds loading the model (cron runs this often).
            pruned = prune_other_models(model.identity)
            self.stdout.write(
                f"embedded: 0 new or changed, nothing pending under {model.identity}; "
                f"{pruned} vectors of other models removed"
            )
        elif not self._embed(model.name, total, summaries, options):
            return
        try:
            synced = sync_vectors(model)
        except (VectorIndexBusy, VectorIndexError) as exc:
            raise CommandError(str(exc)) from exc
        how = "rebuilt" if synced.rebuilt else "updated" if synced.saved else "unchanged"
        self.stdout.write(
            f"vector index {how}: {synced.total} vectors ({synced.kind}), "
            f"+{synced.added} -{synced.removed} in {synced.seconds:.1f} s"
        )

    def _embed(self, name: str, total: int, summaries: int, options: dict[str, Any]) -> bool:
        """Embed up to ``total`` pending papers, then choose the ``summaries`` pending
        card summaries; False when stopped before the end."""
        try:
            embedder = get_embedder(name)
        except EmbeddingModelError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"embedding {total} papers with {embedder.identity} ...")
        stop = {"requested": False}

        def request_stop(*_: object) -> None:
            stop["requested"] = True

        bar = tqdm(total=total, unit="paper", disable=True if options["no_progress"] else None)
        # Without a bar (a log file such as var/index-build.log): a line every interval.
        log_progress = (
            self._progress_logger(total, options["progress_interval"]) if bar.disable else None
        )

        def on_batch(count: int) -> None:
            bar.update(count)
            if log_progress is not None:
                log_progress(count)

        with stop_on_signals(request_stop), bar:
            stats = embed_pending(
                embedder,
                batch_size=max(1, options["batch_size"] or 64),
                limit=options["limit"],
                on_batch=on_batch,
                should_stop=lambda: stop["requested"],
            )
        self.stdout.write(
            f"embedded: {stats.embedded} new or changed, {stats.unchanged} unchanged, "
            f"{stats.pruned} vectors of other models removed in {stats.seconds:.1f} s "
            f"({stats.rate:.1f} papers/s)"
        )
        if stats.stopped:
            self.stdout.write("stopped on request; run `papertrend index build` again to resume")
            return False
        if summaries:
            self.stdout.write(f"choosing the key sentence of {summaries} abstracts ...")
            with stop_on_signals(request_stop):
                chosen = summarize_pending(
                    embedder,
                    batch_size=max(1, options["batch_size"] or 64),
                    limit=options["limit"],
                    should_stop=lambda: stop["requested"],
                )
            self.stdout.write(
                f"summaries: {chosen.papers} chosen from {chosen.sentences} sentences "
                f"in {chosen.seconds:.1f} s"
            )
            if chosen.stopped:
                self.stdout.write("stopped on request; run `papertrend index build` again")
                return False
        return True

    def _progress_logger(self, total: int, interval_s: float) -> Any:
        """A per-batch callback writing ``Progress`` lines at most every ``interval_s``."""
        started = time.monotonic()
        state = {"done": 0, "logged": started}

        def log(count: int) -> None:
            state["done"] += count
            now = time.monotonic()
            done = int(state["done"])
            if now - state["logged"] < interval_s and done < total:
                return
            state["logged"] = now
            elapsed = now - started
            progress = Progress(done, total - done, done / elapsed if elapsed > 0 else 0.0)
            stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
            self.stdout.write(f"[{stamp}] progress: {progress.render()}")
            self.stdout.flush()

        return log

    def _status(self, model: str | None) -> None:
        status = backend.get_index().status()
        visible = Paper.objects.filter(hidden=False).count()
        self.stdout.write(f"index folder:      {status.path}")
        self.stdout.write(f"schema version:    {status.schema_version}")
        self.stdout.write(f"documents:         {status.num_docs} ({status.num_segments} segments)")
        self.stdout.write(f"visible papers:    {visible} (of {Paper.objects.count()})")
        self.stdout.write(f"queued changes:    {IndexQueue.objects.count()}")
        if status.needs_rebuild:
            self.stdout.write("needs a rebuild:   yes (the next sync will rebuild)")
        try:
            choice = model_choice(model)  # the identity, without loading the model
            identity = choice.identity()
            manifest = read_manifest(index_folder(choice.name))
        except (EmbeddingModelError, VectorIndexError) as exc:
            self.stdout.write(f"semantic search:   unavailable ({exc})")
            return
        progress, since = progress_from_database(identity)
        self.stdout.write(f"embedding model:   {identity}")
        self.stdout.write(f"vectors stored:    {progress.done} ({progress.pending} papers pending)")
        note = ""
        if progress.pending and progress.rate == 0:
            note = " (no build running"
            if since is not None:
                note += f"; last vector stored {duration_text(since.total_seconds())} ago"
            note += ")"
        self.stdout.write(f"build progress:    {progress.render()}{note}")
        if manifest is None or manifest.model != identity:
            self.stdout.write("vector index:      none yet (run `papertrend index build`)")
        else:
            self.stdout.write(
                f"vector index:      {manifest.count} vectors ({manifest.kind}), "
                f"generation {manifest.generation}"
            )
