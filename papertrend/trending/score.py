"""The trending score: stars gained and upvotes in a window, decayed by the paper's age.

The formula, its constants and their sources are in docs/trending.md. In short, for a
window W (day = 24 h, week = 7 d, month = 30 d) ending at ``now``::

    stars_gained = sum over the paper's visible repositories of
                   (stars at the latest snapshot <= now)
                   - (stars at the earliest snapshot >= now - W), never below 0
    points       = stars_gained * STAR_WEIGHT + upvotes_in_W * UPVOTE_WEIGHT
    score        = points / (age_hours + 2) ** GRAVITY[W]

Only gains between two observations inside the window count, so missing snapshots can
under-count a gain but never inflate it. The pure functions come first (no database);
:func:`compute_scores` is the database pass behind ``papertrend trending compute``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
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
# Longer windows collect points over a longer time, so they decay more gently: a
# paper three weeks old can still lead the month if its repository keeps growing.
GRAVITY: dict[str, float] = {DAY: 1.8, WEEK: 1.5, MONTH: 1.2}
STAR_WEIGHT = 1.0
# An upvote is a deliberate vote about the paper by someone on this site; a star is
# one of many GitHub-wide, often about the tool rather than the paper. Five stars
# per upvote keeps a small community's votes visible next to popular repositories.
UPVOTE_WEIGHT = 5.0
AGE_OFFSET_HOURS = 2.0
WINDOW_LABELS: dict[str, str] = {DAY: "24 h", WEEK: "7 days", MONTH: "30 days"}

History = Sequence[tuple[datetime, int]]


# --- pure functions -------------------------------------------------------------


def gain_between(first_in_window: int | None, last_in_window: int | None) -> int:
    """Stars gained between two observations: ``last - first``, 0 when either is missing.

    ``first_in_window`` is the star count of the earliest snapshot at or after the
    window start, ``last_in_window`` that of the latest at or before its end (both
    None when the window holds no snapshot). A drop (unstars) counts as 0, not less.
    """
    if first_in_window is None or last_in_window is None:
        return 0
    return max(0, last_in_window - first_in_window)


def window_bounds(
    history: History, start: datetime, end: datetime
) -> tuple[int | None, int | None]:
    """(stars of the earliest snapshot in [start, end], stars of the latest one), or Nones.

    ``history`` is ``(observed_at, stars)`` pairs in any order, aware datetimes.
    """
    inside = sorted((at, stars) for at, stars in history if start <= at <= end)
    if not inside:
        return None, None
    return inside[0][1], inside[-1][1]


def stars_gained(history: History, start: datetime, end: datetime) -> int:
    """Stars one repository gained in ``[start, end]`` from its snapshots (>= 0).

    A repository first seen inside the window counts only what it gained after it
    was first seen; one with no snapshot in the window counts 0. Gaps before the
    window are not attributed to it: for a count that never decreases the result
    is at most the true gain.
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


def trending_score(window_points: float, age: float, window: str) -> float:
    """``points / (age + 2) ** GRAVITY[window]``; ``age`` in hours.

    Raises:
        KeyError: ``window`` is not day, week or month.
    """
    return window_points / (max(age, 0.0) + AGE_OFFSET_HOURS) ** GRAVITY[window]


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

    "Newest" uses the same appearance time as the age, so papers without a v1 date
    (seen only on a trending page) sort by their feed day. Papers with no points
    all score 0 and so come last, newest first.
    """
    return (-c.score, -c.stars_gained, -c.upvotes, c.age_hours, c.paper_id)


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Candidates in page order (see :func:`rank_key`)."""
    return sorted(candidates, key=rank_key)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def describe_age(hours: float) -> str:
    """ "new today" under 24 h, else "N days old", "N months old" or "N years old"."""
    if hours < 24:
        return "new today"
    days = int(hours // 24)
    if days < 60:
        return _count(days, "day", "days") + " old"
    if days < 730:
        return _count(days // 30, "month", "months") + " old"
    return _count(days // 365, "year", "years") + " old"


def describe(window: str, stars: int, upvotes: int, age: float) -> str:
    """The "why it is trending" line, e.g. "+312 stars in 24 h · 45 upvotes · 3 days old".

    Zero stars or zero upvotes are left out; the age is always there.
    """
    parts = []
    if stars > 0:
        parts.append(f"+{_count(stars, 'star', 'stars')} in {WINDOW_LABELS[window]}")
    if upvotes > 0:
        parts.append(_count(upvotes, "upvote", "upvotes"))
    parts.append(describe_age(age))
    return " · ".join(parts)


def reasons(score_row: TrendingScore) -> str:
    """:func:`describe` for a stored :class:`TrendingScore` row (no query)."""
    return describe(
        score_row.window, score_row.stars_gained, score_row.upvotes, score_row.age_hours
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


def _repository_bounds(now: datetime) -> dict[int, dict[str, tuple[int | None, int | None]]]:
    """Per visible repository and window: (first stars in window, last stars in window).

    One query: correlated subqueries that each seek the (repository, observed_at)
    index once per repository, so the cost grows with repositories, not snapshots.
    """

    def first_since(start: datetime) -> Subquery:
        rows = StarSnapshot.objects.filter(
            repository=OuterRef("pk"), observed_at__gte=start, observed_at__lte=now
        )
        return Subquery(rows.order_by("observed_at").values("stars")[:1])

    last = StarSnapshot.objects.filter(repository=OuterRef("pk"), observed_at__lte=now)
    linked = PaperRepository.objects.filter(repository=OuterRef("pk"), paper__hidden=False)
    annotations = {f"first_{w}": first_since(now - span) for w, span in WINDOWS.items()}
    rows = (
        Repository.objects.filter(hidden=False, missing=False)
        .filter(Exists(linked))
        .annotate(last=Subquery(last.order_by("-observed_at").values("stars")[:1]), **annotations)
        .values_list("pk", "last", *annotations)
    )
    bounds: dict[int, dict[str, tuple[int | None, int | None]]] = {}
    for pk, last_stars, *firsts in rows.iterator(chunk_size=5000):
        if last_stars is None:
            continue
        bounds[pk] = {w: (first, last_stars) for w, first in zip(WINDOWS, firsts, strict=True)}
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
    ranking or the new one. Papers without points get a row too (score 0), so the
    page lists every paper. Costs a fixed number of queries plus the inserts.
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
        stats.with_points[window] = sum(1 for r in rows if r.score > 0)
        with transaction.atomic():
            TrendingScore.objects.filter(window=window).delete()
            TrendingScore.objects.bulk_create(rows, batch_size=batch_size)
        lap(window)
    return stats


__all__ = [
    "DAY",
    "GRAVITY",
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
    "points",
    "rank",
    "rank_key",
    "reasons",
    "stars_gained",
    "trending_score",
    "window_bounds",
]
