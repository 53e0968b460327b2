"""The digest builder: for each due subscriber, pick the period's papers and write the outbox.

``build_due(now)`` finds active subscribers whose ``next_digest_at`` has come, and for
each writes one ``Digest`` row for (subscriber, period) with ranked items, or a
``skipped`` row when nothing is left to send, plus one ``SentPaper`` row per item,
in the same transaction. The unique constraints on (subscriber, period) and
(subscriber, paper) make a rerun, or two builders at once, harmless: the second
finds the row and only advances the schedule.

Candidates of a period (since, until] are:

* new papers: visible, and ``feed_day`` (as 00:00 UTC, when arXiv announces) in the
  period, or first seen by papertrend (``created_at``) in it when ``feed_day`` is
  recent (a late ingest still reaches readers; a backfill of old papers does not);
* trending papers: ``TrendingScore`` rows of the ``day`` window for daily digests and
  ``week`` for weekly ones, with points (stars or upvotes) in the window;

minus every paper the subscriber was already sent. ``rank`` orders them per the
subscription (query, authors, categories, papers like the upvoted ones, then top
trending), each with a one-line reason, at most ``MAX_ITEMS``.

Everything subscribers share (the period's papers, trending rows, one search per
distinct query, author names) is computed once per run in a :class:`Pool`.
"""

from __future__ import annotations

import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from django.db import IntegrityError, transaction
from django.db.models import Min, Q, QuerySet

from papertrend.accounts.models import Upvote
from papertrend.digests.models import Digest, SentPaper, Subscriber
from papertrend.digests.schedule import WEEKLY, next_due, period_key, period_length
from papertrend.papers.models import Paper
from papertrend.papers.records import ANNOUNCEMENT_WINDOW
from papertrend.papers.text import tex_to_text
from papertrend.search import backend
from papertrend.trending.models import TrendingScore
from papertrend.trending.score import reasons

MAX_ITEMS = 20
DEFAULT_TOP_TRENDING = 10  # a subscription that asks for nothing gets top trending
TRENDING_ROWS = 500  # per window; more than any subscriber can be sent
QUERY_HITS = 2000  # search hits per query; candidates outside them rank too low to send
SIMILAR_SOURCES = 5  # most recent upvotes used for "papers like the ones I upvoted"
SIMILAR_HITS = 200
# A paper first seen by papertrend counts as new if announced at most this long before.
LATE_FEED_DAYS = 7
# Catch-up bound: a subscriber not built for longer gets one digest of this span.
MAX_LOOKBACK = timedelta(days=15)
_SQL_CHUNK = 2000
PAPER_FIELDS = (
    "id",
    "key",
    "title",
    "authors",
    "categories",
    "feed_day",
    "published",
    "created_at",
)

Items = list[tuple[Paper, str]]


def fold_name(text: str) -> str:
    """TeX name to a comparable form: unicode, no accents, casefolded, single spaces."""
    plain = unicodedata.normalize("NFKD", tex_to_text(text))
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).casefold().split())


def window_of(subscriber: Subscriber) -> str:
    """The trending window a subscription uses: ``week`` for weekly, else ``day``."""
    return TrendingScore.WEEK if subscriber.frequency == WEEKLY else TrendingScore.DAY


def _is_new(paper: Paper, since: datetime, until: datetime) -> bool:
    if _listed_long_after_v1(paper):
        return False
    if paper.feed_day is not None:
        announced = datetime.combine(paper.feed_day, dtime.min, tzinfo=UTC)
        if since < announced <= until:
            return True
        if paper.feed_day < (until - timedelta(days=LATE_FEED_DAYS)).date():
            return False
    return since < paper.created_at <= until


def _listed_long_after_v1(paper: Paper) -> bool:
    """True for a paper listed later than any first announcement of its v1 can be.

    That is an old paper a reader submitted today (it joins that day's page, as
    community submissions do): it is not news, so it reaches digests only through
    trending. The bound is ``records.ANNOUNCEMENT_WINDOW`` after v1's submission.
    """
    if paper.feed_day is None or paper.published is None:
        return False
    return paper.feed_day > paper.published.date() + ANNOUNCEMENT_WINDOW


