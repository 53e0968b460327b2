"""Harvest passes: arXiv OAI-PMH (incremental, resumable) and the search API (ad hoc).

Incremental OAI harvest
-----------------------
Each (metadataPrefix, set) pair has a :class:`~papertrend.papers.models.HarvestState`
row keyed ``oai:<prefix>:<set>`` holding the latest header datestamp harvested. A run
starts ``overlap_days`` before it, because arXiv sometimes stamps records with a day
that a previous harvest already passed (late announcements, metadata fixes);
re-ingesting a record is idempotent, so the overlap never creates duplicates.

Pages are ingested as they arrive (``ingest_records`` commits its own batches). The
datestamp is written only after the *last* page of the list has been committed:
arXiv does not sort a list by datestamp (the recorded ListRecords page has
2014-11-18, 2014-12-22, 2014-11-21), so a checkpoint taken mid-list could skip records
on later pages with older stamps. A crash therefore resumes from the previous
checkpoint and re-reads what it already stored, losing nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.utils import timezone

from papertrend.papers.arxiv_client import ArxivClient
from papertrend.papers.ingest import IngestSummary, ingest_records
from papertrend.papers.models import HarvestState
from papertrend.papers.records import PaperRecord, ParseResult
from papertrend.papers.report import IngestReport


def state_key(metadata_prefix: str, set_spec: str | None) -> str:
    """The HarvestState key for a harvest, e.g. ``oai:arXivRaw:cs`` (``all`` for no set)."""
    return f"oai:{metadata_prefix}:{set_spec or 'all'}"


def harvest_oai(
    client: ArxivClient,
    set_spec: str | None,
    metadata_prefix: str = "arXivRaw",
    from_date: date | None = None,
    overlap_days: int = 2,
    until: date | None = None,
    report: IngestReport | None = None,
) -> IngestSummary:
    """Harvest ``set_spec`` with ListRecords into the database; return the ingest counts.

    ``from_date`` None means: the stored datestamp minus ``overlap_days`` days, or the
    whole set when nothing is stored yet. The stored datestamp only moves forward, and
    only when this run covered it (a run starting after the stored day would leave a
    gap, so it does not advance the checkpoint). Skipped and repaired records go to
    ``report`` when given.

    Raises:
        ArxivError: from the client (the checkpoint is then left as it was).
    """
    key = state_key(metadata_prefix, set_spec)
    state, _ = HarvestState.objects.get_or_create(key=key)
    stored = state.last_datestamp
    if from_date is None and stored is not None:
        from_date = stored - timedelta(days=overlap_days)
    contiguous = stored is None or from_date is None or from_date <= stored + timedelta(days=1)

    summary = IngestSummary(report=report)
    latest: date | None = None
    for page in client.list_records(metadata_prefix, set_spec, from_date, until):
        summary.merge(ingest_records(page.results, report=report))
        if page.max_datestamp and (latest is None or page.max_datestamp > latest):
            latest = page.max_datestamp
    if contiguous and latest is not None and (stored is None or latest > stored):
        state.last_datestamp = latest
        state.save(update_fields=["last_datestamp", "updated_at"])
    return summary


def harvest_api(
    client: ArxivClient,
    query: str | None = None,
    id_list: list[str] | None = None,
    max_results: int = 100,
    page_size: int = 100,
    today: date | None = None,
    report: IngestReport | None = None,
) -> IngestSummary:
    """Ingest the results of an arXiv API search or id list; return the ingest counts.

    Keeps no state: the API has no datestamps to resume from. Every record is marked
    as seen ``today`` (default: the current UTC day): the API gives no announcement
    day, so a recent first version papertrend did not know is listed on the day it was
    first seen (``PaperRecord.seen``, see ``papers.merge``). Skipped and repaired
    records go to ``report`` when given.

    Raises:
        ArxivError: from the client, including arXiv's message for a bad query or id.
        ValueError: neither ``query`` nor ``id_list`` given.
    """
    summary = IngestSummary(report=report)
    pages = client.query(
        search_query=query, id_list=id_list, max_results=max_results, page_size=page_size
    )
    seen = today or timezone.now().date()
    for page in pages:
        summary.merge(ingest_records(_seen_on(page.results, seen), report=report))
    return summary


def _seen_on(results: Iterable[ParseResult], day: date) -> list[ParseResult]:
    """``results`` with every record marked as seen by a live harvest on ``day``."""
    for result in results:
        if isinstance(result, PaperRecord):
            result.seen = day
    return list(results)
