"""Daily, weekly and monthly feeds: ``/papers/date/2025-03-14``, ``/papers/week/2025-W11``,
``/papers/month/2025-03`` (the URL shapes of Hugging Face Papers).

A feed lists the visible papers whose ``feed_day`` falls in the period, most
upvoted first, then newest (v1 date), then by id, paginated by ``?page=``.
Previous/next link to the nearest earlier/later period that has papers (arXiv
announces nothing at weekends and on holidays, and a walk through a site loaded
from old files would otherwise meet page after empty page); there is no "next"
into the future. Each costs one query on the (feed_day, id) index.

``today``/``current`` redirect to the period holding today, or, when nothing is
listed today, to the latest period with papers; the page then says which day is
shown and why (``?requested=today``).
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from papertrend.accounts.upvotes import AnyUser, annotate_upvotes
from papertrend.coderepos.codeinfo import code_flags, code_query, filter_code
from papertrend.papers.models import Paper
from papertrend.papers.views import paginate, visible_papers
from papertrend.trending.cards import annotate_gains
from papertrend.trending.page import DEFAULT_WINDOW
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

    Each carries ``upvote_count`` and ``upvoted`` (see ``accounts.upvotes``), and its
    stars gained in the default trending window (``trending.cards``).
    """
    papers = visible_papers().filter(feed_day__gte=period.start, feed_day__lt=period.end)
    papers = annotate_gains(papers, DEFAULT_WINDOW)
    return annotate_upvotes(papers, user).order_by(
        F("upvote_count").desc(), F("published").desc(nulls_last=True), F("id").asc()
    )


def feed_url(period: Period) -> str:
    """The feed page of ``period``."""
    return reverse(f"trending:{period.kind}", args=[period.slug])


def listed_day_before(day: date) -> date | None:
    """The latest ``feed_day`` of a visible paper before ``day``, or None."""
    return (
        Paper.objects.filter(hidden=False, feed_day__lt=day)
        .order_by("-feed_day")
        .values_list("feed_day", flat=True)
        .first()
    )


def listed_day_from(day: date, until: date) -> date | None:
    """The earliest ``feed_day`` of a visible paper in ``day`` to ``until`` inclusive, or None."""
    return (
        Paper.objects.filter(hidden=False, feed_day__gte=day, feed_day__lte=until)
        .order_by("feed_day")
        .values_list("feed_day", flat=True)
        .first()
    )


def neighbours(period: Period, today: date) -> tuple[Period | None, Period | None]:
    """The nearest periods before and after ``period`` that list papers.

    "After" stops at ``today``: no link leads into the future. Both are None on a
    site without papers on that side.
    """
    before = listed_day_before(period.start)
    after = listed_day_from(period.end, today) if period.end <= today else None
    return (
        period_containing(period.kind, before) if before else None,
        period_containing(period.kind, after) if after else None,
    )


def shown_instead(period: Period, today: date) -> str:
    """Why ``period``, reached from ``today``/``current``, is not the one holding today.

    "" when it holds today (or is later). Otherwise a sentence naming today and the
    period shown.
    """
    if period.end > today:
        return ""
    what = {"date": "today", "week": "this week", "month": "this month"}[period.kind]
    unit = "day" if period.kind == "date" else period.kind
    why = (
        f"No papers are listed for {what} ({period_containing(period.kind, today).label}), "
        f"so this page shows the latest {unit} with papers: {period.label}."
    )
    # Only a reason that holds: the day shown may itself be a weekend (a site loaded
    # from a file without years), and a weekday gap may be a holiday or an old load.
    if period.kind == "date" and today.weekday() >= 5:
        why += " arXiv announces no papers at weekends."
    return why


@require_safe
def feed(request: HttpRequest, kind: Kind, value: str) -> HttpResponse:
    """One period's feed; ``value`` ``today``/``current`` redirects to the latest period.

    The latest period is the one holding today, or, when nothing is listed today
    (weekends, a site loaded from old files), the one holding the latest listed day.
    The redirect carries ``?requested=today`` so the page can say which day it shows
    and why (a notice, only when it is not today's).

    Raises:
        Http404: ``value`` is not a valid period of ``kind``, or the page is past the end.
    """
    today = timezone.localdate()
    if value in _SHORTCUTS:
        latest = listed_day_before(today + timedelta(days=1))
        period = period_containing(kind, latest or today)
        return redirect(f"{feed_url(period)}?{urlencode({'requested': value})}")
    period = period_or_404(kind, value)
    flags = code_flags(request.GET)  # ?has_code=1, ?official_code=1
    page = paginate(request, filter_code(feed_papers(period, request.user), **flags))
    previous, following = neighbours(period, today)
    requested = request.GET.get("requested", "")
    return render(
        request,
        "trending/feed.html",
        {
            "heading": HEADINGS[kind],
            "period": period,
            "page": page,
            "papers": page.object_list,
            "shown_instead": shown_instead(period, today) if requested in _SHORTCUTS else "",
            "previous_url": feed_url(previous) if previous else "",
            "previous_label": previous.slug if previous else "",
            "next_url": feed_url(following) if following else "",
            "next_label": following.slug if following else "",
            "nav": f"feed-{kind}",
            "page_query": code_query(flags),
            "code_flags": flags,
        },
    )