@dataclass
class Pool:
    """What every subscriber of one run shares; built by :meth:`load`.

    ``papers``: id -> Paper (the period's new papers and the trending ones);
    ``trending``: window -> [(paper id, reason)] best first; ``names``: folded author
    name (full name and keyname) -> paper ids; search results are cached per query.
    """

    papers: dict[int, Paper] = field(default_factory=dict)
    trending: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    names: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _by_key: dict[str, int] = field(default_factory=dict)
    _searches: dict[str, list[int]] = field(default_factory=dict)
    _new_order: list[int] = field(default_factory=list)
    # Subscribers due at the same time share their period: its candidates, computed once.
    _periods: dict[tuple[str, datetime, datetime], list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, start: datetime, end: datetime, papers: Iterable[Paper] | None = None) -> Pool:
        """The pool for periods inside (start, end]; ``papers`` replaces the new-paper query."""
        pool = cls()
        if papers is None:
            recent = (start - timedelta(days=LATE_FEED_DAYS)).date()
            papers = (
                Paper.objects.filter(hidden=False)
                .filter(
                    Q(feed_day__gte=start.date(), feed_day__lte=end.date())
                    | Q(created_at__gt=start, created_at__lte=end, feed_day__gte=recent)
                )
                .only(*PAPER_FIELDS)
                .order_by("-feed_day", "-id")
            )
        for paper in papers:
            pool._add(paper)
            pool._new_order.append(paper.id)
        pool.load_trending()
        return pool

    def load_trending(self) -> None:
        """Read the trending rows with points of both windows (``TRENDING_ROWS`` each)."""
        for window in (TrendingScore.DAY, TrendingScore.WEEK):
            rows = (
                TrendingScore.objects.filter(window=window, paper__hidden=False)
                .filter(Q(stars_gained__gt=0) | Q(upvotes__gt=0))
                .select_related("paper")
                .only(
                    "window",
                    "score",
                    "stars_gained",
                    "upvotes",
                    "age_hours",
                    "paper_id",
                    *[f"paper__{f}" for f in PAPER_FIELDS],
                )
                .order_by("-score", "-stars_gained", "-upvotes", "age_hours", "paper_id")
            )
            ranked = []
            for row in rows[:TRENDING_ROWS]:
                self._add(row.paper)
                ranked.append((row.paper_id, reasons(row)))
            self.trending[window] = ranked

    def _add(self, paper: Paper) -> None:
        if paper.id in self.papers:
            return
        self.papers[paper.id] = paper
        self._by_key[paper.key] = paper.id
        for author in paper.authors:
            keyname = fold_name(author.get("keyname", ""))
            full = fold_name(" ".join(author.get(p, "") for p in ("forenames", "keyname")))
            for name in {keyname, full} - {""}:
                self.names[name].add(paper.id)

    def candidate_ids(
        self, window: str, since: datetime, until: datetime, sent: set[int]
    ) -> list[int]:
        """Ids of the period's new papers, then the window's trending ones, minus ``sent``."""
        cache_key = (window, since, until)
        base = self._periods.get(cache_key)
        if base is None:
            ids = [i for i in self._new_order if _is_new(self.papers[i], since, until)]
            ids += [i for i, _ in self.trending.get(window, ())]
            base = self._periods[cache_key] = list(dict.fromkeys(ids))
        return [i for i in base if i not in sent] if sent else base

    def search(self, query: str, limit: int = QUERY_HITS) -> list[int]:
        """Pool paper ids matching ``query``, in BM25 order; [] when the index is unusable."""
        cache_key = f"{limit}\0{query}"
        if cache_key not in self._searches:
            try:
                hits, _ = backend.search(query, limit=limit)
            except backend.SearchIndexError:
                hits = []
            self._searches[cache_key] = [self._by_key[h.key] for h in hits if h.key in self._by_key]
        return self._searches[cache_key]


