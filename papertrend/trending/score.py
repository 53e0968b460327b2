"""The trending score: star velocity and upvotes in a window, plus a fading head start.

The formula, its constants and their sources are in docs/trending.md. In short, for a
window W (day = 24 h, week = 7 d, month = 30 d) ending at ``now``::

    gain(repo)   = max(0, max stars seen in [now - W, now]
                          - max(high-water mark before now - W, first stars seen in the window))
    stars_gained = sum of gain(repo) over the paper's visible repositories
    velocity     = (stars_gained * STAR_WEIGHT + upvotes_in_W * UPVOTE_WEIGHT) / days(W)
    head_start   = HEAD_START_PER_DAY * max(0, 1 - age_hours / HEAD_START_HOURS)
    score        = velocity + head_start

The paper's age never lowers a score: a 2022 paper whose code gains 5,000 stars this
week outranks yesterday's paper with 20 (Papers with Code ranked by "stars / hour";
Hugging Face's Trending Papers lists older papers too). Only a brand-new paper gets a
small bonus that fades to 0 after three days, so a paper announced today can appear
before its stars accumulate. A gain is the rise of the star count's high-water mark,
so a count that dips and recovers (a transferred repository, a transient 0 from the
API, an unstar wave) adds nothing. The pure functions come first (no database);
:func:`compute_scores` is the database pass behind ``papertrend trending compute``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from itertools import pairwise

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from papertrend.accounts.models import Upvote
from papertrend.coderepos.models import PaperRepository, Repository, StarSnapshot
from papertrend.papers.models import Paper
from papertrend.trending.models import TrendingScore

DAY, WEEK, MONTH = TrendingScore.DAY, TrendingScore.WEEK, TrendingScore.MONTH
WINDOWS: dict[str, timedelta] = {
    DAY: timedelta(hours=24),
    WEEK: timedelta(days=7),
    MONTH: timedelta(days=30),
}
STAR_WEIGHT = 1.0
# An upvote is a deliberate vote about the paper by someone on this site; a star is
# one of many GitHub-wide, often about the tool rather than the paper. Five stars
# per upvote keeps a small community's votes visible next to popular repositories.
UPVOTE_WEIGHT = 5.0
# The head start of a paper that has just appeared, in points per day (10 = ten stars
# or two upvotes a day): enough to put today's papers above papers whose code gains
# nothing, far below any real burst. It fades linearly to 0 over three days, so a
# Friday paper keeps it over arXiv's weekend gap and nothing older is affected.
HEAD_START_PER_DAY = 10.0
HEAD_START_HOURS = 72.0
# The reason line's window words, matching the page's tabs (Today, This week, ...).
WINDOW_LABELS: dict[str, str] = {DAY: "today", WEEK: "this week", MONTH: "this month"}

History = Sequence[tuple[datetime, int]]


# --- pure functions -------------------------------------------------------------


def window_days(window: str) -> float:
    """The window's length in days (1, 7 or 30).

    Raises:
        KeyError: ``window`` is not day, week or month.
    """
    return WINDOWS[window] / timedelta(days=1)


def gain_between(
    high_before: int | None, first_in_window: int | None, max_in_window: int | None
) -> int:
    """Stars gained in a window: the rise of the high-water mark, never below 0.

    ``high_before`` is the highest count seen before the window (None: never seen
    before it), ``first_in_window`` the count of the window's first snapshot and
    ``max_in_window`` its highest (both None when the window holds no snapshot). The
    baseline is the higher of ``high_before`` and ``first_in_window``: a dip below an
    earlier record (transient 0, transfer, unstar wave) is never a gain when the count
    recovers, and a gap before the window is never attributed to it.
    """
    if first_in_window is None or max_in_window is None:
        return 0
    baseline = first_in_window if high_before is None else max(high_before, first_in_window)
    return max(0, max_in_window - baseline)


def window_bounds(
    history: History, start: datetime, end: datetime
) -> tuple[int | None, int | None, int | None]:
    """(highest count before ``start``, first count in [start, end], highest in it).

    ``history`` is ``(observed_at, stars)`` pairs in any order, aware datetimes;
    snapshots after ``end`` are ignored. Missing parts are None.
    """
    before = [stars for at, stars in history if at < start]
    inside = sorted((at, stars) for at, stars in history if start <= at <= end)
    if not inside:
        return (max(before) if before else None), None, None
    return (max(before) if before else None), inside[0][1], max(s for _, s in inside)


def stars_gained(history: History, start: datetime, end: datetime) -> int:
    """Stars one repository gained in ``[start, end]`` from its snapshots (>= 0).

    See :func:`gain_between`. For a full history this is exactly how far the
    window raised the record count since the window's first snapshot; missing
    snapshots can only under-count a count that never decreases.
    """
    return gain_between(*window_bounds(history, start, end))


def points(stars: int, upvotes: int) -> float:
    """The window's points: ``stars * STAR_WEIGHT + upvotes * UPVOTE_WEIGHT``."""
    return stars * STAR_WEIGHT + upvotes * UPVOTE_WEIGHT


