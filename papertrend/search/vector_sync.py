"""``papertrend index build``'s second half: bring the vector index in line with the database.

The index folder (``settings.VECTOR_INDEX_DIR / <model name>``) holds the vectors
of every visible paper's ``PaperEmbedding`` under the current model identity. A
sync compares the labels (row ids) in the index with those in the database and
adds and removes the difference, then saves a new generation
(``vectors.save_index``). It rebuilds from scratch when there is no index yet,
when it was built for another model, or when the set crossed
``VECTOR_EXACT_MAX`` (exact <-> HNSW). Running it twice changes nothing the
second time; a crash before the manifest swap leaves the previous index in use.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from papertrend.search.embedders import ModelRef
from papertrend.search.embedding_job import decode_vectors
from papertrend.search.models import PaperEmbedding
from papertrend.search.vectors import (
    HnswParams,
    VectorIndex,
    build_index,
    load_index,
    read_manifest,
    save_index,
)

FETCH_CHUNK = 5000


class VectorIndexBusy(RuntimeError):
    """Another process is building this vector index."""


@dataclass
class VectorSyncStats:
    """``added`` and ``removed`` labels, ``total`` in the saved index, its ``kind``,
    ``rebuilt`` from scratch or not, ``saved`` a new generation, ``seconds``."""

    added: int = 0
    removed: int = 0
    total: int = 0
    kind: str = ""
    rebuilt: bool = False
    saved: bool = False
    seconds: float = 0.0


def index_folder(model_name: str) -> Path:
    """Where the vectors of the model called ``model_name`` are indexed."""
    return Path(settings.VECTOR_INDEX_DIR) / model_name


def hnsw_params() -> HnswParams:
    """HNSW parameters from settings (``PAPERTREND_HNSW_*``)."""
    return HnswParams(
        connectivity=settings.HNSW_CONNECTIVITY,
        expansion_add=settings.HNSW_EXPANSION_ADD,
        expansion_search=settings.HNSW_EXPANSION_SEARCH,
        dtype=settings.HNSW_DTYPE,
    )


@contextmanager
def writer_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's writer lock; raise ``VectorIndexBusy`` if another process has it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".writer.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise VectorIndexBusy(
                f"another `papertrend index build` is writing {folder}; try again when it ends"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _db_labels(identity: str) -> np.ndarray:
    ids = PaperEmbedding.objects.filter(model=identity, paper__hidden=False).values_list(
        "id", flat=True
    )
    return np.fromiter(ids.iterator(chunk_size=FETCH_CHUNK), dtype=np.int64)


def _vectors_for(labels: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(labels, vectors) chunks for the given row ids, read from the database."""
    ordered = np.sort(labels)
    for start in range(0, len(ordered), FETCH_CHUNK):
        chunk = [int(x) for x in ordered[start : start + FETCH_CHUNK]]
        rows = list(
            PaperEmbedding.objects.filter(id__in=chunk)
            .order_by("id")
            .values_list("id", "vector", "dim")
        )
        if rows:
            ids = np.array([row[0] for row in rows], dtype=np.int64)
            yield ids, decode_vectors([row[1] for row in rows], rows[0][2])


def sync_vectors(embedder: ModelRef, *, exact_max: int | None = None) -> VectorSyncStats:
    """Make the model's index folder hold exactly its visible papers' vectors.

    Raises:
        VectorIndexBusy: another process holds the folder's writer lock.
        vectors.VectorIndexError: the saved index cannot be read.
    """
    started = time.monotonic()
    folder = index_folder(embedder.name)
    exact_max = settings.VECTOR_EXACT_MAX if exact_max is None else exact_max
    params = hnsw_params()
    stats = VectorSyncStats()
    with writer_lock(folder):
        wanted = _db_labels(embedder.identity)
        kind = "exact" if len(wanted) < exact_max else "hnsw"
        manifest = read_manifest(folder)
        reuse = (
            manifest is not None
            and (manifest.count > 0 or len(wanted) == 0)
            and manifest.model == embedder.identity
            and manifest.kind == kind
            and _construction(manifest.params) == _construction(asdict(params))
        )
        if reuse:
            assert manifest is not None
            index = load_index(folder, manifest, writable=True)
            present = index.labels()
            to_remove = np.setdiff1d(present, wanted, assume_unique=True)
            to_add = np.setdiff1d(wanted, present, assume_unique=True)
            if len(to_remove) or len(to_add):
                index.remove(to_remove)
                for labels, vectors in _vectors_for(to_add):
                    index.add(labels, vectors)
                stats.saved = True
            stats.added, stats.removed = len(to_add), len(to_remove)
        else:
            index = _full_build(wanted, exact_max, params)
            stats.rebuilt = stats.saved = True
            stats.added = len(wanted)
        if stats.saved:
            save_index(folder, index, model=embedder.identity, params=params)
        stats.total, stats.kind = len(index), index.kind
    stats.seconds = time.monotonic() - started
    return stats


def _construction(params: dict[str, object]) -> dict[str, object]:
    """The parameters a graph is built with; ef_search is applied when searching."""
    return {k: v for k, v in params.items() if k != "expansion_search"}


def _full_build(labels: np.ndarray, exact_max: int, params: HnswParams) -> VectorIndex:
    parts = list(_vectors_for(labels))
    if not parts:
        # No vectors, so no dimension yet: an empty exact index (never reused, see
        # sync_vectors) stands until the first paper is embedded.
        empty = np.zeros((0, 1), np.float32)
        return build_index(np.zeros(0, np.int64), empty, exact_max=1, params=params)
    all_labels = np.concatenate([p[0] for p in parts])
    all_vectors = np.concatenate([p[1] for p in parts])
    return build_index(all_labels, all_vectors, exact_max=exact_max, params=params)
