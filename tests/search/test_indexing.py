"""The queue -> index sync: consistency after inserts, updates, deletes, hides and crashes."""

from __future__ import annotations

import pytest

from papertrend.papers.models import Paper
from papertrend.papers.services import delete_papers
from papertrend.search import backend, indexing
from papertrend.search.models import IndexQueue, enqueue

from .conftest import MakePaper

pytestmark = pytest.mark.django_db(transaction=True)


def _found(query: str) -> list[str]:
    return [hit.key for hit in backend.search(query, limit=20)[0]]


@pytest.fixture
def synced_index() -> backend.SearchIndex:
    """An index past its first (rebuild) sync, so later syncs take the queue path."""
    stats = indexing.sync()
    assert stats.rebuilt
    return backend.get_index()


def test_first_sync_on_a_new_index_rebuilds(make_paper: MakePaper) -> None:
    make_paper("2401.00001", "Sparse attention")
    stats = indexing.sync()
    assert stats.rebuilt and stats.indexed == 1 and stats.queue_rows == 1
    assert _found("sparse") == ["2401.00001"]
    assert not backend.get_index().needs_rebuild
    assert IndexQueue.objects.count() == 0


def test_insert_becomes_searchable(
    synced_index: backend.SearchIndex, make_paper: MakePaper
) -> None:
    make_paper("2401.00001", "Sparse attention", "Long documents.")
    assert _found("sparse") == []  # not before the sync
    stats = indexing.sync()
    assert not stats.rebuilt
    assert (stats.indexed, stats.removed, stats.queue_rows, stats.batches) == (1, 0, 1, 1)
    assert _found("sparse") == ["2401.00001"]
    assert IndexQueue.objects.count() == 0


def test_title_update_replaces_old_words(
    synced_index: backend.SearchIndex, make_paper: MakePaper
) -> None:
    paper = make_paper("2401.00001", "Sparse attention")
    indexing.sync()
    paper.title = "Dense convolutions"
    paper.save()
    enqueue([paper.key])
    indexing.sync()
    assert _found("sparse") == []
    assert _found("dense convolutions") == ["2401.00001"]
    assert synced_index.status().num_docs == 1


def test_delete_removes_from_index(
    synced_index: backend.SearchIndex, make_paper: MakePaper
) -> None:
    make_paper("2401.00001", "Sparse attention")
    make_paper("2401.00002", "Sparse coding")
    indexing.sync()
    delete_papers(Paper.objects.filter(key="2401.00001"))
    stats = indexing.sync()
    assert stats.removed == 1
    assert _found("sparse") == ["2401.00002"]


def test_hidden_papers_are_not_indexed(
    synced_index: backend.SearchIndex, make_paper: MakePaper
) -> None:
    paper = make_paper("2401.00001", "Sparse attention")
    make_paper("2401.00002", "Hidden sparse thing", hidden=True)
    indexing.sync()
    assert _found("sparse") == ["2401.00001"]
    paper.hidden = True
    paper.save()
    enqueue([paper.key])
    indexing.sync()
    assert _found("sparse") == []


def test_crash_before_commit_keeps_queue_rows(
    synced_index: backend.SearchIndex, make_paper: MakePaper, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_paper("2401.00001", "Sparse attention")

    def crash(self: backend.IndexWriterSession) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(backend.IndexWriterSession, "commit", crash)
    with pytest.raises(OSError, match="disk full"):
        indexing.sync()
    assert list(IndexQueue.objects.values_list("paper_key", flat=True)) == ["2401.00001"]
    assert _found("sparse") == []
    monkeypatch.undo()
    stats = indexing.sync()  # re-applies: idempotent
    assert stats.indexed == 1
    assert _found("sparse") == ["2401.00001"]
    assert IndexQueue.objects.count() == 0


def test_reapplying_a_queue_twice_is_idempotent(
    synced_index: backend.SearchIndex, make_paper: MakePaper
) -> None:
    make_paper("2401.00001", "Sparse attention")
    indexing.sync()
    enqueue(["2401.00001"])
    enqueue(["2401.00001", "never-existed"])
    stats = indexing.sync()
    assert stats.keys == 2 and stats.queue_rows == 3
    assert synced_index.status().num_docs == 1


def test_batches_commit_and_drain_everything(
    synced_index: backend.SearchIndex, make_paper: MakePaper
) -> None:
    for i in range(25):
        make_paper(f"2401.{i:05d}", f"Topic number {i} about graphs")
    stats = indexing.sync(batch_size=10)
    assert stats.batches == 3 and stats.indexed == 25
    assert backend.search("graphs", limit=1)[1] == 25
    assert IndexQueue.objects.count() == 0


def test_rows_queued_after_start_are_left_for_next_sync(
    synced_index: backend.SearchIndex, make_paper: MakePaper, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_paper("2401.00001", "Sparse attention")
    real_commit = backend.IndexWriterSession.commit

    def commit_while_someone_writes(self: backend.IndexWriterSession) -> None:
        real_commit(self)
        if not Paper.objects.filter(key="2401.00002").exists():
            make_paper("2401.00002", "Sparse late arrival")

    monkeypatch.setattr(backend.IndexWriterSession, "commit", commit_while_someone_writes)
    indexing.sync()
    assert list(IndexQueue.objects.values_list("paper_key", flat=True)) == ["2401.00002"]
    indexing.sync()
    assert sorted(_found("sparse")) == ["2401.00001", "2401.00002"]


def test_rebuild_reindexes_everything_and_clears_queue(
    synced_index: backend.SearchIndex, make_paper: MakePaper
) -> None:
    make_paper("2401.00001", "Sparse attention")
    make_paper("2401.00002", "Hidden sparse", hidden=True)
    # A stale document that is no longer in the database goes away too.
    with synced_index.writer() as writer:
        writer.upsert({"key": "gone", "title": "sparse ghost"})
        writer.commit()
    stats = indexing.rebuild()
    assert stats.rebuilt and stats.indexed == 1 and stats.queue_rows == 2
    assert _found("sparse") == ["2401.00001"]
    assert IndexQueue.objects.count() == 0


def test_sync_with_empty_queue_does_nothing(synced_index: backend.SearchIndex) -> None:
    stats = indexing.sync()
    assert (stats.queue_rows, stats.batches, stats.rebuilt) == (0, 0, False)


def test_sync_raises_locked_when_another_writer_runs(
    synced_index: backend.SearchIndex, make_paper: MakePaper, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_paper("2401.00001", "Sparse attention")
    monkeypatch.setattr(backend, "LOCK_WAIT_SECONDS", 0.2)
    with synced_index.writer(), pytest.raises(backend.SearchIndexLocked):
        indexing.sync()
    assert IndexQueue.objects.count() == 1
