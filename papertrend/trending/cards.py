"""Stars gained in a window, for the code line of cards on every list page.

The gain is the paper's ``TrendingScore.stars_gained`` for the window: the number
the trending score and its "why" line use (``trending.score``), summed over the
paper's visible repositories, so a card never disagrees with the ranking. The
trending page reads it from its own score rows (``trending.page.card_papers``);
/new, the daily feeds and search show the default window's, through a correlated
subquery on the page's query (:func:`annotate_gains`) or one query for a fetched
list (:func:`attach_gains`). Papers without a score row (not computed yet) get None.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Value

from papertrend.papers.models import Paper
from papertrend.trending.models import TrendingScore
from papertrend.trending.score import DAY, MONTH, WEEK

# As the window tabs name them ("Today", "This week", "This month").
GAIN_LABELS: dict[str, str] = {DAY: "today", WEEK: "this week", MONTH: "this month"}


def annotate_gains(papers: QuerySet[Paper], window: str) -> QuerySet[Paper]:
    """``papers`` with ``window_gain`` (int or None) and ``gain_label`` (e.g. "this week").

    Costs no extra query: one index seek on (paper, window) per row.
    """
    gained = TrendingScore.objects.filter(paper=OuterRef("pk"), window=window).values(
        "stars_gained"
    )[:1]
    return papers.annotate(
        window_gain=Subquery(gained, output_field=IntegerField()),
        gain_label=Value(GAIN_LABELS[window]),
    )


def attach_gains(papers: Sequence[Paper], window: str) -> None:
    """Set ``window_gain`` and ``gain_label`` on each paper of a fetched list (one query)."""
    if not papers:
        return
    gains = dict(
        TrendingScore.objects.filter(paper_id__in=[p.pk for p in papers], window=window)
        .order_by()
        .values_list("paper_id", "stars_gained")
    )
    for paper in papers:
        paper.window_gain = gains.get(paper.pk)  # type: ignore[attr-defined]
        paper.gain_label = GAIN_LABELS[window]  # type: ignore[attr-defined]
