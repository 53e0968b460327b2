"""The JSON API (django-ninja), mounted at ``/api/``; docs at ``/api/docs``.

Operations (all GET; schema at ``/api/openapi.json``):

* ``/api/daily_papers`` — Hugging Face's daily papers shape, by day/week/month;
* ``/api/papers/search`` — through ``search.service.search_papers``;
* ``/api/papers/{arxiv_id}`` — any version suffix, old-style ids with a slash, or a key;
* ``/api/related/{arxiv_id}`` — related papers (embedding neighbours);
* ``/api/trending`` — ranked trending rows of a window;
* ``/api/repos/{owner}/{name}`` — a GitHub repository and its daily star history.

Pages are 0-based (``p``), as on Hugging Face. Every listing serves its first
``MAX_ROWS`` rows: a page past them, ``(p + 1) * limit > MAX_ROWS``, answers 400
``page_too_deep`` (an OFFSET that deep costs seconds; narrow the listing instead).
Hidden papers and repositories never appear. CORS, ETags, rate limits and the
error shape live in ``api.http``.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any, Literal

from django.db.models import F, Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils import timezone
from django.utils.http import http_date
from ninja import NinjaAPI, Query
from ninja.errors import HttpError, ValidationError

from papertrend.accounts.upvotes import annotate_upvotes, attach_upvotes
from papertrend.api import schemas as serialize
from papertrend.api.http import api_view, error_response, not_found
from papertrend.api.schemas import (
    DailyPaperOut,
    ErrorOut,
    PaperDetailOut,
    RelatedOut,
    RepositoryOut,
    TrendingOut,
)
from papertrend.coderepos.codeinfo import filter_code
from papertrend.coderepos.models import Repository
from papertrend.papers.models import Paper
from papertrend.papers.services import find_paper
from papertrend.search.related import related_papers
from papertrend.search.service import SearchFilters, search_papers
from papertrend.trending.page import ranked_scores, star_charts
from papertrend.trending.periods import InvalidPeriod, Period, parse_period, period_containing
from papertrend.trending.views import feed_papers

logger = logging.getLogger(__name__)

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
# Deep pages cost an OFFSET scan each (p=1000, limit=100 of a 200k-paper month: 0.6 s
# on an idle 2-core machine, 2.3 s on a busy one; docs/benchmarks.md). The same window
# as the search index's (search.backend MAX_RESULT_WINDOW), so search pages stop where
# the other listings do.
MAX_ROWS = 10_000
# The deepest page any limit reaches (limit=1); the schema states it as the bound of p.
MAX_PAGE = MAX_ROWS - 1
PAGE_HELP = (
    f"page, 0-based; (p + 1) * limit may not exceed {MAX_ROWS}, "
    "a deeper page answers 400 page_too_deep"
)
MAX_KEY_CHARS = 255

ERRORS: dict[int, type[ErrorOut]] = {s: ErrorOut for s in (400, 404, 422, 429, 500)}


class PapertrendAPI(NinjaAPI):
    """NinjaAPI whose every URL goes through ``api.http.api_view``, plus a JSON 404 catch-all."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        wrapped: list[URLResolver | URLPattern] = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern):
                pattern = URLPattern(
                    pattern.pattern, api_view(pattern.callback), pattern.default_args, pattern.name
                )
            wrapped.append(pattern)
        wrapped.append(re_path(r"^[\s\S]*$", api_view(not_found), name="api-not-found"))
        return wrapped


api = PapertrendAPI(
    title="papertrend API",
    version="1",
    description=(
        "Read-only JSON for arXiv papers, their code and what is trending. "
        "`/api/daily_papers` answers in Hugging Face's shape. Errors are always "
        '`{"error": {"status", "code", "message"}}`. Text fields are plain, untrusted text. '
        f"Pages (`p`, 0-based, and `limit`) reach the first {MAX_ROWS} rows of a listing; "
        "a deeper page answers 400 `page_too_deep`."
    ),
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
)


class PageTooDeep(Exception):
    """A page past the first ``MAX_ROWS`` rows of a listing (answered 400 ``page_too_deep``)."""


