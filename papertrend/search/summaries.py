"""``papertrend index build``'s summary pass: each paper's most central abstract sentence.

The model that embeds papers for search is loaded anyway, so the same build splits
each pending abstract into sentences, embeds them, and stores the winner as
``Paper.summary`` (``papers.summary`` has the rule). A paper is pending when it is
visible and its summary was chosen before its latest change (``summary_modified``
older than ``modified_at``) or never. Rows are written with ``bulk_update``, which
leaves ``modified_at`` alone, so writing a summary makes nothing else pending.

Each batch commits on its own: a stopped build keeps what it did and resumes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q, QuerySet

from papertrend.papers.models import Paper
from papertrend.papers.summary import Span, central_span, sentence_spans
from papertrend.search.embedders import Embedder

FIELDS = ("id", "abstract", "modified_at")


@dataclass
class SummaryStats:
    """What one pass did: ``papers`` given a summary, ``sentences`` embedded,
    ``seconds`` of wall time, ``stopped`` early on request."""

    papers: int = 0
    sentences: int = 0
    seconds: float = 0.0
    stopped: bool = False


def pending_summaries() -> QuerySet[Paper]:
    """Visible papers whose summary is missing or older than the paper's last change."""
    stale = Q(summary_modified__isnull=True) | Q(summary_modified__lt=F("modified_at"))
    return Paper.objects.filter(hidden=False).filter(stale)


def choose_summaries(embedder: Embedder, abstracts: list[str]) -> tuple[list[str], int]:
    """The summary of each abstract ("" when blank) and how many sentences were embedded.

    Abstracts of one sentence need no model call; the others' sentences go to the
    model in one call for the whole list.
    """
    spans = [sentence_spans(text) for text in abstracts]
    needs_model = [len(found) > 1 for found in spans]
    sentences = [
        text[a:b]
        for text, found, model in zip(abstracts, spans, needs_model, strict=True)
        if model
        for a, b in found
    ]
    vectors = embedder.embed(sentences) if sentences else None
    summaries: list[str] = []
    row = 0
    for text, found, model in zip(abstracts, spans, needs_model, strict=True):
        chosen: Span | None = found[0] if found else None
        if model:
            assert vectors is not None
            chosen = central_span(found, vectors[row : row + len(found)], text)
            row += len(found)
        summaries.append(text[chosen[0] : chosen[1]] if chosen else "")
    return summaries, len(sentences)


def summarize_pending(
    embedder: Embedder,
    *,
    batch_size: int = 64,
    limit: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SummaryStats:
    """Choose and store the summary of every pending paper (at most ``limit``).

    ``batch_size`` papers per transaction; ``on_batch(n)`` after each committed
    batch; ``should_stop()`` is checked between batches.
    """
    started = time.monotonic()
    stats = SummaryStats()
    last_id = 0
    while limit is None or stats.papers < limit:
        if should_stop():
            stats.stopped = True
            break
        size = batch_size if limit is None else min(batch_size, limit - stats.papers)
        batch = list(pending_summaries().filter(id__gt=last_id).order_by("id").only(*FIELDS)[:size])
        if not batch:
            break
        last_id = batch[-1].id
        summaries, sentences = choose_summaries(embedder, [p.abstract for p in batch])
        for paper, summary in zip(batch, summaries, strict=True):
            paper.summary = summary
            paper.summary_modified = paper.modified_at
        with transaction.atomic():
            Paper.objects.bulk_update(batch, ["summary", "summary_modified"])
        stats.papers += len(batch)
        stats.sentences += sentences
        if on_batch is not None:
            on_batch(len(batch))
    stats.seconds = time.monotonic() - started
    return stats
