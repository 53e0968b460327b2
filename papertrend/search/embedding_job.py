"""``papertrend index build``'s first half: embed papers that need a (new) vector.

A paper needs embedding under the current model when it is visible and has no
``PaperEmbedding`` row for the model's identity read at or after its latest
``modified_at``. Its text (title + abstract, ``embedders.document_text``) is
hashed: when the hash matches the stored row only ``source_modified`` moves
(a category or version change costs no model call); otherwise the model embeds
it and the row is replaced (a new row id, so the ANN index drops the old label).

Each batch is written in its own transaction, so a crash loses at most one batch
and a restart continues with the papers still pending: no paper is embedded
twice for the same text, and none is skipped.

``Progress`` says how far a pass has come (papers done, pending, rate, time
left): ``index build`` logs it as it goes, ``index status`` reads it back from
the database (``progress_from_database``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef, QuerySet
from django.utils import timezone

from papertrend.papers.models import Paper
from papertrend.search.embedders import Embedder, document_text
from papertrend.search.models import PaperEmbedding

TEXT_FIELDS = ("id", "title", "abstract", "modified_at")
STORED_DTYPE = np.dtype("<f2")
# ``index status`` measures the rate over vectors stored this recently, and calls
# a build stopped when none was stored for ``IDLE_AFTER``.
RATE_WINDOW = timedelta(minutes=5)
IDLE_AFTER = timedelta(minutes=2)


@dataclass
class EmbedStats:
    """What one pass did: papers ``embedded`` by the model, ``unchanged`` (same
    text, only re-stamped), ``pruned`` rows of other models, ``seconds`` of wall time,
    ``stopped`` early on request."""

    embedded: int = 0
    unchanged: int = 0
    pruned: int = 0
    seconds: float = 0.0
    stopped: bool = False

    @property
    def rate(self) -> float:
        """Papers embedded per second of the pass."""
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


def duration_text(seconds: float) -> str:
    """A duration as people read it: ``"45 s"``, ``"4 min 48 s"``, ``"2 h 5 min"``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


@dataclass(frozen=True)
class Progress:
    """How far embedding has come: ``done`` papers, ``pending`` papers left,
    ``rate`` in papers per second (0.0 when unknown or stopped)."""

    done: int
    pending: int
    rate: float

    @property
    def eta_seconds(self) -> float | None:
        """Seconds until nothing is pending at ``rate``; None when the rate is unknown."""
        if self.pending == 0:
            return 0.0
        return self.pending / self.rate if self.rate > 0 else None

    def render(self) -> str:
        """E.g. ``"128 done, 872 pending, 31.2 papers/s, about 28 s left"``."""
        text = f"{self.done:,} done, {self.pending:,} pending"
        eta = self.eta_seconds
        if self.pending == 0:
            return f"{text}: complete"
        if eta is None:
            return f"{text}, rate unknown"
        return f"{text}, {self.rate:.1f} papers/s, about {duration_text(eta)} left"


def progress_from_database(identity: str) -> tuple[Progress, timedelta | None]:
    """Progress under ``identity`` as stored, and how long ago the last vector was stored.

    ``done`` counts stored vectors, ``pending`` the papers ``pending_papers`` lists;
    the rate is vectors stored in the last ``RATE_WINDOW`` over the time they took,
    and 0.0 when none was stored for ``IDLE_AFTER`` (no build is running).
    """
    now = timezone.now()
    stored = PaperEmbedding.objects.filter(model=identity)
    done = stored.count()
    pending = pending_papers(identity).count()
    last = stored.aggregate(last=Max("created_at"))["last"]
    since = now - last if last is not None else None
    rate = 0.0
    if since is not None and since <= IDLE_AFTER:
        recent = stored.filter(created_at__gte=now - RATE_WINDOW)
        first = recent.aggregate(first=Min("created_at"))["first"]
        # Rows of one batch share a timestamp; the span runs to now, so the
        # batch in progress counts as time spent.
        span = (now - first).total_seconds() if first is not None else 0.0
        rate = recent.count() / span if span > 0 else 0.0
    return Progress(done, pending, rate), since


