"""Server-rendered pages: the trending and new lists, a paper's page, and a health check.

Lists never show hidden papers and prefetch ``repositories`` so a page of cards
costs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import DatabaseError, connection
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from papertrend.accounts.upvotes import annotate_upvotes, attach_upvotes
from papertrend.coderepos.codeinfo import (
    card_repositories,
    code_flags,
    code_query,
    filter_code,
    linked_repositories,
    visible_links,
)
from papertrend.coderepos.models import PaperRepository, StarSnapshot
from papertrend.papers import identifiers
from papertrend.papers.models import Paper
from papertrend.papers.services import find_paper
from papertrend.papers.text import tex_to_text
from papertrend.search.related import related_papers
from papertrend.trending.cards import annotate_gains
from papertrend.trending.models import TrendingScore
from papertrend.trending.page import (
    DEFAULT_WINDOW,
    WINDOW_CHOICES,
    card_papers,
    parse_window,
    ranked_scores,
    star_charts,
)

# Older than this, the trending page says when its ranking was computed.
STALE_RANKING = timedelta(days=1)


def visible_repositories() -> Prefetch:
    """Prefetch a paper's ``repositories`` without those a moderator hid, with their
    link's official flag and framework (``codeinfo.card_repositories``)."""
    return Prefetch("repositories", queryset=card_repositories())


def visible_papers() -> QuerySet[Paper]:
    """Papers a visitor may see (not hidden by a moderator), with repositories prefetched."""
    return Paper.objects.filter(hidden=False).prefetch_related(visible_repositories())


def trending_papers() -> QuerySet[Paper]:
    """Fallback ranking while no trending scores exist: papers with code first, then newest.

    ``/`` ranks by ``TrendingScore`` (see :func:`trending`); this order is used only
    when ``papertrend trending compute`` has not run yet for the chosen window.

    "Newest" is by v1 submission date, then by when papertrend first saw the paper
    (papers without a known date sort after dated ones within each group). Papers
    loaded together keep their load order, so a trending page keeps its ranking.
    """
    has_code = Exists(PaperRepository.objects.filter(paper=OuterRef("pk")))
    return (
        visible_papers()
        .annotate(has_code=has_code)
        .order_by(
            F("has_code").desc(),
            F("published").desc(nulls_last=True),
            F("created_at").desc(),
            F("id").asc(),
        )
    )


def new_papers() -> QuerySet[Paper]:
    """Newest first by feed day (announced, else v1, else first seen), then last loaded.

    Both columns are in one index, so a page costs no sort at any size. Each paper
    carries its stars gained in the default trending window (``trending.cards``).
    """
    return annotate_gains(visible_papers(), DEFAULT_WINDOW).order_by("-feed_day", "-id")


def paginate(request: HttpRequest, papers: QuerySet[Any], count: int | None = None) -> Page:
    """The page named by ``?page=`` (``PAPERS_PER_PAGE`` papers each).

    A missing or non-numeric page number means page 1. ``count``, when the caller
    knows it more cheaply than ``papers.count()``, saves that query. Pages reach the
    first ``LISTING_MAX_ROWS`` papers only: past them an OFFSET scan costs seconds at
    arXiv scale, and a reader finds older papers by day, week, month or search. The
    page's ``total`` is the real count, so a template can say the listing goes on.

    Raises:
        Http404: the page number is past the last page (or below 1), or its rows lie
            past ``LISTING_MAX_ROWS``.
    """
    total = papers.count() if count is None else count
    paginator = Paginator(papers, settings.PAPERS_PER_PAGE)
    paginator.count = min(total, settings.LISTING_MAX_ROWS)  # type: ignore[misc]  # cached_property
    raw = request.GET.get("page", "1")
    try:
        number = int(raw) if len(raw) <= 9 else -1
    except ValueError:
        number = 1
    try:
        page = paginator.page(number)
    except EmptyPage as exc:
        raise Http404("no such page") from exc
    page.total = total  # type: ignore[attr-defined]
    return page


def _list_page(
    request: HttpRequest, papers: QuerySet[Paper], context: dict[str, Any]
) -> HttpResponse:
    page = paginate(request, annotate_upvotes(papers, request.user))
    # An empty first page may mean an empty site: say how to load papers.
    site_is_empty = page.number == 1 and not page.object_list and not Paper.objects.exists()
    return render(
        request,
        "papers/list.html",
        {**context, "page": page, "papers": page.object_list, "site_is_empty": site_is_empty},
    )


def has_star_data() -> bool:
    """True when a visible repository linked to a visible paper has a star snapshot.

    Without one, no paper can trend by stars and the trending page says so (one
    ``EXISTS`` query, which stops at the first such snapshot).
    """
    return StarSnapshot.objects.filter(
        repository__hidden=False,
        repository__missing=False,
        repository__paper_links__paper__hidden=False,
    ).exists()


