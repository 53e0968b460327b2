"""Keeping the full-text index in step with the database.

``sync`` drains ``IndexQueue`` (see ``search.models``): for each queued key it
re-derives the document from the paper row (or removes it when the paper is gone
or hidden), commits the index, and only then deletes the queue rows it read. A
crash between the two leaves the rows queued, and re-applying them is harmless.
``rebuild`` re-indexes every paper in one atomic commit. Only one of them can run
at a time (``backend.SearchIndexLocked``); ``sync_after_load``, which the ``ingest`` and
``harvest`` commands call, waits for a running one and otherwise leaves its changes queued.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max

from papertrend.papers.models import Paper
from papertrend.search.backend import SearchIndex, SearchIndexLocked, get_index
from papertrend.search.models import IndexQueue

# Only the columns ``Paper.as_search_document`` reads.
DOCUMENT_FIELDS = (
    "key",
    "arxiv_id",
    "title",
    "abstract",
    "authors",
    "categories",
    "published",
    "feed_day",
    "hidden",
)
_DELETE_CHUNK = 500  # stays under every database's bound-parameter limit
# How long a command that loaded papers waits for another writer of the index (a
# concurrent ingest's sync, an ``index rebuild``) before leaving its changes queued.
LOAD_LOCK_WAIT_SECONDS = 300.0


@dataclass
class SyncStats:
    """What a ``sync`` or ``rebuild`` did.

    ``queue_rows``: IndexQueue rows consumed; ``keys``: distinct keys processed;
    ``indexed``: documents (re)written; ``removed``: keys whose paper is gone or
    hidden; ``batches``: index commits; ``seconds``: wall time; ``rebuilt``: the
    run re-indexed everything (a rebuild, or a sync on a new or recreated index).
    """

    queue_rows: int = 0
    keys: int = 0
    indexed: int = 0
    removed: int = 0
    batches: int = 0
    seconds: float = 0.0
    rebuilt: bool = False

    def __str__(self) -> str:
        what = "rebuilt" if self.rebuilt else "synced"
        return (
            f"{what}: {self.indexed} indexed, {self.removed} removed "
            f"({self.queue_rows} queued changes) in {self.seconds:.1f} s"
        )


def sync(batch_size: int = 1000, *, lock_wait: float | None = None) -> SyncStats:
    """Apply every queued paper change to the index, ``batch_size`` queue rows per commit.

    Rows queued after the call started are left for the next call, so a steady
    stream of changes cannot keep it running forever. On an index that was just
    created (first run, or a schema change), runs ``rebuild`` instead. ``lock_wait``:
    seconds to wait for another writer (default ``backend.LOCK_WAIT_SECONDS``).

    Raises:
        backend.SearchIndexLocked: another sync or rebuild held the index for ``lock_wait``.
    """
    index = get_index()
    if index.needs_rebuild:
        return rebuild(lock_wait=lock_wait)
    started = time.monotonic()
    stats = SyncStats()
    last_id = IndexQueue.objects.aggregate(last=Max("id"))["last"]
    if last_id is None:
        return stats
    with index.writer(lock_wait) as writer:
        while True:
            rows = list(
                IndexQueue.objects.filter(id__lte=last_id)
                .order_by("id")
                .values_list("id", "paper_key")[:batch_size]
            )
            if not rows:
                break
            keys = list(dict.fromkeys(key for _, key in rows))
            papers = {
                paper.key: paper
                for paper in Paper.objects.filter(key__in=keys).only(*DOCUMENT_FIELDS)
            }
            for key in keys:
                paper = papers.get(key)
                if paper is None or paper.hidden:
                    writer.delete(key)
                    stats.removed += 1
                else:
                    writer.upsert(paper.as_search_document())
                    stats.indexed += 1
            writer.commit()
            # Exactly the rows read: a row committed late with a lower id was not
            # seen (its change may not have been visible) and stays for next time.
            _delete_rows(row_id for row_id, _ in rows)
            stats.queue_rows += len(rows)
            stats.keys += len(keys)
            stats.batches += 1
    stats.seconds = time.monotonic() - started
    return stats


def rebuild(chunk_size: int = 2000, *, lock_wait: float | None = None) -> SyncStats:
    """Re-index every visible paper from scratch, then clear the queue rows seen at the start.

    Papers are streamed ``chunk_size`` rows at a time. The deletion of the old
    documents and every addition become visible in one commit (tantivy spills
    full segments to disk meanwhile, so memory stays bounded), so searchers keep
    the old index until the new one is complete. ``lock_wait`` as for ``sync``.

    Raises:
        backend.SearchIndexLocked: another sync or rebuild held the index for ``lock_wait``.
    """
    index: SearchIndex = get_index()
    started = time.monotonic()
    stats = SyncStats(rebuilt=True)
    last_id = IndexQueue.objects.aggregate(last=Max("id"))["last"]
    papers = Paper.objects.filter(hidden=False).only(*DOCUMENT_FIELDS).order_by()
    with index.writer(lock_wait) as writer:
        writer.delete_all()
        for paper in papers.iterator(chunk_size=chunk_size):
            writer.add(paper.as_search_document())
            stats.indexed += 1
        writer.commit()
    stats.batches = 1
    index.mark_rebuilt()
    if last_id is not None:
        stats.queue_rows, _ = IndexQueue.objects.filter(id__lte=last_id).delete()
    stats.keys = stats.indexed
    stats.seconds = time.monotonic() - started
    return stats


def sync_after_load(lock_wait: float = LOAD_LOCK_WAIT_SECONDS) -> tuple[bool, str]:
    """Bring the index up to date after a command loaded papers; say what happened.

    Two loads at once (two ``ingest`` runs, an ingest beside a harvest) both reach this
    step, and only one process can write the index: the other waits up to ``lock_wait``
    seconds for it. If it is still busy after that, nothing is lost: the changes stay in
    ``IndexQueue`` for the next ``papertrend index sync`` (or the next load's sync).

    Returns ``(True, "search index: synced: ...")``, or ``(False, message)`` naming the
    number of changes left queued and the command that applies them.
    """
    try:
        return True, f"search index: {sync(lock_wait=lock_wait)}"
    except SearchIndexLocked:
        pending = IndexQueue.objects.count()
        return False, (
            f"search index: not updated: another process (an ingest, a harvest or "
            f"`papertrend index sync/rebuild`) kept it busy for {lock_wait:g} s; the "
            f"{pending} queued changes stay queued for the next `papertrend index sync`"
        )


def _delete_rows(ids: Iterable[int]) -> None:
    pending = list(ids)
    for start in range(0, len(pending), _DELETE_CHUNK):
        IndexQueue.objects.filter(id__in=pending[start : start + _DELETE_CHUNK]).delete()