def _sent_ids(subscriber_ids: Sequence[int], paper_ids: Sequence[int]) -> dict[int, set[int]]:
    """subscriber id -> ids of ``paper_ids`` already sent to them (one query per chunk)."""
    sent: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(paper_ids), _SQL_CHUNK):
        rows = SentPaper.objects.filter(
            subscriber_id__in=subscriber_ids, paper_id__in=paper_ids[start : start + _SQL_CHUNK]
        ).values_list("subscriber_id", "paper_id")
        for subscriber_id, paper_id in rows:
            sent[subscriber_id].add(paper_id)
    return sent


def _upvoted(user_ids: Iterable[int | None]) -> dict[int, list[Paper]]:
    """user id -> their most recent upvoted papers (at most ``SIMILAR_SOURCES``)."""
    ids = {u for u in user_ids if u is not None}
    found: dict[int, list[Paper]] = defaultdict(list)
    if not ids:
        return found
    rows = (
        Upvote.objects.filter(user_id__in=ids, paper__hidden=False)
        .select_related("paper")
        .only("user_id", "paper__id", "paper__key", "paper__title")
        .order_by("user_id", "-created_at", "-id")
    )
    for upvote in rows:
        if len(found[upvote.user_id]) < SIMILAR_SOURCES:
            found[upvote.user_id].append(upvote.paper)
    return found


def _rank_ids(
    subscriber: Subscriber,
    candidate_ids: Sequence[int],
    pool: Pool,
    upvoted: Sequence[Paper] = (),
) -> list[tuple[int, str]]:
    allowed = set(candidate_ids)
    picked: dict[int, str] = {}

    def add(paper_id: int, reason: str) -> None:
        if paper_id in allowed and paper_id not in picked:
            picked[paper_id] = reason

    query = " ".join(subscriber.query.split())
    if query:
        for paper_id in pool.search(query):
            add(paper_id, f"matches '{query}'")
    for author in subscriber.authors:
        for paper_id in sorted(pool.names.get(fold_name(str(author)), ())):
            add(paper_id, f"by {tex_to_text(str(author))}")
    wanted = {str(c) for c in subscriber.categories}
    if wanted:
        for paper_id in candidate_ids:
            hit = next((c for c in pool.papers[paper_id].categories if c in wanted), None)
            if hit:
                add(paper_id, f"new in {hit}")
    if subscriber.similar_to_saved:
        saved = {p.id for p in upvoted}
        for source in upvoted:
            title = tex_to_text(source.title)
            for paper_id in pool.search(title, SIMILAR_HITS):
                if paper_id not in saved:
                    add(paper_id, f"like '{title}'")
    top = subscriber.top_trending
    asked = query or subscriber.authors or wanted or subscriber.similar_to_saved
    if not top and not asked:
        top = DEFAULT_TOP_TRENDING
    trending = [(i, r) for i, r in pool.trending.get(window_of(subscriber), ()) if i in allowed]
    for paper_id, reason in trending[:top]:
        add(paper_id, reason)
    # Where nothing at all gained stars or upvotes in the window (a new site, or
    # trending not computed), the top N are the period's newest papers instead.
    shortfall = top if not pool.trending.get(window_of(subscriber)) else 0
    if shortfall:
        newest = sorted(
            (i for i in candidate_ids if i not in picked),
            key=lambda i: (pool.papers[i].feed_day or date.min, i),
            reverse=True,
        )
        for paper_id in newest[:shortfall]:
            add(paper_id, "new this period")
    return list(picked.items())[:MAX_ITEMS]


def _period_bounds(subscriber: Subscriber, due: datetime) -> tuple[datetime, datetime]:
    since = subscriber.last_digest_at or due - period_length(subscriber)
    return max(since, due - MAX_LOOKBACK), due


