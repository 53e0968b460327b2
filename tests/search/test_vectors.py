"""``search.vectors``: exact and HNSW nearest-neighbour search, and the index folder on disk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from papertrend.search.vectors import (
    MANIFEST,
    ExactIndex,
    HnswIndex,
    HnswParams,
    IndexReader,
    VectorIndex,
    VectorIndexError,
    build_index,
    load_index,
    read_manifest,
    reader_for,
    save_index,
)

PARAMS = HnswParams()


def clustered(n: int, dim: int, *, seed: int, clusters: int = 50) -> np.ndarray:
    """``n`` unit vectors (float32, ``(n, dim)``) scattered around ``clusters`` random centres.

    Clustered data is harder for HNSW than uniform noise: neighbours crowd together.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    points = centres[rng.integers(0, clusters, n)] + 0.35 * rng.normal(size=(n, dim))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def brute_force(vectors: np.ndarray, labels: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = vectors @ query
    return [int(labels[i]) for i in np.argsort(-scores, kind="stable")[:k]]


def make_index(kind: str, labels: np.ndarray, vectors: np.ndarray) -> VectorIndex:
    if kind == "exact":
        return ExactIndex(vectors.shape[1], labels, vectors)
    index = HnswIndex(vectors.shape[1], PARAMS)
    index.add(labels, vectors)
    return index


def test_exact_search_is_the_brute_force_order() -> None:
    vectors = clustered(400, 32, seed=1)
    labels = np.arange(10_000, 10_400, dtype=np.int64)
    index = ExactIndex(32, labels, vectors)
    for query in clustered(25, 32, seed=2):
        hits = index.search(query, 10)
        assert [h.label for h in hits] == brute_force(vectors, labels, query, 10)
        expected = np.sort(vectors @ query)[::-1][:10]
        np.testing.assert_allclose([h.score for h in hits], expected, rtol=1e-5)
    # Asking for more than there is returns everything, best first.
    query = clustered(1, 32, seed=3)[0]
    assert [h.label for h in index.search(query, 1000)] == brute_force(vectors, labels, query, 400)


def test_exact_exclude_leaves_labels_out_and_still_fills_k() -> None:
    vectors = clustered(200, 16, seed=4)
    labels = np.arange(200, dtype=np.int64)
    index = ExactIndex(16, labels, vectors)
    query = vectors[17]
    order = brute_force(vectors, labels, query, 200)
    assert order[0] == 17  # a vector is its own nearest neighbour
    excluded = {17, order[3], order[5]}
    hits = index.search(query, 8, exclude=excluded)
    assert [h.label for h in hits] == [label for label in order if label not in excluded][:8]


def test_empty_index_and_zero_k() -> None:
    empty = ExactIndex(8)
    assert len(empty) == 0 and empty.search(np.ones(8, np.float32), 5) == []
    assert HnswIndex(8, PARAMS).search(np.ones(8, np.float32), 5) == []
    full = ExactIndex(8, np.arange(3), clustered(3, 8, seed=5))
    assert full.search(np.ones(8, np.float32), 0) == []


def test_wrong_vector_shape_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\(n, 8\)"):
        ExactIndex(8, np.arange(2), np.zeros((2, 7), np.float32))
    with pytest.raises(ValueError, match=r"\(n, 8\)"):
        HnswIndex(8, PARAMS).add(np.arange(2), np.zeros((2, 9), np.float32))


def test_hnsw_recall_at_10_against_exact() -> None:
    """Default parameters reach recall@10 >= 0.95 on 5,000 clustered 64-d vectors."""
    vectors = clustered(5000, 64, seed=11)
    labels = np.arange(1000, 6000, dtype=np.int64)
    exact = ExactIndex(64, labels, vectors)
    hnsw = make_index("hnsw", labels, vectors)
    assert len(hnsw) == 5000
    recalls = []
    for query in clustered(200, 64, seed=12):
        truth = {h.label for h in exact.search(query, 10)}
        found = [h.label for h in hnsw.search(query, 10)]
        assert len(found) == 10
        recalls.append(len(truth.intersection(found)) / 10)
    assert float(np.mean(recalls)) >= 0.95
    # HNSW similarities are cosines like the exact ones (f16 storage: within 1e-2).
    query = vectors[42]
    best = hnsw.search(query, 1)[0]
    assert best.label == 1042 and best.score == pytest.approx(1.0, abs=1e-2)
    assert 1042 not in {h.label for h in hnsw.search(query, 10, exclude=[1042])}


@pytest.mark.parametrize("kind", ["exact", "hnsw"])
def test_add_remove_and_labels_round_trip(kind: str) -> None:
    vectors = clustered(60, 16, seed=21)
    index = make_index(kind, np.arange(0, 40, dtype=np.int64), vectors[:40])
    index.add(np.arange(100, 120, dtype=np.int64), vectors[40:])
    assert sorted(index.labels().tolist()) == [*range(40), *range(100, 120)]
    index.remove([3, 105, 9999])  # an unknown label is ignored
    assert len(index) == 58
    assert sorted(index.labels().tolist()) == [
        *(i for i in range(40) if i != 3),
        *(i for i in range(100, 120) if i != 105),
    ]
    # A removed vector is no longer found, even searching for itself.
    for removed, vector in ((3, vectors[3]), (105, vectors[45])):
        assert removed not in {h.label for h in index.search(vector, 10)}
    assert index.search(vectors[46], 1)[0].label == 106
    index.remove([])
    assert len(index) == 58


def test_build_index_picks_exact_below_exact_max() -> None:
    vectors = clustered(30, 8, seed=31)
    labels = np.arange(30, dtype=np.int64)
    assert build_index(labels, vectors, exact_max=31, params=PARAMS).kind == "exact"
    hnsw = build_index(labels, vectors, exact_max=30, params=PARAMS)
    assert hnsw.kind == "hnsw" and len(hnsw) == 30 and hnsw.dim == 8


def generations(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("gen-*"))


@pytest.mark.parametrize("kind", ["exact", "hnsw"])
def test_save_and_load_generations(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "vectors"
    vectors = clustered(50, 16, seed=41)
    labels = np.arange(500, 550, dtype=np.int64)
    assert read_manifest(folder) is None  # nothing saved yet

    first = save_index(folder, make_index(kind, labels, vectors), model="model-a", params=PARAMS)
    assert (first.generation, first.kind, first.count, first.dim) == (1, kind, 50, 16)
    assert first.model == "model-a" and first.params == json.loads(json.dumps(first.params))
    assert read_manifest(folder) == first
    assert generations(folder) == ["gen-1"]

    loaded = load_index(folder, first)
    assert loaded.kind == kind and len(loaded) == 50
    assert sorted(loaded.labels().tolist()) == labels.tolist()
    assert loaded.search(vectors[7], 1)[0].label == 507

    writable = load_index(folder, first, writable=True)
    writable.remove([507])
    writable.add(np.array([900], np.int64), vectors[7:8])
    second = save_index(folder, writable, model="model-a", params=PARAMS)
    assert second.generation == 2 and second.count == 50
    assert generations(folder) == ["gen-1", "gen-2"]  # the previous one is kept for readers
    assert loaded.search(vectors[7], 1)[0].label == 507  # a reader of gen-1 still answers
    assert load_index(folder, second).search(vectors[7], 1)[0].label == 900

    third = save_index(folder, load_index(folder, second, writable=True), model="m", params=PARAMS)
    assert third.generation == 3
    assert generations(folder) == ["gen-2", "gen-3"]  # older than the previous: deleted
    assert not list(folder.glob(f".{MANIFEST}.*"))  # no partial manifest left behind


def test_failed_save_leaves_the_previous_generation_in_use(tmp_path: Path) -> None:
    folder = tmp_path / "vectors"
    vectors = clustered(20, 8, seed=51)
    save_index(folder, ExactIndex(8, np.arange(20), vectors), model="m", params=PARAMS)

    class DiskFull(ExactIndex):
        def save_to(self, folder: Path) -> None:
            np.save(folder / "labels.npy", self._labels)
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        save_index(folder, DiskFull(8, np.arange(5), vectors[:5]), model="m", params=PARAMS)
    manifest = read_manifest(folder)
    assert manifest is not None and manifest.generation == 1 and manifest.count == 20
    assert len(load_index(folder, manifest)) == 20
    # The half-written gen-2 is replaced by the next save.
    retried = save_index(folder, ExactIndex(8, np.arange(5), vectors[:5]), model="m", params=PARAMS)
    assert retried.generation == 2 and len(load_index(folder, retried)) == 5


def test_index_reader_reloads_after_a_new_save(tmp_path: Path) -> None:
    folder = tmp_path / "vectors"
    reader = IndexReader(folder)
    assert reader.get() == (None, None)
    vectors = clustered(30, 8, seed=61)
    save_index(folder, ExactIndex(8, np.arange(10), vectors[:10]), model="m", params=PARAMS)
    manifest, index = reader.get()
    assert manifest is not None and index is not None
    assert manifest.generation == 1 and len(index) == 10
    assert reader.get()[1] is index  # unchanged manifest: the open index is reused
    save_index(folder, ExactIndex(8, np.arange(30), vectors), model="m", params=PARAMS)
    manifest, index = reader.get()
    assert manifest is not None and index is not None
    assert manifest.generation == 2 and len(index) == 30
    assert index.search(vectors[25], 1)[0].label == 25
    assert reader_for(folder) is reader_for(folder / ".." / "vectors")


def test_unreadable_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "vectors"
    folder.mkdir()
    (folder / MANIFEST).write_text("{not json")
    with pytest.raises(VectorIndexError, match="unreadable"):
        read_manifest(folder)
    with pytest.raises(VectorIndexError):
        IndexReader(folder).get()
    (folder / MANIFEST).write_text(json.dumps({"format": 1, "model": "m"}))
    with pytest.raises(VectorIndexError, match="unexpected manifest fields"):
        read_manifest(folder)
    # Another layout's manifest reads as "no index": the next sync rebuilds.
    (folder / MANIFEST).write_text(json.dumps({"format": 999}))
    assert read_manifest(folder) is None


def test_missing_generation_folder(tmp_path: Path) -> None:
    folder = tmp_path / "vectors"
    vectors = clustered(10, 8, seed=71)
    for kind in ("exact", "hnsw"):
        manifest = save_index(
            folder, make_index(kind, np.arange(10), vectors), model="m", params=PARAMS
        )
        for path in (folder / f"gen-{manifest.generation}").iterdir():
            path.unlink()
        with pytest.raises(VectorIndexError, match="cannot open"):
            load_index(folder, manifest)
