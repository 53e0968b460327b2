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
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from papertrend.papers.models import Paper
from papertrend.search.embedders import Embedder, document_text
from papertrend.search.models import PaperEmbedding

TEXT_FIELDS = ("id", "title", "abstract", "modified_at")
STORED_DTYPE = np.dtype("<f2")


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
