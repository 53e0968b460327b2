"""The ingest pipeline: parsed records → upserted papers, versions, sources, code links.

Records arrive as a stream of :class:`~papertrend.papers.records.PaperRecord` or
:class:`~papertrend.papers.records.RecordError` from any parser or the harvest
client. They are applied in batches, one transaction each: a batch loads the
papers it touches with a few queries, merges every record into them in memory
(``papers.merge``), and writes only what changed with bulk statements. Every
changed key is queued for the full-text index in the same transaction.

Idempotent: re-ingesting the same records changes nothing and counts them as
unchanged. A malformed record is counted as skipped with its reason and the rest
of the stream goes on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import transaction
from tqdm import tqdm

from papertrend.papers.batch import BatchWriter
from papertrend.papers.records import PaperRecord, ParseResult, RecordError

MAX_REASONS_KEPT = 200


@dataclass
class IngestSummary:
    """Counts for one ingest run: every record read is new, updated, unchanged or skipped."""

    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    skip_reasons: list[str] = field(default_factory=list)
    by_format: Counter[str] = field(default_factory=Counter)

    def add_skip(self, error: RecordError) -> None:
        self.skipped += 1
        if len(self.skip_reasons) < MAX_REASONS_KEPT:
            self.skip_reasons.append(str(error))

    def merge(self, other: IngestSummary) -> None:
        """Add ``other``'s counts into this summary."""
        self.read += other.read
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        room = MAX_REASONS_KEPT - len(self.skip_reasons)
        self.skip_reasons.extend(other.skip_reasons[: max(room, 0)])
        self.by_format.update(other.by_format)

    def render(self) -> str:
        """A few lines for a terminal: totals, per-format counts and skip reasons."""
        lines = [
            f"read {self.read}, new {self.new}, updated {self.updated}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}"
        ]
        if self.by_format:
            per_format = ", ".join(
                f"{name} {count}" for name, count in sorted(self.by_format.items())
            )
            lines.append(f"records by format: {per_format}")
        for reason in self.skip_reasons:
            lines.append(f"  skipped {reason}")
        if self.skipped > len(self.skip_reasons):
            lines.append(f"  ... and {self.skipped - len(self.skip_reasons)} more skipped")
        return "\n".join(lines)


def _batches(results: Iterable[ParseResult], size: int) -> Iterator[list[ParseResult]]:
    iterator = iter(results)
    while batch := list(islice(iterator, size)):
        yield batch


def ingest_records(
    results: Iterable[ParseResult],
    *,
    total: int | None = None,
    progress: bool = False,
    batch_size: int = 500,
) -> IngestSummary:
    """Upsert every record of ``results`` into the database; return the counts.

    ``total`` (records expected, for the progress bar) may be None. Each batch of
    ``batch_size`` records commits on its own, so an interrupted run keeps what it
    loaded and a rerun skips it as unchanged. The full-text index is brought up
    to date separately by ``search.indexing.sync`` (the ingest command calls it).
    """
    summary = IngestSummary()
    # disable=None: tqdm shows the bar only on a terminal, never in a log file.
    bar = tqdm(total=total, unit="rec", disable=None if progress else True, mininterval=0.5)
    try:
        for batch in _batches(results, batch_size):
            records: list[PaperRecord] = []
            for result in batch:
                summary.read += 1
                if isinstance(result, RecordError):
                    summary.add_skip(result)
                else:
                    records.append(result)
                    summary.by_format[result.source_format] += 1
            if records:
                _apply(records, summary)
            bar.update(len(batch))
    finally:
        bar.close()
    return summary


def _apply(records: list[PaperRecord], summary: IngestSummary) -> None:
    with transaction.atomic():
        writer = BatchWriter(records)
        for record in records:
            outcome = writer.merge(record)
            if outcome == "new":
                summary.new += 1
            elif outcome == "updated":
                summary.updated += 1
            else:
                summary.unchanged += 1
        writer.write()
