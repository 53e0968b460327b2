"""Daily, weekly and monthly feeds: ``/papers/date/2025-03-14``, ``/papers/week/2025-W11``,
``/papers/month/2025-03`` (the URL shapes of Hugging Face Papers).

A feed lists the visible papers whose ``feed_day`` falls in the period, most
upvoted first, then newest (v1 date), then by id, paginated by ``?page=``.
Previous/next link to the adjacent period, whether or not it has papers (so the
links cost no query and a reader can walk day by day); there is no "next" into
the future.
"""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from papertrend.accounts.upvotes import AnyUser, annotate_upvotes
from papertrend.papers.models import Paper
from papertrend.papers.views import paginate, visible_papers
from papertrend.trending.periods import (
    Kind,
    Period,
    period_containing,
    period_or_404,
)

HEADINGS: dict[Kind, str] = {
    "date": "Daily papers",
    "week": "Weekly papers",
    "month": "Monthly papers",
}
_SHORTCUTS = frozenset({"today", "current"})


def feed_papers(period: Period, user: AnyUser | None) -> QuerySet[Paper]:
    """Visible papers with ``period.start <= feed_day < period.end``, in feed order.

    Each carries ``upvote_count`` and ``upvoted`` (see ``accounts.upvotes``).
    """
    papers = visible_papers().filter(feed_day__gte=period.start, feed_day__lt=period.end)
    return annotate_upvotes(papers, user).order_by(
        F("upvote_count").desc(), F("published").desc(nulls_last=True), F("id").asc()
    )


def feed_url(period: Period) -> str:
    """The feed page of ``period``."""
    return reverse(f"trending:{period.kind}", args=[period.slug])


@require_safe
def feed(request: HttpRequest, kind: Kind, value: str) -> HttpResponse:
    """One period's feed; ``value`` ``today``/``current`` redirects to the latest period.

    The latest period is the one holding today, or, when nothing is listed today
    (weekends, a site loaded from old files), the one holding the latest listed day.

    Raises:
        Http404: ``value`` is not a valid period of ``kind``, or the page is past the end.
    """
    today = timezone.localdate()
    if value in _SHORTCUTS:
        latest = (
            Paper.objects.filter(hidden=False, feed_day__lte=today)
            .order_by("-feed_day")
            .values_list("feed_day", flat=True)
            .first()
        )
        return redirect(feed_url(period_containing(kind, latest or today)))
    period = period_or_404(kind, value)
    page = paginate(request, feed_papers(period, request.user))
    previous, following = period.previous(), period.next()
    if following is not None and following.start > today:
        following = None
    return render(
        request,
        "trending/feed.html",
        {
            "heading": HEADINGS[kind],
            "period": period,
            "page": page,
            "papers": page.object_list,
            "previous_url": feed_url(previous) if previous else "",
            "previous_label": previous.slug if previous else "",
            "next_url": feed_url(following) if following else "",
            "next_label": following.slug if following else "",
            "nav": f"feed-{kind}",
        },
    )
