"""Paper search: the one entry point every page, API and digest goes through.

``search_papers`` turns what a user typed into a page of ``Paper`` objects in rank
order. An arXiv identifier or arxiv.org URL puts that paper first; everything else
is ranked by the full-text index (``search.backend``). Hidden papers never appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from papertrend.papers import identifiers
from papertrend.papers.models import Paper
from papertrend.search import backend

MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100


@dataclass
class SearchResults:
    """One page of results.

    ``query``: the text searched (stripped, possibly truncated); ``papers``: the
    page's papers, best first; ``total``: matching papers on all pages (an
    estimate when the index is behind the database); ``page`` is 1-based;
    ``message``: a sentence for the user (empty query, truncation, no results),
    or None.
    """

    query: str
    papers: list[Paper] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20
    message: str | None = None

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < min(self.total, backend.MAX_RESULT_WINDOW)

    @property
    def num_pages(self) -> int:
        """Pages the results fill (at least 1), within the backend's result window."""
        shown = min(self.total, backend.MAX_RESULT_WINDOW)
        return max(1, -(-shown // self.per_page))

    @property
    def previous_page(self) -> int:
        return self.page - 1

    @property
    def next_page(self) -> int:
        return self.page + 1

    @property
    def start_index(self) -> int:
        """1-based rank of the page's first paper (0 when the page is empty)."""
        return (self.page - 1) * self.per_page + 1 if self.papers else 0

    @property
    def end_index(self) -> int:
        """1-based rank of the page's last paper (0 when the page is empty)."""
        return self.start_index + len(self.papers) - 1 if self.papers else 0


def _direct_paper(query: str) -> tuple[str | None, Paper | None]:
    """The arXiv id the query is (or None), and its visible paper if stored."""
    if len(query) > 200:  # no identifier or arxiv.org URL is this long
        return None, None
    try:
        arxiv_id = identifiers.parse(query)
    except identifiers.InvalidArxivId:
        return None, None
    return arxiv_id.base, Paper.objects.filter(arxiv_id=arxiv_id.base, hidden=False).first()


def search_papers(q: str, *, page: int = 1, per_page: int | None = None) -> SearchResults:
    """Search titles, authors and abstracts; never raises on any text.

    ``page`` (1-based) and ``per_page`` (default ``settings.SEARCH_RESULTS_PER_PAGE``,
    at most ``MAX_PER_PAGE``) select the page; out-of-range values are clamped.
    Queries longer than ``MAX_QUERY_CHARS`` are cut there, with a note in
    ``message``. Pages beyond ``backend.MAX_RESULT_WINDOW`` results are empty.
    """
    per_page = max(1, min(per_page or settings.SEARCH_RESULTS_PER_PAGE, MAX_PER_PAGE))
    page = max(1, page)
    query = q.replace("\x00", "").strip()
    results = SearchResults(query=query, page=page, per_page=per_page)
    if not query:
        results.message = "Type some words to search paper titles, authors and abstracts."
        return results
    notes = []
    if len(query) > MAX_QUERY_CHARS:
        query = results.query = query[:MAX_QUERY_CHARS]
        notes.append(
            f"Your query was long, so only its first {MAX_QUERY_CHARS} characters were used."
        )

    arxiv_id, direct = _direct_paper(query)
    if arxiv_id is not None and direct is None:
        notes.append(
            f"arXiv:{arxiv_id} is not in papertrend yet "
            f"(an operator can add it with `papertrend harvest --id {arxiv_id}`)."
        )
    offset = (page - 1) * per_page
    limit = per_page
    exclude: list[str] = []
    if direct is not None:
        exclude.append(direct.key)
        # The direct hit takes the first slot of page one.
        limit = per_page - 1 if page == 1 else per_page
        offset = max(0, offset - 1)
    # Past the result window the backend only counts, so the page says "no results on this page".
    hits, total = backend.search(query, limit=limit, offset=offset, exclude_keys=exclude)
    keys = [hit.key for hit in hits]
    by_key = {p.key: p for p in Paper.objects.filter(key__in=keys, hidden=False)}
    papers = [by_key[key] for key in keys if key in by_key]
    if direct is not None:
        total += 1
        if page == 1:
            papers.insert(0, direct)
    results.papers = papers
    results.total = total
    if total == 0 and not (arxiv_id is not None and direct is None):
        if backend.analyze(query.replace('"', " ")):
            notes.append("No papers match your search. Try fewer or different words.")
        elif any(ch.isalnum() for ch in query):
            notes.append("Your query has only very common words; try more specific ones.")
        else:
            notes.append("Type some words to search paper titles, authors and abstracts.")
    elif not papers:
        notes.append("There are no results on this page.")
    results.message = " ".join(notes) or None
    return results