def _error_handler(status: int, code: str | None = None) -> Any:
    def handle(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(status, str(exc) or "Not found.", code)

    return handle


def _validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
    """422 with every problem in one sentence, e.g. ``query.limit: less than or equal to 100``."""
    parts = []
    for error in exc.errors:
        where = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return error_response(422, "; ".join(parts) or "Invalid parameters.")


def _http_error(request: HttpRequest, exc: Any) -> HttpResponse:
    return error_response(exc.status_code, str(exc))


def _server_error(request: HttpRequest, exc: Any) -> HttpResponse:
    logger.exception("API operation failed: %s", request.path, exc_info=exc)
    return error_response(500, "The server failed to answer; the error was logged.")


api.add_exception_handler(Http404, _error_handler(404))
api.add_exception_handler(PageTooDeep, _error_handler(400, "page_too_deep"))
api.add_exception_handler(ValidationError, _validation_error)
api.add_exception_handler(HttpError, _http_error)
api.add_exception_handler(Exception, _server_error)


def _safe_text(value: str, what: str) -> str:
    """Refuse text no row can hold (NUL, absurd length) before it reaches the database."""
    if "\x00" in value or len(value) > MAX_KEY_CHARS:
        raise Http404(f"No {what} {value[:80]!r}.")
    return value


def _visible_repositories() -> Prefetch:
    return Prefetch("repositories", queryset=Repository.objects.filter(hidden=False).order_by("pk"))


def _daily_period(date: str | None, week: str | None, month: str | None) -> Period | None:
    """The period asked for, or None when none was (the latest listed day applies)."""
    asked = (("date", date), ("week", week), ("month", month))
    given = [(kind, text) for kind, text in asked if text]
    if len(given) > 1:
        raise HttpError(400, "Give at most one of date, week and month.")
    if not given:
        return None
    kind, text = given[0]
    try:
        return parse_period(kind, text)
    except InvalidPeriod as exc:
        raise HttpError(400, f"{exc} (date: YYYY-MM-DD, week: YYYY-Www, month: YYYY-MM)") from exc


def _latest_day_period() -> Period | None:
    """The day of the newest listed paper up to today, or None with no papers at all."""
    latest = (
        Paper.objects.filter(hidden=False, feed_day__lte=timezone.localdate())
        .order_by("-feed_day")
        .values_list("feed_day", flat=True)
        .first()
    )
    return period_containing("date", latest) if latest else None


def _sorted_feed(period: Period, sort: str) -> QuerySet[Paper]:
    # Replace the feed's unordered prefetch: "first repository" must be stable.
    papers = (
        feed_papers(period, None).prefetch_related(None).prefetch_related(_visible_repositories())
    )
    if sort == "trending":
        return papers  # feed order: most upvoted first
    return papers.order_by(F("published").desc(nulls_last=True), F("id").desc())


def _page(p: int, limit: int) -> slice:
    """Rows ``[p * limit, (p + 1) * limit)`` of a listing.

    Raises:
        PageTooDeep: the page ends past row ``MAX_ROWS``.
    """
    if (p + 1) * limit > MAX_ROWS:
        raise PageTooDeep(
            f"Page p={p} with limit={limit} ends at row {(p + 1) * limit}, past the first "
            f"{MAX_ROWS} rows that every listing serves ((p + 1) * limit <= {MAX_ROWS}). "
            "Narrow the listing instead: a week or a day rather than a month, "
            "or search filters."
        )
    return slice(p * limit, (p + 1) * limit)


@api.get(
    "/daily_papers",
    response={200: list[DailyPaperOut], **ERRORS},
    summary="Daily papers (Hugging Face's shape)",
    tags=["papers"],
)
def daily_papers(
    request: HttpRequest,
    date: str | None = Query(None, description="a day, YYYY-MM-DD", max_length=32),
    week: str | None = Query(None, description="an ISO week, YYYY-Www", max_length=32),
    month: str | None = Query(None, description="a month, YYYY-MM", max_length=32),
    sort: Literal["publishedAt", "trending"] = Query("publishedAt"),
    p: int = Query(0, ge=0, le=MAX_PAGE, description=PAGE_HELP),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    has_code: bool = Query(False, description="only papers with a linked repository"),
    official_code: bool = Query(False, description="only papers with the authors' own code"),
) -> list[dict[str, Any]]:
    """Papers listed in a day, ISO week or month (by feed day); by default the latest listed day.

    ``sort=publishedAt`` (default): newest submission first; ``sort=trending``:
    most upvoted first.
    """
    page = _page(p, limit)
    period = _daily_period(date, week, month) or _latest_day_period()
    if period is None:
        return []
    listed = filter_code(_sorted_feed(period, sort), has_code=has_code, official_code=official_code)
    papers = list(listed[page])
    return [serialize.daily_item(paper) for paper in papers]


@api.get(
    "/papers/search",
    response={200: list[DailyPaperOut], **ERRORS},
    summary="Search papers",
    tags=["papers"],
)
def search(
    request: HttpRequest,
    q: str = Query("", max_length=2000, description="words, an arXiv id or an arxiv.org URL"),
    p: int = Query(0, ge=0, le=MAX_PAGE, description=PAGE_HELP),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    mode: Literal["hybrid", "keyword", "semantic"] = Query(
        "hybrid", description="keywords + meaning (RRF), keywords (BM25) or meaning (embeddings)"
    ),
    sort: Literal["relevance", "date", "stars"] = Query("relevance"),
    category: str = Query(
        "", max_length=500, pattern=r"^[A-Za-z.\-, ]*$", description="cs.LG, or an archive: cs"
    ),
    date_from: date | None = Query(None, alias="from", description="v1 on or after (UTC day)"),
    date_to: date | None = Query(None, alias="to", description="v1 on or before (UTC day)"),
    has_code: bool = Query(False, description="only papers with a linked repository"),
    official_code: bool = Query(False, description="only papers with the authors' own code"),
) -> list[dict[str, Any]]:
    """Best matches first, in the daily papers item shape; an empty query gives []."""
    _page(p, limit)  # refuse a page past the cap before searching
    filters = SearchFilters(
        categories=tuple(c for c in category.replace(",", " ").split() if c)[:10],
        published_from=date_from,
        published_to=date_to,
        has_code=has_code,
        official_code=official_code,
    )
    results = search_papers(q, page=p + 1, per_page=limit, filters=filters, sort=sort, mode=mode)
    papers = results.papers
    if papers:
        prefetch_related_objects(papers, _visible_repositories())
        attach_upvotes(papers, None)
    return [serialize.daily_item(paper) for paper in papers]


@api.get(
    "/related/{path:arxiv_id}",
    response={200: list[RelatedOut], **ERRORS},
    summary="Related papers",
    tags=["papers"],
)
def related(
    request: HttpRequest, arxiv_id: str, limit: int = Query(5, ge=1, le=20)
) -> list[dict[str, Any]]:
    """Papers most like this one: nearest neighbours of its embedding (``how`` =
    ``embedding``, with the cosine ``similarity``), or BM25 neighbours of its title
    before its embedding exists (``how`` = ``keywords``)."""
    paper = _find_paper(arxiv_id)
    found = related_papers(paper, k=limit)
    papers = [item.paper for item in found]
    prefetch_related_objects(papers, _visible_repositories())
    attach_upvotes(papers, None)
    return [
        {
            "paper": serialize.paper_fields(item.paper),
            "similarity": item.similarity,
            "how": item.how,
        }
        for item in found
    ]


def _find_paper(raw: str) -> Paper:
    """The visible paper an id (any version, old style, arxiv.org URL) or key names."""
    raw = _safe_text(raw.strip(), "paper")
    papers = annotate_upvotes(Paper.objects.filter(hidden=False), None).prefetch_related(
        _visible_repositories()
    )
    paper = find_paper(papers, raw)
    if paper is None:
        raise Http404(f"No paper {raw[:80]!r}.")
    return paper


@api.get(
    "/papers/{path:arxiv_id}",
    response={200: PaperDetailOut, **ERRORS},
    summary="One paper",
    tags=["papers"],
)
def paper_detail(request: HttpRequest, arxiv_id: str, response: HttpResponse) -> dict[str, Any]:
    """A paper by arXiv id (``2101.00001``, ``2101.00001v2``, ``hep-th/9901001``) or key."""
    paper = _find_paper(arxiv_id)
    response["Last-Modified"] = http_date(paper.modified_at.timestamp())
    return serialize.paper_detail(paper)


@api.get(
    "/trending",
    response={200: list[TrendingOut], **ERRORS},
    summary="Trending papers",
    tags=["trending"],
)
def trending(
    request: HttpRequest,
    window: Literal["day", "week", "month"] = Query("week"),
    p: int = Query(0, ge=0, le=MAX_PAGE, description=PAGE_HELP),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    has_code: bool = Query(False, description="only papers with a linked repository"),
    official_code: bool = Query(False, description="only papers with the authors' own code"),
) -> list[dict[str, Any]]:
    """Papers ranked by trending score in the window, with the facts behind each score."""
    page = _page(p, limit)
    scores = filter_code(
        ranked_scores(window), has_code=has_code, official_code=official_code, via="paper_id"
    )
    rows = list(scores[page])
    attach_upvotes([row.paper for row in rows], None)
    return [serialize.trending_row(row, page.start + i + 1) for i, row in enumerate(rows)]


@api.get(
    "/repos/{owner}/{name}",
    response={200: RepositoryOut, **ERRORS},
    summary="A GitHub repository and its star history",
    tags=["repositories"],
)
def repository(
    request: HttpRequest, owner: str, name: str, response: HttpResponse
) -> dict[str, Any]:
    """``github.com/{owner}/{name}`` (case-insensitive): stars per UTC day, linked papers."""
    key = _safe_text(f"github.com/{owner}/{name}".lower(), "repository")
    repo = Repository.objects.filter(key=key, hidden=False, missing=False).first()
    if repo is None:
        raise Http404(f"No repository {owner[:80]}/{name[:80]}.")
    papers = repo.papers.filter(hidden=False).order_by("-published", "pk")
    charts = star_charts([repo])
    history = charts[0].series if charts else []
    modified: datetime | None = repo.fetched_at
    if modified is not None:
        response["Last-Modified"] = http_date(modified.timestamp())
    return serialize.repository(repo, history, [paper.arxiv_id or paper.key for paper in papers])
