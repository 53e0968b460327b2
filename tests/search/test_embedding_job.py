"""``search.embedding_job``: which papers get (new) vectors, and resuming after a crash.

Uses the real ``minilm-static`` model (distilled once into ``MODEL_CACHE_DIR``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from papertrend.papers.models import Paper
from papertrend.search.embedders import Embedder, document_text
from papertrend.search.embedding_job import (
    STORED_DTYPE,
    decode_vectors,
    embed_pending,
    encode_vector,
    pending_papers,
    text_hash,
)
from papertrend.search.models import PaperEmbedding

from .conftest import MakePaper

TEXTS = [
    ("Sparse attention for long documents", "Attention restricted to a sliding window."),
    ("Graph neural networks for molecules", "Message passing over atoms and bonds."),
    ("Bayesian optimisation of hyperparameters", "A Gaussian process surrogate picks trials."),
    ("Speech recognition with transducers", "Streaming recognition of spoken words."),
    ("Robust estimation under heavy tails", "Median-of-means estimators and their risk."),
]


@pytest.fixture
def papers(make_paper: MakePaper) -> list[Paper]:
    """Five visible papers and one hidden one."""
    made = [make_paper(f"2401.{i:05d}", t, a) for i, (t, a) in enumerate(TEXTS, start=1)]
    make_paper("2401.00099", "Hidden paper on attention", "Not shown.", hidden=True)
    return made


def rows(embedder: Embedder) -> dict[str, PaperEmbedding]:
    """The stored rows under the embedder's identity, by paper key."""
    found = PaperEmbedding.objects.filter(model=embedder.identity).select_related("paper")
    return {row.paper.key: row for row in found}


@pytest.mark.django_db
def test_pending_papers_get_rows_and_a_second_pass_embeds_nothing(
    embedder: Embedder, papers: list[Paper]
) -> None:
    assert pending_papers(embedder.identity).count() == 5
    batches: list[int] = []
    stats = embed_pending(embedder, batch_size=2, on_batch=batches.append)
    assert (stats.embedded, stats.unchanged, stats.pruned, stats.stopped) == (5, 0, 0, False)
    assert batches == [2, 2, 1]
    assert stats.seconds > 0 and stats.rate > 0

    stored = rows(embedder)
    assert sorted(stored) == [p.key for p in papers]  # the hidden paper has none
    for paper in papers:
        row = stored[paper.key]
        text = document_text(paper.title, paper.abstract)
        assert row.dim == embedder.dim == 256
        assert len(bytes(row.vector)) == row.dim * 2  # float16
        assert row.text_hash == text_hash(text) and len(row.text_hash) == 32
        assert row.source_modified == Paper.objects.get(pk=paper.pk).modified_at
        stored_vector = decode_vectors([row.vector], row.dim)[0]
        np.testing.assert_allclose(stored_vector, embedder.embed([text])[0], atol=1e-3)

    assert pending_papers(embedder.identity).count() == 0
    again = embed_pending(embedder, batch_size=2)
    assert (again.embedded, again.unchanged) == (0, 0)
    assert {key: row.id for key, row in rows(embedder).items()} == {
        key: row.id for key, row in stored.items()
    }


@pytest.mark.django_db
def test_limit_embeds_at_most_that_many(embedder: Embedder, papers: list[Paper]) -> None:
    assert embed_pending(embedder, batch_size=2, limit=3).embedded == 3
    assert len(rows(embedder)) == 3
    assert pending_papers(embedder.identity).count() == 2
    assert embed_pending(embedder).embedded == 2


@pytest.mark.django_db
def test_non_text_change_is_only_restamped(embedder: Embedder, papers: list[Paper]) -> None:
    embed_pending(embedder)
    before = rows(embedder)["2401.00002"]
    paper = Paper.objects.get(key="2401.00002")
    paper.categories = ["q-bio.BM", "cs.LG"]
    paper.primary_category = "q-bio.BM"
    paper.save()  # modified_at moves (auto_now)
    assert paper.modified_at > before.source_modified
    assert list(pending_papers(embedder.identity).values_list("key", flat=True)) == [paper.key]

    stats = embed_pending(embedder)
    assert (stats.embedded, stats.unchanged) == (0, 1)
    after = rows(embedder)["2401.00002"]
    assert after.id == before.id and bytes(after.vector) == bytes(before.vector)
    assert after.source_modified == paper.modified_at
    assert pending_papers(embedder.identity).count() == 0


@pytest.mark.django_db
def test_abstract_change_gives_a_new_row(embedder: Embedder, papers: list[Paper]) -> None:
    embed_pending(embedder)
    before = rows(embedder)["2401.00003"]
    paper = Paper.objects.get(key="2401.00003")
    paper.abstract = "Tree-structured Parzen estimators choose the next configuration."
    paper.save()

    stats = embed_pending(embedder)
    assert (stats.embedded, stats.unchanged) == (1, 0)
    after = rows(embedder)["2401.00003"]
    assert after.id != before.id  # a new label for the vector index
    assert after.text_hash == text_hash(document_text(paper.title, paper.abstract))
    assert bytes(after.vector) != bytes(before.vector)
    assert PaperEmbedding.objects.filter(paper=paper).count() == 1