def candidates(subscriber: Subscriber, since: datetime, until: datetime) -> list[Paper]:
    """The candidate papers of (since, until] for one subscriber: new, then trending.

    Visible papers only, none the subscriber was already sent (``SentPaper``).
    """
    pool = Pool.load(since, until)
    ids = pool.candidate_ids(window_of(subscriber), since, until, set())
    sent = _sent_ids([subscriber.pk], ids).get(subscriber.pk, set())
    return [pool.papers[i] for i in ids if i not in sent]


def rank(subscriber: Subscriber, candidates: Sequence[Paper]) -> Items:
    """``candidates`` ranked per the subscription: ``[(paper, one-line reason)]``.

    Order: the query's matches (BM25 order, "matches 'q'"), papers by the chosen
    authors ("by Name", case- and accent-insensitive), new papers in the chosen
    categories ("new in cs.LG"), papers like the account's upvoted ones ("like
    'Title'"), then the top ``top_trending`` trending papers (the trending reason).
    A paper appears once, with its first reason; at most ``MAX_ITEMS``.
    """
    pool = Pool()
    pool.load_trending()
    for paper in candidates:
        pool._add(paper)
    upvoted = _upvoted([subscriber.user_id]).get(subscriber.user_id or 0, [])
    ranked = _rank_ids(subscriber, [p.id for p in candidates], pool, upvoted)
    return [(pool.papers[i], reason) for i, reason in ranked]


def preview_items(subscriber: Subscriber, now: datetime) -> Items:
    """What the subscriber's next digest would hold if built now; writes nothing."""
    due = subscriber.next_digest_at or next_due(subscriber, subscriber.confirmed_at or now)
    since, _ = _period_bounds(subscriber, due)
    return rank(subscriber, candidates(subscriber, since, due))


@dataclass
class BuildStats:
    """What a ``build_due`` run did: digests pending/skipped, rows found already built."""

    subscribers: int = 0
    pending: int = 0
    skipped: int = 0
    existing: int = 0
    scheduled: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.subscribers} due: {self.pending} digests, {self.skipped} skipped (empty), "
            f"{self.existing} already built, {self.scheduled} scheduled, "
            f"{self.seconds:.1f} s"
        )


def active_subscribers() -> QuerySet[Subscriber]:
    """Confirmed subscribers that are neither unsubscribed nor disabled."""
    return Subscriber.objects.filter(
        confirmed_at__isnull=False, unsubscribed_at__isnull=True, disabled_at__isnull=True
    )


def _schedule_new(now: datetime, stats: BuildStats) -> None:
    """Give every active subscriber without ``next_digest_at`` their first due time."""
    fresh = list(active_subscribers().filter(next_digest_at__isnull=True))
    for subscriber in fresh:
        assert subscriber.confirmed_at is not None  # active_subscribers guarantees it
        subscriber.next_digest_at = next_due(subscriber, subscriber.confirmed_at)
    Subscriber.objects.bulk_update(fresh, ["next_digest_at"], batch_size=1000)
    stats.scheduled += len(fresh)


def build_due(now: datetime, batch: int = 1000) -> BuildStats:
    """Build the outbox rows of every subscriber due at ``now`` (aware).

    Per subscriber: one ``Digest`` (pending with items, or skipped when empty) and
    its ``SentPaper`` rows in one transaction per batch; then ``last_digest_at``
    = the due time and ``next_digest_at`` = the next due time after it (after
    ``now`` when the builder fell behind: missed periods fold into one digest).
    Safe to rerun and to run concurrently. Returns counts for the command's output.
    """
    started = time.monotonic()
    stats = BuildStats()
    _schedule_new(now, stats)
    due_qs = active_subscribers().filter(next_digest_at__lte=now)
    oldest = due_qs.aggregate(last=Min("last_digest_at"))["last"]
    start = now - MAX_LOOKBACK
    if oldest is not None and not due_qs.filter(last_digest_at__isnull=True).exists():
        start = max(start, oldest)
    pool = Pool.load(start, now)
    last_id = 0
    while True:
        subscribers = list(due_qs.filter(id__gt=last_id).order_by("id")[:batch])
        if not subscribers:
            break
        last_id = subscribers[-1].id
        _build_batch(subscribers, pool, now, stats)
    stats.seconds = time.monotonic() - started
    return stats


