"""The queue that keeps the full-text index consistent with the database.

Every change to a paper (insert, update, delete, key change) adds its key here in
the same transaction as the change itself; ``search.indexing.sync`` drains the
queue into the index and deletes the rows only after the index has committed. A
crash between the two re-applies the change, which is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models


class IndexQueue(models.Model):
    """A paper key whose index document must be re-derived from the database."""

    paper_key = models.CharField(max_length=64)
    queued_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.paper_key


def enqueue(keys: Iterable[str]) -> int:
    """Queue paper keys for re-indexing; call inside the transaction that changed them.

    Returns the number of rows added (duplicates are fine: sync collapses them).
    """
    from django.utils import timezone

    from papertrend.papers.bulk import insert_rows

    now = timezone.now()
    return insert_rows(
        IndexQueue, ("paper_key", "queued_at"), ((k, now) for k in dict.fromkeys(keys))
    )


class PaperEmbedding(models.Model):
    """One paper's vector under one embedding model (``search.embedders``).

    ``vector`` holds ``dim`` little-endian float16 values (768 bytes for 384-d):
    half of float32's space, and cosine similarities move by under 1e-3.
    ``source_modified`` is the paper's ``modified_at`` when its text was read: a
    paper modified since is re-embedded if its text changed (``text_hash``). The
    row id is the vector's label in the ANN index, so a re-embedded paper gets a
    new row (and label) and the index drops the old one.
    """

    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="embeddings")
    model = models.CharField(max_length=100, help_text="Embedder.identity")
    dim = models.PositiveSmallIntegerField()
    text_hash = models.CharField(max_length=32)
    vector = models.BinaryField()
    source_modified = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "paper"], name="embedding_unique_model_paper")
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} @ {self.model}"
