"""The ingest pipeline: parsed records → upserted papers, versions, sources, code links.

Records arrive as a stream of :class:`~papertrend.papers.records.PaperRecord` or
:class:`~papertrend.papers.records.RecordError` from any parser or the harvest
client. They are applied in batches, one transaction each: a batch loads the
papers it touches with a few queries, merges every record into them in memory
(``papers.merge``), and writes only what changed with bulk statements. Every
changed key is queued for the full-text index in the same transaction.

Idempotent: re-ingesting the same records changes nothing and counts them as
unchanged.

Bad input loses nothing else. A record a parser could not read arrives as a
``RecordError`` and is skipped. A parsed record is repaired or refused before it is
written (``papers.validation``: NULs removed, lone surrogates replaced, values too
long for their column refused). If the database still refuses a batch, it is
retried record by record, each in its own savepoint, so only the record it refuses
is skipped. Every skip and repair is counted, and written to the run's report
(``papers.report``) when one is given.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import DatabaseError, DataError, IntegrityError, OperationalError, transaction
from tqdm import tqdm

from papertrend.papers import validation
from papertrend.papers.batch import BatchWriter, Outcome
from papertrend.papers.records import PaperRecord, ParseResult, RecordError
from papertrend.papers.report import REPAIRED, SKIPPED, IngestReport

logger = logging.getLogger(__name__)

MAX_REASONS_KEPT = 200  # for the terminal; the report file has every one


@dataclass
class IngestSummary:
    """Counts for one ingest run: every record read is new, updated, unchanged or skipped.

    ``repaired`` counts loaded records that needed a fix first (they are also new,
    updated or unchanged). ``skip_reasons`` keeps the first ``MAX_REASONS_KEPT``
    reasons; ``report``, when set, receives every skip and repair.
    """

    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    repaired: int = 0
    skip_reasons: list[str] = field(default_factory=list)
    by_format: Counter[str] = field(default_factory=Counter)
    report: IngestReport | None = None

    def add_skip(self, error: RecordError) -> None:
        """Count a skipped record, keep its reason and write it to the report."""
        self.skipped += 1
        if len(self.skip_reasons) < MAX_REASONS_KEPT:
            self.skip_reasons.append(str(error))
        if self.report is not None:
            self.report.add(SKIPPED, error.source_format, error.locator, error.message)

    def add_repair(self, record: PaperRecord, notes: list[str]) -> None:
        """Count a record that loads after a repair; write what was repaired to the report."""
        self.repaired += 1
        if self.report is not None:
            self.report.add(REPAIRED, record.source_format, record.locator, "; ".join(notes))

    def merge(self, other: IngestSummary) -> None:
        """Add ``other``'s counts into this summary."""
        self.read += other.read
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.repaired += other.repaired
        room = MAX_REASONS_KEPT - len(self.skip_reasons)
        self.skip_reasons.extend(other.skip_reasons[: max(room, 0)])
        self.by_format.update(other.by_format)

    def render(self, shown: int = MAX_REASONS_KEPT) -> str:
        """A few lines for a terminal: totals, per-format counts, the first ``shown`` skips."""
        totals = (
            f"read {self.read}, new {self.new}, updated {self.updated}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}"
        )
        if self.repaired:
            totals += f", repaired {self.repaired}"
        lines = [totals]
        if self.by_format:
            per_format = ", ".join(
                f"{name} {count}" for name, count in sorted(self.by_format.items())
            )
            lines.append(f"records by format: {per_format}")
        reasons = self.skip_reasons[:shown]
        for reason in reasons:
            lines.append(f"  skipped {reason}")
        report_path = self.report.path if self.report is not None and self.report.rows else None
        if self.skipped > len(reasons):
            where = " (all in the report)" if report_path else ""
            lines.append(f"  ... and {self.skipped - len(reasons)} more skipped{where}")
        if report_path:
            lines.append(f"report of every skipped and repaired record: {report_path}")
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
    report: IngestReport | None = None,
) -> IngestSummary:
    """Upsert every record of ``results`` into the database; return the counts.

    ``total`` (records expected, for the progress bar) may be None. Each batch of
    ``batch_size`` records commits on its own, so an interrupted run keeps what it
    loaded and a rerun skips it as unchanged. The full-text index is brought up
    to date separately by ``search.indexing.sync`` (the ingest command calls it).
    Skipped and repaired records go to ``report`` when given.

    Raises:
        django.db.OperationalError and other database errors that are not about one
            record's data (a lost connection, a locked SQLite file past its timeout):
            batches committed before it stay.
    """
    summary = IngestSummary(report=report)
    # disable=None: tqdm shows the bar only on a terminal, never in a log file.
    bar = tqdm(total=total, unit="rec", disable=None if progress else True, mininterval=0.5)
    try:
        for batch in _batches(results, batch_size):
            records: list[PaperRecord] = []
            for result in batch:
                summary.read += 1
                checked = _checked(result, summary)
                if checked is not None:
                    records.append(checked)
            if records:
                _apply(records, summary)
            bar.update(len(batch))
    finally:
        bar.close()
    return summary