def appeared_at(
    feed_day: date | None, published: datetime | None, created_at: datetime
) -> datetime:
    """When a paper appeared: 00:00 UTC of ``feed_day``, else ``published``, else ``created_at``.

    arXiv's daily announcement goes out at 20:00 US Eastern, i.e. about 00:00 UTC of
    the feed day, which is when readers first see the paper.
    """
    if feed_day is not None:
        return datetime.combine(feed_day, dtime.min, tzinfo=UTC)
    return published if published is not None else created_at


def age_hours(appeared: datetime, now: datetime) -> float:
    """Hours from ``appeared`` to ``now``; 0 for a paper dated in the future."""
    return max(0.0, (now - appeared).total_seconds() / 3600.0)


def head_start(age: float) -> float:
    """Bonus points per day for a new paper: ``HEAD_START_PER_DAY`` at age 0, 0 from 72 h.

    Never negative and never growing with age, so age can only help, and only briefly.
    """
    return HEAD_START_PER_DAY * max(0.0, 1.0 - max(age, 0.0) / HEAD_START_HOURS)


def velocity(window_points: float, window: str) -> float:
    """Points per day in the window: ``window_points / days(window)``.

    Raises:
        KeyError: ``window`` is not day, week or month.
    """
    return window_points / window_days(window)


def trending_score(window_points: float, age: float, window: str) -> float:
    """``velocity(points, window) + head_start(age)``; ``age`` in hours.

    Raises:
        KeyError: ``window`` is not day, week or month.
    """
    return velocity(window_points, window) + head_start(age)


@dataclass(frozen=True)
class Candidate:
    """One paper's facts in one window, and its score."""

    paper_id: int
    stars_gained: int
    upvotes: int
    age_hours: float
    score: float


def candidate(paper_id: int, window: str, stars: int, upvotes: int, age: float) -> Candidate:
    """A :class:`Candidate` with its score computed from the facts."""
    score = trending_score(points(stars, upvotes), age, window)
    return Candidate(paper_id, stars, upvotes, age, score)


