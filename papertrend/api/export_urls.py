"""BibTeX export routes under ``/export/`` and their views.

``bibtex/paper/<key or any arXiv id form>``, ``bibtex/search?q=``,
``bibtex/date/2025-03-14``, ``bibtex/week/2025-W11``, ``bibtex/month/2025-03``;
each answers ``text/x-bibtex; charset=utf-8`` as an attachment (see ``api.bibtex``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_safe

from papertrend.api.bibtex import entries
from papertrend.papers.models import Paper
from papertrend.papers.services import find_paper
from papertrend.search.service import MAX_PER_PAGE, search_papers
from papertrend.trending.periods import period_or_404
from papertrend.trending.views import feed_papers

app_name = "export"
CONTENT_TYPE = "text/x-bibtex; charset=utf-8"


def bibtex_response(papers: Iterable[Paper], filename: str) -> HttpResponse:
    """``papers`` as a ``<filename>.bib`` download; ``filename`` is reduced to ``[\\w.-]``."""
    safe = re.sub(r"[^\w.-]", "_", filename, flags=re.ASCII) or "papers"
    response = HttpResponse(entries(papers), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{safe}.bib"'
    return response


@require_safe
def paper_bibtex(request: HttpRequest, key: str) -> HttpResponse:
    """One visible paper by key (``0704.0002``, ``t:<hash>``) or any arXiv id form.

    Raises:
        Http404: no visible paper has that key or identifier.
    """
    paper = find_paper(Paper.objects.filter(hidden=False), key)
    if paper is None:
        raise Http404("no such paper")
    return bibtex_response([paper], paper.key)


@require_safe
def search_bibtex(request: HttpRequest) -> HttpResponse:
    """The first ``MAX_PER_PAGE`` matches of ``?q=`` (nothing for an empty query)."""
    results = search_papers(request.GET.get("q", ""), per_page=MAX_PER_PAGE)
    return bibtex_response(results.papers, "search")


@require_safe
def period_bibtex(request: HttpRequest, kind: str, value: str) -> HttpResponse:
    """Every paper of one day, ISO week or month, in the order of its page.

    Raises:
        Http404: ``value`` is not a valid period of ``kind``.
    """
    period = period_or_404(kind, value)
    papers = feed_papers(period, None).iterator(chunk_size=1000)
    return bibtex_response(papers, f"papertrend-{period.slug}")


urlpatterns: list[URLPattern] = [
    path("bibtex/paper/<path:key>", paper_bibtex, name="bibtex-paper"),
    path("bibtex/search", search_bibtex, name="bibtex-search"),
    *(
        path(f"bibtex/{kind}/<str:value>", period_bibtex, {"kind": kind}, name=f"bibtex-{kind}")
        for kind in ("date", "week", "month")
    ),
]