def text_hash(text: str) -> str:
    """32 hex characters of BLAKE2b over the UTF-8 text."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def encode_vector(vector: np.ndarray) -> bytes:
    """A float vector as the stored little-endian float16 bytes."""
    return np.asarray(vector, dtype=STORED_DTYPE).tobytes()


def decode_vectors(blobs: list[bytes | memoryview], dim: int) -> np.ndarray:
    """Stored rows back as a float32 ``(n, dim)`` array, re-normalized to unit length.

    Raises:
        ValueError: a blob is not ``dim`` float16 values.
    """
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    joined = b"".join(bytes(blob) for blob in blobs)
    array = np.frombuffer(joined, dtype=STORED_DTYPE).astype(np.float32).reshape(len(blobs), dim)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return array / norms


def pending_papers(identity: str) -> QuerySet[Paper]:
    """Visible papers whose vector under ``identity`` is missing or older than the paper."""
    current = PaperEmbedding.objects.filter(
        paper=OuterRef("pk"), model=identity, source_modified__gte=OuterRef("modified_at")
    )
    return Paper.objects.filter(hidden=False).exclude(Exists(current))


def embed_pending(
    embedder: Embedder,
    *,
    batch_size: int = 64,
    limit: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> EmbedStats:
    """Embed every pending paper (at most ``limit``), ``batch_size`` per transaction.

    ``on_batch(n)`` is called after each committed batch of ``n`` papers (progress
    bars). ``should_stop()`` is checked between batches. Rows stored under other
    model identities are deleted once the pass has finished.
    """
    started = time.monotonic()
    stats = EmbedStats()
    last_id = 0
    done = 0
    exhausted = False  # every pending paper was read
    while limit is None or done < limit:
        if should_stop():
            stats.stopped = True
            break
        size = batch_size if limit is None else min(batch_size, limit - done)
        # Walking up the id keeps a paper whose embedding failed to change from
        # being read again in the same pass.
        batch = list(
            pending_papers(embedder.identity)
            .filter(id__gt=last_id)
            .order_by("id")
            .only(*TEXT_FIELDS)[:size]
        )
        if not batch:
            exhausted = True
            break
        last_id = batch[-1].id
        embedded, unchanged = _embed_batch(embedder, batch)
        stats.embedded += embedded
        stats.unchanged += unchanged
        done += len(batch)
        if on_batch is not None:
            on_batch(len(batch))
    if exhausted or (limit is not None and done < limit and not stats.stopped):
        stats.pruned = prune_other_models(embedder.identity)
    stats.seconds = time.monotonic() - started
    return stats


def prune_other_models(identity: str) -> int:
    """Delete vectors stored under any identity but ``identity``; returns how many."""
    deleted, _ = PaperEmbedding.objects.exclude(model=identity).delete()
    return deleted


def _embed_batch(embedder: Embedder, papers: list[Paper]) -> tuple[int, int]:
    texts = [document_text(paper.title, paper.abstract) for paper in papers]
    hashes = [text_hash(text) for text in texts]
    existing = dict(
        PaperEmbedding.objects.filter(model=embedder.identity, paper__in=papers).values_list(
            "paper_id", "text_hash"
        )
    )
    stale = [i for i, paper in enumerate(papers) if existing.get(paper.id) != hashes[i]]
    fresh = [i for i, paper in enumerate(papers) if existing.get(paper.id) == hashes[i]]
    vectors = embedder.embed([texts[i] for i in stale]) if stale else None
    now = timezone.now()
    with transaction.atomic():
        for i in fresh:
            PaperEmbedding.objects.filter(model=embedder.identity, paper_id=papers[i].id).update(
                source_modified=papers[i].modified_at
            )
        if stale:
            PaperEmbedding.objects.filter(
                model=embedder.identity, paper_id__in=[papers[i].id for i in stale]
            ).delete()
            assert vectors is not None
            PaperEmbedding.objects.bulk_create(
                PaperEmbedding(
                    paper_id=papers[i].id,
                    model=embedder.identity,
                    dim=embedder.dim,
                    text_hash=hashes[i],
                    vector=encode_vector(vectors[row]),
                    source_modified=papers[i].modified_at,
                    created_at=now,
                )
                for row, i in enumerate(stale)
            )
    return len(stale), len(fresh)