@pytest.mark.django_db
def test_hidden_papers_are_not_embedded(embedder: Embedder, papers: list[Paper]) -> None:
    Paper.objects.filter(key="2401.00001").update(hidden=True)
    embed_pending(embedder)
    assert sorted(rows(embedder)) == ["2401.00002", "2401.00003", "2401.00004", "2401.00005"]
    # Hiding a paper later keeps its row (vector_sync leaves it out of the index);
    # it is not pending either.
    Paper.objects.filter(key="2401.00002").update(hidden=True)
    assert pending_papers(embedder.identity).count() == 0
    assert "2401.00002" in rows(embedder)


class CrashOnSecondBatch:
    """The real embedder's ``embed``, raising once on its second call (fault injection)."""

    def __init__(self, embedder: Embedder) -> None:
        self.real = embedder.embed
        self.calls = 0

    def __call__(self, texts: Sequence[str], *, batch_size: int = 1024) -> np.ndarray:
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("simulated crash while embedding")
        return self.real(texts, batch_size=batch_size)


@pytest.mark.django_db(transaction=True)
def test_crash_mid_pass_keeps_committed_batches_and_a_rerun_finishes(
    embedder: Embedder, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedder, "embed", CrashOnSecondBatch(embedder))
    with pytest.raises(RuntimeError, match="simulated crash"):
        embed_pending(embedder, batch_size=2)
    first = rows(embedder)
    assert sorted(first) == ["2401.00001", "2401.00002"]  # the first batch was committed

    stats = embed_pending(embedder, batch_size=2)  # the wrapper now passes through
    assert (stats.embedded, stats.unchanged) == (3, 0)
    done = rows(embedder)
    assert sorted(done) == [p.key for p in papers]
    assert PaperEmbedding.objects.count() == 5  # exactly one row per paper
    assert all(done[key].id == first[key].id for key in first)  # not embedded twice


@pytest.mark.django_db
def test_stop_request_between_batches(embedder: Embedder, papers: list[Paper]) -> None:
    other = PaperEmbedding.objects.create(
        paper=papers[0],
        model="an older model",
        dim=2,
        text_hash="0" * 32,
        vector=encode_vector(np.array([1.0, 0.0])),
        source_modified=papers[0].modified_at,
    )
    batches: list[int] = []
    stats = embed_pending(
        embedder, batch_size=2, on_batch=batches.append, should_stop=lambda: len(batches) == 1
    )
    assert stats.stopped and stats.embedded == 2 and stats.pruned == 0
    assert PaperEmbedding.objects.filter(pk=other.pk).exists()  # not pruned on a partial pass
    assert len(rows(embedder)) == 2

    stats = embed_pending(embedder, batch_size=2)
    assert (stats.embedded, stats.pruned, stats.stopped) == (3, 1, False)
    assert not PaperEmbedding.objects.filter(pk=other.pk).exists()
    assert set(PaperEmbedding.objects.values_list("model", flat=True)) == {embedder.identity}
    assert PaperEmbedding.objects.count() == 5


@pytest.mark.django_db
def test_other_models_rows_survive_a_limited_pass(embedder: Embedder, papers: list[Paper]) -> None:
    PaperEmbedding.objects.create(
        paper=papers[1],
        model="an older model",
        dim=2,
        text_hash="0" * 32,
        vector=encode_vector(np.array([0.0, 1.0])),
        source_modified=papers[1].modified_at,
    )
    assert embed_pending(embedder, limit=2).pruned == 0
    assert PaperEmbedding.objects.filter(model="an older model").count() == 1
    assert embed_pending(embedder).pruned == 1
    assert PaperEmbedding.objects.filter(model="an older model").count() == 0


def test_encode_decode_round_trip() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(20, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    blobs = [encode_vector(v) for v in vectors]
    assert all(len(b) == 384 * 2 for b in blobs)
    assert np.frombuffer(blobs[0], dtype=STORED_DTYPE)[0] == np.float16(vectors[0, 0])
    decoded = decode_vectors([memoryview(b) for b in blobs], 384)
    assert decoded.dtype == np.float32 and decoded.shape == (20, 384)
    np.testing.assert_allclose(decoded, vectors, atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(decoded, axis=1), 1.0, rtol=1e-6)
    cosines = np.sum(decoded * vectors, axis=1)
    assert cosines.min() > 1 - 1e-3
    assert decode_vectors([], 384).shape == (0, 384)
    with pytest.raises(ValueError):
        decode_vectors([blobs[0][:-2]], 384)


def test_text_hash_is_stable() -> None:
    assert text_hash("Sparse attention. A window.") == text_hash("Sparse attention. A window.")
    assert text_hash("a") != text_hash("b")
    assert len(text_hash("é" * 1000)) == 32
