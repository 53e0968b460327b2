"""Query-time semantic search and related papers, over the saved vector index.

Both return paper keys with cosine similarities, best first, for visible papers
only. Until ``papertrend index build`` has saved an index for the current model
(or when the model cannot be loaded) they return ``[]`` and keyword search
carries the site alone; ``semantic_status`` says which.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from papertrend.papers.models import Paper
from papertrend.search.embedders import EmbeddingModelError, get_embedder, model_choice
from papertrend.search.embedding_job import decode_vectors
from papertrend.search.models import PaperEmbedding
from papertrend.search.vector_sync import index_folder
from papertrend.search.vectors import HnswIndex, VectorIndex, VectorIndexError, reader_for

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 2000  # MiniLM reads 256 word pieces; more text only costs time


@dataclass(frozen=True)
class DenseHit:
    """A paper ``key`` and its cosine ``similarity`` to the query."""

    key: str
    similarity: float


def _current_index() -> VectorIndex | None:
    """The saved index of the configured model, without loading the model itself."""
    try:
        choice = model_choice()
        manifest, index = reader_for(index_folder(choice.name)).get()
    except (EmbeddingModelError, VectorIndexError) as exc:
        logger.warning("semantic search unavailable: %s", exc)
        return None
    if index is None or manifest is None or manifest.model != choice.identity():
        return None
    if isinstance(index, HnswIndex):
        index.set_expansion_search(settings.HNSW_EXPANSION_SEARCH)
    return index


def load_for_serving() -> str:
    """Load what a first search needs, in this process, and say what was loaded.

    Loads the configured embedding model and runs one query through it (PyTorch's
    first forward pass is seconds slower than the next), then reads the saved vector
    index if there is one. The model is loaded even before an index exists: the
    background ``index build`` of ``papertrend serve`` saves one while the site runs,
    and the first search after that must not wait for the model either.

    Called by each gunicorn worker before it accepts requests
    (``papertrend.gunicorn_conf.post_worker_init``). Never raises for a model that
    cannot load: search is then keyword-only, as ``semantic_status`` says.

    Returns:
        One line for the server log, e.g. ``"embedding model all-MiniLM-L6-v2 (...)
        loaded in 4.2 s; vector index: 1,000 vectors"``.
    """
    started = time.monotonic()
    try:
        embedder = get_embedder()
        embedder.embed(["warm up"])
    except EmbeddingModelError as exc:
        logger.warning("semantic search unavailable: %s", exc)
        return f"embedding model not loaded ({exc}); search is keyword-only"
    index = _current_index()
    vectors = f"{len(index):,} vectors" if index is not None else "none yet"
    return (
        f"embedding model {embedder.identity} loaded in {time.monotonic() - started:.1f} s; "
        f"vector index: {vectors}"
    )


def semantic_status() -> str | None:
    """None when semantic search works, else a sentence saying why not."""
    if _current_index() is None:
        # Shown to readers: no command names (operators see ``papertrend index status``).
        return (
            "Search by meaning is not ready yet: papers are still being indexed for it, "
            "so these results match words only."
        )
    return None


def _to_hits(
    index_hits: list[tuple[int, float]], exclude_keys: Iterable[str], k: int
) -> list[DenseHit]:
    labels = [label for label, _ in index_hits]
    keys = dict(
        PaperEmbedding.objects.filter(id__in=labels, paper__hidden=False).values_list(
            "id", "paper__key"
        )
    )
    excluded = set(exclude_keys)
    hits = [
        DenseHit(keys[label], score)
        for label, score in index_hits
        if label in keys and keys[label] not in excluded
    ]
    return hits[:k]


def _neighbours(
    index: VectorIndex, vector: np.ndarray, k: int, exclude: Iterable[int] = ()
) -> list[tuple[int, float]]:
    # A few extra cover labels of papers hidden or deleted since the last sync.
    return [(n.label, n.score) for n in index.search(vector, k + 10, exclude=exclude)]


def dense_search(query: str, *, k: int, exclude_keys: Iterable[str] = ()) -> list[DenseHit]:
    """The ``k`` papers whose vectors are nearest the query text's, best first."""
    text = query.strip()[:MAX_QUERY_CHARS]
    index = _current_index()
    if index is None or not text or k <= 0:
        return []
    try:
        vector = get_embedder().embed([text])[0]
    except EmbeddingModelError as exc:
        logger.warning("semantic search unavailable: %s", exc)
        return []
    return _to_hits(_neighbours(index, vector, k), exclude_keys, k)


def related_papers(paper: Paper, *, k: int = 5) -> list[DenseHit]:
    """The ``k`` nearest papers to ``paper`` in embedding space, itself excluded.

    Empty while the paper has no vector under the current model.
    """
    index = _current_index()
    if index is None or k <= 0:
        return []
    row = (
        PaperEmbedding.objects.filter(paper=paper, model=model_choice().identity())
        .values_list("id", "vector", "dim")
        .first()
    )
    if row is None:
        return []
    label, blob, dim = row
    vector = decode_vectors([blob], dim)[0]
    return _to_hits(_neighbours(index, vector, k, exclude=[label]), [paper.key], k)
