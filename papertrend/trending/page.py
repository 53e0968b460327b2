"""What the pages need from trending: the ranked rows, card sparklines and star charts.

Each function costs a fixed number of queries whatever the number of papers or
snapshots it covers, so a page of cards stays a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Prefetch, QuerySet

from papertrend.coderepos import codeinfo
from papertrend.coderepos.models import Repository, StarSnapshot
from papertrend.papers.models import Paper
from papertrend.trending.cards import GAIN_LABELS
from papertrend.trending.models import TrendingScore
from papertrend.trending.score import DAY, MONTH, WEEK, reasons

WINDOW_CHOICES: list[tuple[str, str]] = [(DAY, "Today"), (WEEK, "This week"), (MONTH, "This month")]
# A week covers arXiv's weekly rhythm (no announcements at weekends) and gives a
# small site's upvotes time to add up; "day" is one click away.
DEFAULT_WINDOW = WEEK
SPARKLINE_DAYS = 30


def parse_window(raw: str | None) -> str:
    """``?window=`` value: day, week or month; anything else means :data:`DEFAULT_WINDOW`."""
    return raw if raw in {DAY, WEEK, MONTH} else DEFAULT_WINDOW


def ranked_scores(window: str) -> QuerySet[TrendingScore]:
    """Visible papers' rows for ``window`` in page order, paper and repositories prefetched.

    The order is the one ``score.rank_key`` defines: score desc, stars gained desc,
    upvotes desc, newest (age asc), paper id asc.
    """
    return (
        TrendingScore.objects.filter(window=window, paper__hidden=False)
        .select_related("paper")
        .prefetch_related(Prefetch("paper__repositories", queryset=codeinfo.card_repositories()))
        .order_by("-score", "-stars_gained", "-upvotes", "age_hours", "paper_id")
    )


def visible(repositories: Iterable[Repository]) -> list[Repository]:
    """The repositories whose stars count: not hidden by a moderator, not gone (404)."""
    return [r for r in repositories if not r.hidden and not r.missing]


def _daily_last(rows: Iterable[tuple[int, datetime, int]]) -> dict[int, dict[date, int]]:
    """Per repository, the last star count seen on each UTC day."""
    by_repo: dict[int, dict[date, int]] = defaultdict(dict)
    for repository_id, observed_at, stars in rows:
        by_repo[repository_id][observed_at.date()] = stars  # rows come oldest first
    return by_repo


def daily_new_stars(
    repository_ids: Sequence[int], now: datetime, days: int = SPARKLINE_DAYS
) -> dict[int, list[int]]:
    """New stars per UTC day for each repository, the ``days`` days ending with ``now``'s day.

    One query over the snapshots since the day before the first day. A day's gain
    is the change of the end-of-day count from the day before (carried over days
    without snapshots); days before a repository's first snapshot in that range,
    and drops, count 0, so a repository first seen recently does not show its whole
    count as one day's gain. Repositories without snapshots get ``days`` zeros.
    """
    today = now.date()
    first = today - timedelta(days=days)  # the baseline day, before the first shown
    rows = (
        StarSnapshot.objects.filter(
            repository_id__in=list(repository_ids),
            observed_at__gte=datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo),
            observed_at__lte=now,
        )
        .order_by("repository_id", "observed_at")
        .values_list("repository_id", "observed_at", "stars")
    )
    by_repo = _daily_last(rows)
    result: dict[int, list[int]] = {}
    for repository_id in repository_ids:
        per_day = by_repo.get(repository_id, {})
        previous = per_day.get(first)
        gains = []
        for offset in range(1, days + 1):
            current = per_day.get(first + timedelta(days=offset), previous)
            has_both = previous is not None and current is not None
            gains.append(max(0, current - previous) if has_both else 0)  # type: ignore[operator]
            previous = current
        result[repository_id] = gains
    return result


def card_papers(rows: Iterable[TrendingScore], now: datetime) -> list[Paper]:
    """The papers of a page of score rows, each given ``trending_reason``, ``star_points``,
    and ``window_gain``/``gain_label`` (see ``trending.cards``).

    ``star_points`` sums :func:`daily_new_stars` over the paper's visible
    repositories ([] without any); it costs one query for the whole page. The chart
    ends when the scores were computed (``computed_at``, else ``now``), so it shows
    the same days the reason line counts, also for a ranking computed ``--now`` earlier.
    """
    rows = list(rows)
    as_of = min(now, max(row.computed_at for row in rows)) if rows else now
    repository_ids = sorted({r.pk for row in rows for r in visible(row.paper.repositories.all())})
    per_repo = daily_new_stars(repository_ids, as_of) if repository_ids else {}
    papers = []
    for row in rows:
        paper = row.paper
        series = [per_repo[r.pk] for r in visible(paper.repositories.all())]
        paper.trending_reason = reasons(row)  # type: ignore[attr-defined]
        # The card's code line: this window's gain, the number the ranking used.
        paper.window_gain = row.stars_gained  # type: ignore[attr-defined]
        paper.gain_label = GAIN_LABELS[row.window]  # type: ignore[attr-defined]
        paper.star_points = [sum(day) for day in zip(*series, strict=True)]  # type: ignore[attr-defined]
        papers.append(paper)
    return papers


@dataclass(frozen=True)
class StarChart:
    """A repository on a paper page, its current stars, and its daily cumulative series."""

    repository: Repository
    stars: int | None
    series: list[tuple[date, int]]


def star_charts(repositories: Sequence[Repository]) -> list[StarChart]:
    """One :class:`StarChart` per visible repository, in the given order; one query.

    ``stars`` is the repository's last fetched count, else its last snapshot's.
    """
    shown = visible(repositories)
    if not shown:
        return []
    rows = (
        StarSnapshot.objects.filter(repository_id__in=[r.pk for r in shown])
        .order_by("repository_id", "observed_at")
        .values_list("repository_id", "observed_at", "stars")
    )
    by_repo = _daily_last(rows)
    charts = []
    for repository in shown:
        series = sorted(by_repo.get(repository.pk, {}).items())
        stars = repository.stars if repository.stars is not None else None
        if stars is None and series:
            stars = series[-1][1]
        charts.append(StarChart(repository, stars, series))
    return charts