@dataclass
class _Planned:
    subscriber: Subscriber
    digest: Digest
    paper_ids: list[int]


def _plan(subscribers: list[Subscriber], pool: Pool) -> list[_Planned]:
    pool_ids = list(pool.papers)
    sent = _sent_ids([s.id for s in subscribers], pool_ids)
    upvoted = _upvoted(s.user_id for s in subscribers if s.similar_to_saved)
    planned = []
    for subscriber in subscribers:
        assert subscriber.next_digest_at is not None  # filtered on it
        due = subscriber.next_digest_at
        since, until = _period_bounds(subscriber, due)
        ids = pool.candidate_ids(window_of(subscriber), since, until, sent[subscriber.id])
        saved = upvoted.get(subscriber.user_id or 0, [])
        ranked = _rank_ids(subscriber, ids, pool, saved)
        digest = Digest(
            subscriber=subscriber,
            period=period_key(subscriber, due),
            due_at=due,
            status=Digest.PENDING if ranked else Digest.SKIPPED,
            items=[{"paper": i, "reason": r} for i, r in ranked],
        )
        planned.append(_Planned(subscriber, digest, [i for i, _ in ranked]))
    return planned


def _advance(subscribers: list[Subscriber], now: datetime) -> None:
    for subscriber in subscribers:
        due = subscriber.next_digest_at
        assert due is not None
        subscriber.last_digest_at = due
        subscriber.next_digest_at = next_due(subscriber, max(due, now))
    Subscriber.objects.bulk_update(subscribers, ["last_digest_at", "next_digest_at"])


def _build_batch(
    subscribers: list[Subscriber], pool: Pool, now: datetime, stats: BuildStats
) -> None:
    planned = _plan(subscribers, pool)
    stats.subscribers += len(planned)
    with transaction.atomic():
        existing = set(
            Digest.objects.filter(
                subscriber_id__in=[p.subscriber.id for p in planned],
                period__in={p.digest.period for p in planned},
            ).values_list("subscriber_id", "period")
        )
        fresh = [p for p in planned if (p.subscriber.id, p.digest.period) not in existing]
        stats.existing += len(planned) - len(fresh)
        try:
            with transaction.atomic():
                _write(fresh)
        except IntegrityError:
            # Another builder got there first (or a paper was sent meanwhile): one by one.
            for item in fresh:
                _write_one(item)
        for item in fresh:
            if item.digest.pk is None:
                stats.existing += 1
            elif item.digest.status == Digest.SKIPPED:
                stats.skipped += 1
            else:
                stats.pending += 1
        _advance(subscribers, now)


def _write(planned: list[_Planned]) -> None:
    """Insert digests and their SentPaper rows; raises IntegrityError on any conflict."""
    Digest.objects.bulk_create([p.digest for p in planned])
    SentPaper.objects.bulk_create(
        [
            SentPaper(subscriber=p.subscriber, paper_id=paper_id, digest=p.digest)
            for p in planned
            for paper_id in p.paper_ids
        ]
    )


def _write_one(item: _Planned) -> None:
    """One digest with ``get_or_create``; items already sent meanwhile are dropped."""
    item.digest.pk = None
    with transaction.atomic():
        digest, created = Digest.objects.get_or_create(
            subscriber=item.subscriber,
            period=item.digest.period,
            defaults={"due_at": item.digest.due_at, "status": Digest.SKIPPED, "items": []},
        )
        if not created:
            return
        sent = _sent_ids([item.subscriber.id], item.paper_ids).get(item.subscriber.id, set())
        items = [i for i in item.digest.items if i["paper"] not in sent]
        digest.items = items
        digest.status = Digest.PENDING if items else Digest.SKIPPED
        digest.save(update_fields=["items", "status"])
        rows = [
            SentPaper(subscriber=item.subscriber, paper_id=i["paper"], digest=digest) for i in items
        ]
        SentPaper.objects.bulk_create(rows)
        item.digest = digest