def rank_key(c: Candidate) -> tuple[float, int, int, float, int]:
    """Sort key: score desc, stars desc, upvotes desc, newest (age asc), paper id asc.

    Age only breaks ties here (equal scores), it never lowers a score. "Newest" uses
    the same appearance time as the age, so papers without a v1 date (seen only on a
    trending page) sort by their feed day. Papers without points past their head
    start all score 0 and so come last, newest first.
    """
    return (-c.score, -c.stars_gained, -c.upvotes, c.age_hours, c.paper_id)


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Candidates in page order (see :func:`rank_key`)."""
    return sorted(candidates, key=rank_key)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def describe_rate(per_day: float) -> str:
    """Stars per day for the reason line: "2.1 k/day", "716/day", "2.9/day".

    One decimal under 10 and in thousands, whole numbers between (rounded half even).
    """
    if per_day >= 999.95:
        return f"{per_day / 1000:.1f} k/day"
    if per_day >= 9.95:
        return f"{round(per_day):,}/day"
    return f"{per_day:.1f}/day"


def describe_age(hours: float, now: datetime) -> str:
    """ "new today" under 24 h, "N days old" under 60 days, else "paper from YYYY".

    The year is that of the appearance time, ``now - hours`` (UTC).
    """
    if hours < 24:
        return "new today"
    days = int(hours // 24)
    if days < 60:
        return _count(days, "day", "days") + " old"
    return f"paper from {(now - timedelta(hours=hours)).astimezone(UTC).year}"


def describe(window: str, stars: int, upvotes: int, age: float, now: datetime) -> str:
    """The "why it is trending" line, e.g. "+5,012 stars this week · 716/day · paper from 2022".

    Parts: the window's star gain, its rate per day (not for the day window, where
    it equals the gain), the window's upvotes, the paper's age at ``now``. Zero
    stars or upvotes are left out; the age is always there.
    """
    parts = []
    if stars > 0:
        parts.append(f"+{_count(stars, 'star', 'stars')} {WINDOW_LABELS[window]}")
        if window != DAY:
            parts.append(describe_rate(stars / window_days(window)))
    if upvotes > 0:
        parts.append(_count(upvotes, "upvote", "upvotes"))
    parts.append(describe_age(age, now))
    return " · ".join(parts)


def reasons(score_row: TrendingScore) -> str:
    """:func:`describe` for a stored :class:`TrendingScore` row (no query)."""
    return describe(
        score_row.window,
        score_row.stars_gained,
        score_row.upvotes,
        score_row.age_hours,
        score_row.computed_at,
    )


# --- the database pass ----------------------------------------------------------


@dataclass
class ComputeStats:
    """What :func:`compute_scores` did: counts per window and seconds per phase."""

    now: datetime
    papers: int = 0
    repositories: int = 0
    links: int = 0
    with_points: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def render(self) -> str:
        """One line per fact, for the command's output."""
        lines = [
            f"computed at {self.now.isoformat()}",
            f"papers: {self.papers}, code links: {self.links}, "
            f"repositories with star snapshots: {self.repositories}",
        ]
        for window in WINDOWS:
            lines.append(f"{window}: {self.with_points.get(window, 0)} papers with points")
        lines.append("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in self.seconds.items()))
        return "\n".join(lines)


Bounds = tuple[int | None, int | None, int | None]


def _segment_max(lo: datetime | None, hi: datetime | None) -> Max:
    """``MAX(stars)`` over the snapshots with ``lo <= observed_at < hi`` (None: unbounded)."""
    where = Q()
    if lo is not None:
        where &= Q(observed_at__gte=lo)
    if hi is not None:
        where &= Q(observed_at__lt=hi)
    return Max("stars", filter=where)


def _max(values: Sequence[int | None]) -> int | None:
    """The largest of the values that are not None; None when all are."""
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _repository_bounds(now: datetime) -> dict[int, dict[str, Bounds]]:
    """Per visible linked repository and window: :func:`window_bounds` from the database.

    Two queries whatever the number of snapshots. The first window snapshot comes
    from correlated subqueries that each seek the (repository, observed_at) index
    once per repository; the maxima before and inside each window from one grouped
    pass over the snapshots up to ``now`` (four conditional ``MAX``, no sort).
    Repositories without any snapshot up to ``now`` are left out.
    """

    def first_since(start: datetime) -> Subquery:
        rows = StarSnapshot.objects.filter(
            repository=OuterRef("pk"), observed_at__gte=start, observed_at__lte=now
        )
        return Subquery(rows.order_by("observed_at").values("stars")[:1])

    linked = PaperRepository.objects.filter(repository=OuterRef("pk"), paper__hidden=False)
    annotations = {f"first_{w}": first_since(now - span) for w, span in WINDOWS.items()}
    firsts = (
        Repository.objects.filter(hidden=False, missing=False)
        .filter(Exists(linked))
        .annotate(**annotations)
        .values_list("pk", *annotations)
    )
    first_by_repo = {pk: dict(zip(WINDOWS, rest, strict=True)) for pk, *rest in firsts}
    # The windows are nested (day in week in month), so four maxima over the segments
    # between their starts give all six: before the month, month-to-week, week-to-day,
    # and the day. Each snapshot row is read once, by the grouped scan.
    starts = sorted(now - span for span in WINDOWS.values())  # month, week, day starts
    edges = [None, *starts, None]
    segments = {f"seg{i}": _segment_max(lo, hi) for i, (lo, hi) in enumerate(pairwise(edges))}
    rows = (
        StarSnapshot.objects.filter(observed_at__lte=now)
        .order_by()
        .values("repository_id")
        .annotate(**segments)
        .values_list("repository_id", *segments)
    )
    # Window w starts at starts[k]: segments 0..k lie before it, the rest inside.
    split = {w: starts.index(now - span) + 1 for w, span in WINDOWS.items()}
    bounds: dict[int, dict[str, Bounds]] = {}
    for pk, *maxima in rows.iterator(chunk_size=5000):
        first = first_by_repo.get(pk)
        if first is None:  # hidden, gone, or linked to no visible paper
            continue
        bounds[pk] = {w: (_max(maxima[:k]), first[w], _max(maxima[k:])) for w, k in split.items()}
    return bounds


def _paper_repositories() -> dict[int, list[int]]:
    links = PaperRepository.objects.filter(
        paper__hidden=False, repository__hidden=False, repository__missing=False
    ).values_list("paper_id", "repository_id")
    by_paper: dict[int, list[int]] = defaultdict(list)
    for paper_id, repository_id in links.iterator(chunk_size=5000):
        by_paper[paper_id].append(repository_id)
    return by_paper


def _upvotes(start: datetime, now: datetime) -> dict[int, int]:
    rows = (
        Upvote.objects.filter(created_at__gt=start, created_at__lte=now, paper__hidden=False)
        .values("paper")
        .annotate(n=Count("id"))
        .values_list("paper", "n")
    )
    return dict(rows)


def compute_scores(now: datetime | None = None, batch_size: int = 2000) -> ComputeStats:
    """Recompute every visible paper's :class:`TrendingScore` for the three windows.

    ``now`` (aware, default the current time) is the end of every window. Each
    window's rows are replaced in one transaction, so the page reads either the old
    ranking or the new one. Papers without points get a row too (score 0, or their
    head start), so the page lists every paper. Costs a fixed number of queries plus
    the inserts.
    """
    now = now or timezone.now()
    stats = ComputeStats(now=now)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        stats.seconds[name] = time.perf_counter() - clock
        clock = time.perf_counter()

    papers = [
        (pk, age_hours(appeared_at(feed_day, published, created), now))
        for pk, feed_day, published, created in Paper.objects.filter(hidden=False)
        .values_list("pk", "feed_day", "published", "created_at")
        .iterator(chunk_size=5000)
    ]
    stats.papers = len(papers)
    lap("papers")
    repos = _paper_repositories()
    stats.links = sum(len(v) for v in repos.values())
    bounds = _repository_bounds(now)
    stats.repositories = len(bounds)
    lap("snapshots")
    for window, span in WINDOWS.items():
        upvotes = _upvotes(now - span, now)
        rows = []
        for pk, age in papers:
            gained = sum(gain_between(*bounds[r][window]) for r in repos.get(pk, ()) if r in bounds)
            c = candidate(pk, window, gained, upvotes.get(pk, 0), age)
            rows.append(
                TrendingScore(
                    paper_id=pk,
                    window=window,
                    score=c.score,
                    stars_gained=c.stars_gained,
                    upvotes=c.upvotes,
                    age_hours=c.age_hours,
                    computed_at=now,
                )
            )
        stats.with_points[window] = sum(1 for r in rows if r.stars_gained or r.upvotes)
        with transaction.atomic():
            TrendingScore.objects.filter(window=window).delete()
            TrendingScore.objects.bulk_create(rows, batch_size=batch_size)
        lap(window)
    return stats


__all__ = [
    "DAY",
    "HEAD_START_HOURS",
    "HEAD_START_PER_DAY",
    "MONTH",
    "STAR_WEIGHT",
    "UPVOTE_WEIGHT",
    "WEEK",
    "WINDOWS",
    "Candidate",
    "ComputeStats",
    "age_hours",
    "appeared_at",
    "candidate",
    "compute_scores",
    "describe",
    "gain_between",
    "head_start",
    "points",
    "rank",
    "rank_key",
    "reasons",
    "stars_gained",
    "trending_score",
    "velocity",
    "window_bounds",
    "window_days",
]
