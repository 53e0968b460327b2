"""BibTeX export routes under ``/export/`` and their views.

``bibtex/paper/<key or any arXiv id form>``, ``bibtex/search?q=``,
``bibtex/date/2025-03-14``, ``bibtex/week/2025-W11``, ``bibtex/month/2025-03``;
each answers ``text/x-bibtex; charset=utf-8`` as an attachment (see ``api.bibtex``); a
period of more than ``MAX_EXPORT_PAPERS`` papers answers 400 with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern, path
from django.views.decorators.http import require_safe

from papertrend.api.bibtex import entries
from papertrend.papers.models import Paper
from papertrend.papers.services import find_paper
from papertrend.papers.views import visible_papers
from papertrend.search.forms import SearchForm
from papertrend.search.service import MAX_PER_PAGE, search_papers
from papertrend.trending.periods import period_or_404
from papertrend.trending.views import feed_papers

app_name = "export"
CONTENT_TYPE = "text/x-bibtex; charset=utf-8"
# Entries cost ~0.1 ms each (25,000, a busy arXiv month, in ~3 s); a synthetic 200k-paper
# month held a worker past gunicorn's 60 s timeout (docs/benchmarks.md).
MAX_EXPORT_PAPERS = 30_000


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
    """The first ``MAX_PER_PAGE`` results of the search page for the same parameters
    (``q``, ``mode``, ``sort``, ``category``, ``from``, ``to``, ``has_code``; nothing
    for an empty query)."""
    results = search_papers(per_page=MAX_PER_PAGE, **SearchForm(request.GET).search_arguments())
    return bibtex_response(results.papers, "search")


@require_safe
def period_bibtex(request: HttpRequest, kind: str, value: str) -> HttpResponse:
    """Every paper of one day, ISO week or month, in the order of its page.

    A period of more than ``MAX_EXPORT_PAPERS`` papers answers 400 (plain text naming
    the count and the cap) instead of building the file.

    Raises:
        Http404: ``value`` is not a valid period of ``kind``.
    """
    period = period_or_404(kind, value)
    count = visible_papers().filter(feed_day__gte=period.start, feed_day__lt=period.end).count()
    if count > MAX_EXPORT_PAPERS:
        return HttpResponseBadRequest(
            f"{period.slug} lists {count} papers; a BibTeX export holds at most "
            f"{MAX_EXPORT_PAPERS}. Export its weeks or days instead "
            "(/export/bibtex/week/YYYY-Www, /export/bibtex/date/YYYY-MM-DD).\n",
            content_type="text/plain; charset=utf-8",
        )
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