def _checked(result: ParseResult, summary: IngestSummary) -> PaperRecord | None:
    """The record repaired and checked for the database, or None (counted as skipped)."""
    if isinstance(result, RecordError):
        summary.add_skip(result)
        return None
    record, notes = validation.repair(result)
    try:
        validation.check(record)
    except validation.InvalidRecord as exc:
        summary.add_skip(RecordError(record.source_format, record.locator, str(exc)))
        return None
    # A field the parser could not read (an ambiguous date, say) was dropped: the
    # record loads without it, reported like a repair.
    notes = [*record.problems, *notes]
    if notes:
        summary.add_repair(record, notes)
    return record


def _is_about_the_data(exc: Exception) -> bool:
    """True for an error one record's values can cause; False for a broken connection,
    a locked database, a missing table: those end the run instead of skipping records."""
    if isinstance(exc, DataError | IntegrityError | ValueError | TypeError | OverflowError):
        return True
    if isinstance(exc, OperationalError):
        # PostgreSQL's class 54, "program limit exceeded" (an index row too large):
        # psycopg reports it as an OperationalError, but the values caused it.
        sqlstate = getattr(exc.__cause__, "sqlstate", None) or ""
        return sqlstate.startswith("54")
    return False


def _apply(records: list[PaperRecord], summary: IngestSummary) -> None:
    """Write a batch in one transaction; if the database refuses it, record by record."""
    try:
        outcomes = _write(records)
    except (DatabaseError, ValueError, TypeError, OverflowError) as exc:
        if not _is_about_the_data(exc):
            raise
        logger.info("batch refused (%s: %s); retrying it record by record", type(exc), exc)
        for record in records:
            try:
                outcomes = _write([record])
            except (DatabaseError, ValueError, TypeError, OverflowError) as error:
                if not _is_about_the_data(error):
                    raise
                reason = f"refused by the database: {type(error).__name__}: {error}"
                summary.add_skip(RecordError(record.source_format, record.locator, reason))
            else:
                _count(outcomes, [record], summary)
        return
    _count(outcomes, records, summary)


def _write(records: list[PaperRecord]) -> list[Outcome]:
    """Merge and write ``records`` in one transaction (a savepoint inside another one).

    Returns each record's outcome ("new", "updated", "unchanged"), known only once
    the transaction has committed.
    """
    with transaction.atomic():
        writer = BatchWriter(records)
        outcomes = [writer.merge(record) for record in records]
        writer.write()
    return outcomes


def _count(outcomes: list[Outcome], records: list[PaperRecord], summary: IngestSummary) -> None:
    for outcome, record in zip(outcomes, records, strict=True):
        if outcome == "new":
            summary.new += 1
        elif outcome == "updated":
            summary.updated += 1
        else:
            summary.unchanged += 1
        summary.by_format[record.source_format] += 1
