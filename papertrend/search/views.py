"""The search page: ``/search?q=...`` (GET only; reads, never writes).

Parameters (all optional): ``page``, ``mode`` (hybrid | keyword | semantic),
``sort`` (relevance | date | stars), ``category``, ``from``, ``to``, ``has_code``;
see ``search.forms.SearchForm``.
"""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from papertrend.accounts.upvotes import attach_upvotes
from papertrend.papers.views import visible_repositories
from papertrend.search.forms import SearchForm
from papertrend.search.service import search_papers
from papertrend.trending.cards import attach_gains
from papertrend.trending.page import DEFAULT_WINDOW


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Render one page of results for ``q`` (an empty ``q`` shows the empty form)."""
    form = SearchForm(request.GET)
    form.is_valid()
    results = search_papers(
        page=int(form.usable("page", 1)),  # type: ignore[call-overload]
        **form.search_arguments(),
    )
    problems = form.problems()
    if problems:
        results.message = " ".join([*problems, results.message or ""]).strip()
    # One query per relation for the whole page, not per card; hidden repositories stay out.
    prefetch_related_objects(results.papers, visible_repositories())
    attach_upvotes(results.papers, request.user)
    attach_gains(results.papers, DEFAULT_WINDOW)
    for paper in results.papers:
        paper.search_match = results.matches.get(paper.key)  # type: ignore[attr-defined]
    # The same search on other pages keeps every parameter but the page.
    kept = {k: str(v) for k, v in request.GET.items() if k != "page" and len(v) <= 1000}
    return render(
        request,
        "search/results.html",
        {
            "results": results,
            "query": results.query,
            "form_values": form.cleaned_data,
            "page_link": urlencode(kept),
            "categories_value": " ".join(results.filters.categories),
        },
    )
