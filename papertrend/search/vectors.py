"""Nearest-neighbour search over unit vectors: exact for small sets, HNSW for large.

A ``VectorIndex`` maps integer labels (``PaperEmbedding`` row ids) to unit
vectors and answers "the k labels with the highest cosine similarity".

* ``ExactIndex``: one float32 matrix; a query is a matrix-vector product and a
  partial sort. Exact by construction; ~65 ms a query at 1M x 384 on 2 cores.
* ``HnswIndex``: a hierarchical navigable small-world graph (Malkov and
  Yashunin, "Efficient and robust approximate nearest neighbor search using
  Hierarchical Navigable Small World graphs", IEEE TPAMI 2018,
  https://arxiv.org/abs/1603.09320) from usearch (https://github.com/unum-cloud/usearch),
  which supports adding and removing labels in place and memory-maps a saved index.

``build_index`` picks exact below ``exact_max`` vectors. Parameters (``HnswParams``)
were tuned for recall@10 >= 0.95 against exact search (docs/search.md,
bench/search_bench.py).

On disk an index is a folder holding ``manifest.json`` and one generation folder
(``gen-<n>/``); a new generation is written beside the old one and the manifest
is swapped with an atomic rename, so readers see the old index or the new one,
never a half-written one.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class VectorIndexError(RuntimeError):
    """An index folder is unreadable or was built for other vectors."""


@dataclass(frozen=True)
class HnswParams:
    """HNSW construction and search parameters (usearch names in brackets).

    ``connectivity`` (M): edges per node; ``expansion_add`` (efConstruction):
    candidate list while inserting; ``expansion_search`` (ef): candidate list while
    searching, the recall/latency knob; ``dtype``: how vectors are stored
    (``f32``, ``f16`` or ``i8``).
    """

    connectivity: int = 16
    expansion_add: int = 128
    expansion_search: int = 1024
    dtype: str = "f16"


@dataclass(frozen=True)
class Neighbour:
    """A label and its cosine similarity to the query (1.0 = same direction)."""

    label: int
    score: float


def _as_labels(labels: Iterable[int] | np.ndarray) -> np.ndarray:
    return np.asarray(
        list(labels) if not isinstance(labels, np.ndarray) else labels, dtype=np.int64
    )


def _as_vectors(vectors: np.ndarray, dim: int) -> np.ndarray:
    array = np.ascontiguousarray(vectors, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != dim:
        raise ValueError(f"vectors must have shape (n, {dim}), got {array.shape}")
    return array


class VectorIndex:
    """Common interface; see the module docstring."""

    kind: str
    dim: int

    def __len__(self) -> int:
        raise NotImplementedError

    def labels(self) -> np.ndarray:
        """Every label in the index (int64, unordered)."""
        raise NotImplementedError

    def add(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        """Insert vectors (shape ``(n, dim)``) under new labels."""
        raise NotImplementedError

    def remove(self, labels: Iterable[int]) -> None:
        """Drop labels; unknown ones are ignored."""
        raise NotImplementedError

    def search(self, query: np.ndarray, k: int, exclude: Iterable[int] = ()) -> list[Neighbour]:
        """The ``k`` nearest labels to ``query`` (shape ``(dim,)``), best first,
        leaving out ``exclude``."""
        raise NotImplementedError

    def save_to(self, folder: Path) -> None:
        raise NotImplementedError


class ExactIndex(VectorIndex):
    """Brute-force cosine search over a float32 matrix."""

    kind = "exact"

    def __init__(
        self, dim: int, labels: np.ndarray | None = None, vectors: np.ndarray | None = None
    ):
        self.dim = dim
        self._labels = _as_labels(labels if labels is not None else [])
        self._vectors = (
            _as_vectors(vectors, dim) if vectors is not None else np.zeros((0, dim), np.float32)
        )

    def __len__(self) -> int:
        return len(self._labels)

    def labels(self) -> np.ndarray:
        return self._labels

    def add(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        self._labels = np.concatenate([self._labels, _as_labels(labels)])
        self._vectors = np.concatenate([self._vectors, _as_vectors(vectors, self.dim)])

    def remove(self, labels: Iterable[int]) -> None:
        keep = ~np.isin(self._labels, _as_labels(labels))
        self._labels = self._labels[keep]
        self._vectors = self._vectors[keep]

    def search(self, query: np.ndarray, k: int, exclude: Iterable[int] = ()) -> list[Neighbour]:
        excluded = set(exclude)
        n = len(self._labels)
        if n == 0 or k <= 0:
            return []
        scores = self._vectors @ np.asarray(query, dtype=np.float32).reshape(-1)
        want = min(n, k + len(excluded))
        top = np.argpartition(-scores, want - 1)[:want] if want < n else np.arange(n)
        top = top[np.argsort(-scores[top], kind="stable")]
        found = [Neighbour(int(self._labels[i]), float(scores[i])) for i in top]
        return [hit for hit in found if hit.label not in excluded][:k]

    def save_to(self, folder: Path) -> None:
        np.save(folder / "labels.npy", self._labels)
        np.save(folder / "vectors.npy", self._vectors)

    @classmethod
    def load_from(cls, folder: Path, dim: int) -> ExactIndex:
        # Memory-mapped: web workers share the pages instead of each holding a copy.
        labels = np.load(folder / "labels.npy", mmap_mode="r")
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        index = cls(dim)
        index._labels, index._vectors = labels, vectors
        return index


class HnswIndex(VectorIndex):
    """Approximate search in a usearch HNSW graph."""

    kind = "hnsw"

    def __init__(self, dim: int, params: HnswParams, index: Any | None = None) -> None:
        from usearch.index import Index

        self.dim = dim
        self.params = params
        self._index = index or Index(
            ndim=dim,
            metric="cos",
            dtype=params.dtype,
            connectivity=params.connectivity,
            expansion_add=params.expansion_add,
            expansion_search=params.expansion_search,
        )

    def __len__(self) -> int:
        return len(self._index)

    def labels(self) -> np.ndarray:
        return np.asarray(self._index.keys, dtype=np.int64)

    def add(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        labels = _as_labels(labels)
        if len(labels):
            self._index.add(labels.astype(np.uint64), _as_vectors(vectors, self.dim))

    def remove(self, labels: Iterable[int]) -> None:
        keys = _as_labels(labels)
        if len(keys):
            self._index.remove(keys.astype(np.uint64))

    def search(self, query: np.ndarray, k: int, exclude: Iterable[int] = ()) -> list[Neighbour]:
        excluded = set(exclude)
        if len(self) == 0 or k <= 0:
            return []
        want = min(len(self), k + len(excluded))
        matches = self._index.search(np.asarray(query, dtype=np.float32).reshape(-1), want)
        # usearch returns cosine *distance* (1 - similarity).
        found = [
            Neighbour(int(key), 1.0 - float(distance))
            for key, distance in zip(matches.keys, matches.distances, strict=True)
        ]
        return [hit for hit in found if hit.label not in excluded][:k]

    def set_expansion_search(self, ef: int) -> None:
        """Change ef (the search-time candidate list) without rebuilding."""
        if self._index.expansion_search != ef:
            # usearch defines the setter after the getter; its stub reads as read-only.
            self._index.expansion_search = ef  # type: ignore[misc]

    def save_to(self, folder: Path) -> None:
        self._index.save(str(folder / "index.usearch"))

    @classmethod
    def load_from(cls, folder: Path, dim: int, params: HnswParams, *, view: bool) -> HnswIndex:
        from usearch.index import Index

        index = Index.restore(str(folder / "index.usearch"), view=view)
        if index is None:
            raise VectorIndexError(f"{folder / 'index.usearch'} is not a usearch index")
        # usearch defines the setter after the getter; its stub reads as read-only.
        index.expansion_search = params.expansion_search  # type: ignore[misc]
        return cls(dim, params, index)


def build_index(
    labels: np.ndarray, vectors: np.ndarray, *, exact_max: int, params: HnswParams
) -> VectorIndex:
    """An exact index for fewer than ``exact_max`` vectors, else HNSW.

    ``labels``: int64 ``(n,)``; ``vectors``: float32 ``(n, dim)``, unit length.
    """
    dim = int(vectors.shape[1])
    if len(labels) < exact_max:
        return ExactIndex(dim, labels, vectors)
    index = HnswIndex(dim, params)
    index.add(labels, vectors)
    return index


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` records about the current generation."""

    format: int
    model: str
    dim: int
    kind: str
    count: int
    generation: int
    params: dict[str, Any]
    built_at: float


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest, or None when no index was saved there yet.

    Raises:
        VectorIndexError: the manifest is unreadable or of another format.
    """
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise VectorIndexError(f"{path}: unreadable vector index manifest ({exc})") from exc
    if data.get("format") != FORMAT_VERSION:
        return None  # an older layout: the next sync rebuilds it
    try:
        return Manifest(**data)
    except TypeError as exc:
        raise VectorIndexError(f"{path}: unexpected manifest fields ({exc})") from exc


def save_index(folder: Path, index: VectorIndex, *, model: str, params: HnswParams) -> Manifest:
    """Write ``index`` as the folder's next generation and switch the manifest to it.

    Keeps the previous generation (a reader may still have it open) and deletes older ones.
    """
    folder.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(folder)
    generation = (previous.generation + 1) if previous else 1
    target = folder / f"gen-{generation}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir()
    index.save_to(target)
    manifest = Manifest(
        FORMAT_VERSION,
        model,
        index.dim,
        index.kind,
        len(index),
        generation,
        asdict(params),
        time.time(),
    )
    partial = folder / f".{MANIFEST}.{os.getpid()}"
    partial.write_text(json.dumps(asdict(manifest)))
    os.replace(partial, folder / MANIFEST)
    for old in folder.glob("gen-*"):
        number = old.name.removeprefix("gen-")
        if number.isdigit() and int(number) < generation - 1:
            shutil.rmtree(old, ignore_errors=True)
    return manifest


def load_index(folder: Path, manifest: Manifest, *, writable: bool = False) -> VectorIndex:
    """Open the manifest's generation (memory-mapped unless ``writable``).

    Raises:
        VectorIndexError: the generation folder is missing or damaged.
    """
    target = folder / f"gen-{manifest.generation}"
    params = HnswParams(**manifest.params)
    try:
        if manifest.kind == "exact":
            index: VectorIndex = ExactIndex.load_from(target, manifest.dim)
            if writable:
                index = ExactIndex(manifest.dim, np.array(index.labels()), np.array(index._vectors))  # type: ignore[attr-defined]
            return index
        return HnswIndex.load_from(target, manifest.dim, params, view=not writable)
    except (OSError, ValueError, RuntimeError) as exc:
        raise VectorIndexError(f"{target}: cannot open vector index ({exc})") from exc


class IndexReader:
    """A folder's current index for searching, reopened when a new generation is saved.

    Checking costs one ``stat`` of the manifest per call to ``get``.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._stamp: tuple[int, int] | None = None
        self._index: VectorIndex | None = None
        self._manifest: Manifest | None = None
        self._lock = threading.Lock()

    def get(self) -> tuple[Manifest | None, VectorIndex | None]:
        """(manifest, index), or (None, None) when nothing was saved yet."""
        try:
            stat = (self.folder / MANIFEST).stat()
        except FileNotFoundError:
            return None, None
        stamp = (stat.st_mtime_ns, stat.st_ino)
        with self._lock:
            if stamp != self._stamp:
                manifest = read_manifest(self.folder)
                self._index = load_index(self.folder, manifest) if manifest else None
                self._manifest, self._stamp = manifest, stamp
            return self._manifest, self._index


_readers: dict[Path, IndexReader] = {}
_readers_lock = threading.Lock()


def reader_for(folder: Path) -> IndexReader:
    """One ``IndexReader`` per folder per process."""
    resolved = folder.resolve()
    with _readers_lock:
        reader = _readers.get(resolved)
        if reader is None:
            reader = _readers[resolved] = IndexReader(resolved)
        return reader
