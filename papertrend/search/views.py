"""The search page: ``/search?q=...&page=N`` (GET only; reads, never writes)."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from papertrend.accounts.upvotes import attach_upvotes
from papertrend.papers.views import visible_repositories
from papertrend.search.service import search_papers


def _page_number(raw: str | None) -> int:
    """The ``page`` parameter as a positive int; anything unusable means page 1."""
    try:
        return max(1, int(raw or "1"))
    except ValueError:
        return 1


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Render one page of results for ``q`` (an empty ``q`` shows the empty form)."""
    query = request.GET.get("q", "")
    page = _page_number(request.GET.get("page"))
    results = search_papers(query, page=page)
    # One query per relation for the whole page, not per card; hidden repositories stay out.
    prefetch_related_objects(results.papers, visible_repositories())
    attach_upvotes(results.papers, request.user)
    return render(request, "search/results.html", {"results": results, "query": results.query})