@require_safe
def trending(request: HttpRequest) -> HttpResponse:
    """``/``: papers by trending score for ``?window=day|week|month``, paginated by ``?page=``.

    The window defaults to ``trending.page.DEFAULT_WINDOW``; an unknown value means
    the default. Each card gets its "why it is trending" line and a sparkline of
    new stars per day. Until scores exist for the window the page falls back to
    :func:`trending_papers` and says so. See docs/trending.md.
    """
    window = parse_window(request.GET.get("window"))
    flags = code_flags(request.GET)  # ?has_code=1, ?official_code=1
    context: dict[str, Any] = {
        "heading": "Trending papers",
        "nav": "trending",
        "window": window,
        "windows": WINDOW_CHOICES,
        "page_query": f"window={window}&{code_query(flags)}",
        "code_flags": flags,
        # Without star data nothing trends by stars: the page says so (and staff, what to run).
        "no_star_data": not has_star_data(),
    }
    # Counting rows of the window alone uses its index; the join with papers to drop
    # ones hidden since the last compute would scan them all (76 ms at 100k papers).
    # Hiding deletes a paper's scores, so the two counts agree.
    count = TrendingScore.objects.filter(window=window).count()
    if not count:
        fallback = filter_code(trending_papers(), **flags)
        return _list_page(request, fallback, {**context, "trending_fallback": True})
    scores = ranked_scores(window)
    if any(flags.values()):
        scores = filter_code(scores, via="paper_id", **flags)
        count = scores.count()
    page = paginate(request, scores, count=count)
    now = timezone.now()
    papers = card_papers(page.object_list, now)
    attach_upvotes(papers, request.user)
    # Scores computed long ago (a stopped job, `trending compute --now` for an old
    # date) must not read as today's: say when the ranking is from.
    ranked_at = page.object_list[0].computed_at if page.object_list else None
    stale = ranked_at is not None and now - ranked_at > STALE_RANKING
    return render(
        request,
        "papers/list.html",
        {
            **context,
            "page": page,
            "papers": papers,
            "site_is_empty": False,
            "ranked_at": ranked_at if stale else None,
        },
    )


@require_safe
def new(request: HttpRequest) -> HttpResponse:
    """``/new``: the newest papers (see :func:`new_papers`), paginated by ``?page=``."""
    flags = code_flags(request.GET)  # ?has_code=1, ?official_code=1
    context = {
        "heading": "New papers",
        "nav": "new",
        "page_query": code_query(flags),
        "code_flags": flags,
    }
    return _list_page(request, filter_code(new_papers(), **flags), context)


def _with_details(papers: QuerySet[Paper]) -> QuerySet[Paper]:
    # Links with their repositories: the page shows each link's source and flags.
    return papers.prefetch_related("versions", "sources", visible_links())


@require_safe
def paper_detail(request: HttpRequest, key: str) -> HttpResponse:
    """``/papers/<key>``: one paper's page.

    ``key`` is a paper key (``0704.0002``, ``hep-th/9901001``, ``t:<hash>``). Any
    other form :func:`identifiers.parse` accepts (``0704.0002v2``, ``arXiv:…``,
    ``math.GT/0309136``) redirects permanently to the canonical key's page.

    Raises:
        Http404: no visible paper has that key or identifier.
    """
    visible = Paper.objects.filter(key=key, hidden=False)
    paper = _with_details(annotate_upvotes(visible, request.user)).first()
    if paper is not None:
        return render(request, "papers/detail.html", detail_context(paper))
    target = find_paper(Paper.objects.filter(hidden=False), key)
    if target is None:
        raise Http404("no such paper")
    return HttpResponsePermanentRedirect(target.get_absolute_url())


@dataclass(frozen=True)
class AuthorRow:
    """An author line on a paper page; both parts TeX source."""

    name: str
    affiliation: str


@dataclass(frozen=True)
class VersionRow:
    """A version line: ``abs_url`` is that version's arXiv page ("" without an arXiv id)."""

    number: int
    submitted: datetime | None
    size: str
    abs_url: str


@dataclass(frozen=True)
class SourceRow:
    """A source line: ``url`` only for web origins; files show their name, not the server path."""

    source_format: str
    label: str
    url: str
    first_seen: datetime


def detail_context(paper: Paper) -> dict[str, Any]:
    """Context for ``papers/detail.html``; prefetch versions, sources and
    ``coderepos.codeinfo.visible_links()`` first (as :func:`paper_detail` does)."""
    authors = [
        AuthorRow(name, str(raw.get("affiliation") or ""))
        for name, raw in zip(paper.author_names(), paper.authors, strict=True)
    ]
    versions = [
        VersionRow(
            v.number,
            v.submitted,
            v.size,
            identifiers.abs_url(paper.arxiv_id, v.number) if paper.arxiv_id else "",
        )
        for v in paper.versions.all()
    ]
    sources = []
    for source in paper.sources.all():
        is_web = source.origin.startswith(("https://", "http://"))
        label = source.origin if is_web else PurePosixPath(source.origin).name or source.origin
        sources.append(
            SourceRow(
                source.source_format, label, source.origin if is_web else "", source.first_seen
            )
        )
    # Each with .link: its source, official flag and framework (coderepos.codeinfo).
    repositories = linked_repositories(paper)
    return {
        "paper": paper,
        "categories": ordered_categories(paper),
        "authors": authors,
        "versions": versions,
        "sources": sources,
        "repositories": repositories,
        # A repository without star history has no chart (its link is in the header).
        "star_charts": [c for c in star_charts(repositories) if c.series],
        "related": related_papers(paper),
        "arxiv_search_url": "" if paper.arxiv_id else arxiv_search_url(paper.title),
    }


def arxiv_search_url(title: str) -> str:
    """arXiv's title search for ``title`` (TeX source, shown as text), for papers known
    only by title (from a trending page); the query string is percent-encoded."""
    query = urlencode({"query": tex_to_text(title), "searchtype": "title", "source": "header"})
    return f"https://arxiv.org/search/?{query}"


def ordered_categories(paper: Paper) -> list[str]:
    """The paper's category codes, primary first, each once, otherwise in source order."""
    codes = [paper.primary_category] if paper.primary_category else []
    codes += [code for code in paper.categories if code and code != paper.primary_category]
    return list(dict.fromkeys(codes))


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """``/healthz``: "ok" (200) when the database answers a query, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
