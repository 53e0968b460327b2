"""Paper search: the one entry point every page, API, feed and export goes through.

``search_papers`` turns what a user typed into a page of ``Paper`` objects in rank
order, in one of three modes:

``hybrid`` (default)
    The best ``settings.SEARCH_CANDIDATES`` keyword (BM25) hits and as many
    dense (embedding) neighbours, fused by reciprocal rank fusion
    (``ranking.fuse_with_floor``: a paper found by meaning alone needs a cosine
    similarity of at least ``ranking.min_similarity``), a paper whose title the
    query is moved first (``ranking.promote_title_matches``). While no vector index
    exists it is keyword search, with a note saying so.
``keyword``
    BM25 alone, paged through the whole match set.
``semantic``
    Nearest neighbours of the query's meaning (``querytext.meaning_text``) at or
    above the similarity floor.

Nothing matching shows nothing: ``field:`` parts and ``NOT`` words filter papers
found by meaning too, and ``SearchResults.summary`` says how many results keywords
and meaning each found.

An arXiv identifier or arxiv.org URL puts that paper first. Filters (category or
archive, date range, has code) and sorts (relevance, date, stars) apply to every
mode; hidden papers never appear. ``SearchResults.matches`` says, per paper, which
part found it, for the page to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from papertrend.coderepos.codeinfo import filter_code
from papertrend.coderepos.models import PaperRepository
from papertrend.papers import identifiers
from papertrend.papers.models import Paper, PaperCategory
from papertrend.search import backend, dense
from papertrend.search.querytext import ParsedQuery, parse_query
from papertrend.search.ranking import fuse_with_floor, min_similarity, promote_title_matches

MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100
MODES = ("hybrid", "keyword", "semantic")
SORTS = ("relevance", "date", "stars")
Mode = Literal["hybrid", "keyword", "semantic"]
Sort = Literal["relevance", "date", "stars"]


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions on results. ``categories``: arXiv categories (``cs.LG``) or whole
    archives (``cs``), any of which matches; ``published_from`` / ``published_to``:
    inclusive UTC days of v1; ``has_code``: only papers linked to a visible repository;
    ``official_code``: only papers with official code (``coderepos.codeinfo``)."""

    categories: tuple[str, ...] = ()
    published_from: date | None = None
    published_to: date | None = None
    has_code: bool = False
    official_code: bool = False

    @property
    def active(self) -> bool:
        return bool(
            self.categories
            or self.published_from
            or self.published_to
            or self.has_code
            or self.official_code
        )

    def keyword_filters(self) -> backend.KeywordFilters | None:
        """The part the full-text index applies itself (all but the code filters)."""
        if not (self.categories or self.published_from or self.published_to):
            return None
        return backend.KeywordFilters(
            categories=self.categories,
            published_from=self.published_from,
            published_to=self.published_to,
        )


@dataclass(frozen=True)
class Match:
    """Why a paper is in the results: its 1-based rank in the keyword run and in
    the dense run (None where that run did not return it), and its cosine
    similarity to the query (None without a dense match)."""

    keyword_rank: int | None = None
    dense_rank: int | None = None
    similarity: float | None = None
    direct: bool = False

    @property
    def label(self) -> str:
        """Words for the page: "arXiv id", "keywords + meaning", "keywords", "meaning"."""
        if self.direct:
            return "arXiv identifier"
        if self.keyword_rank and self.dense_rank:
            return "keywords + meaning"
        return "keywords" if self.keyword_rank else "meaning"


@dataclass
class SearchResults:
    """One page of results.

    ``query``: the text searched (stripped, possibly truncated); ``papers``: the
    page's papers, best first; ``total``: matching papers on all pages (an
    estimate when the index is behind the database); ``page`` is 1-based;
    ``matches``: paper key -> ``Match``; ``message``: a sentence for the user
    (empty query, truncation, no results, semantic search unavailable), or None;
    ``keyword_total``: in hybrid mode, how many papers the keyword index matched
    in all (the pool ranks only the best of them); ``keyword_count`` /
    ``meaning_count``: in hybrid and semantic modes, how many of ``total`` the
    keywords matched and how many only the meaning found (a cosine similarity at
    least ``ranking.min_similarity``), ``summary`` says so in words.
    """

    query: str
    papers: list[Paper] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20
    message: str | None = None
    mode: str = "hybrid"
    sort: str = "relevance"
    filters: SearchFilters = field(default_factory=SearchFilters)
    matches: dict[str, Match] = field(default_factory=dict)
    window: int = backend.MAX_RESULT_WINDOW
    keyword_total: int | None = None
    keyword_count: int | None = None
    meaning_count: int | None = None

    @property
    def summary(self) -> str:
        """What ``total`` counts, e.g. "12 keyword matches + 5 related by meaning"."""
        if self.keyword_count is None or self.meaning_count is None:
            return f"{self.total} keyword match{'es' if self.total != 1 else ''}"
        direct = self.total - self.keyword_count - self.meaning_count
        parts = [f"{direct} by arXiv identifier"] if direct > 0 else []
        if self.keyword_count or not (self.meaning_count or parts):
            n = self.keyword_count
            parts.append(f"{n} keyword match{'es' if n != 1 else ''}")
        if self.meaning_count:
            parts.append(f"{self.meaning_count} related by meaning")
        return " + ".join(parts)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < min(self.total, self.window)

    @property
    def num_pages(self) -> int:
        """Pages the results fill (at least 1), within the result window."""
        shown = min(self.total, self.window)
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


def filter_papers(papers: QuerySet[Paper], filters: SearchFilters) -> QuerySet[Paper]:
    """``papers`` restricted by ``filters`` (in the database)."""
    if filters.categories:
        exact = [c for c in filters.categories if "." in c]
        archives = [c for c in filters.categories if "." not in c]
        wanted = Q(category__in=exact) if exact else Q(pk__in=[])
        for archive in archives:
            wanted |= Q(category=archive) | Q(category__startswith=f"{archive}.")
        in_category = PaperCategory.objects.filter(wanted, paper=OuterRef("pk"))
        papers = papers.filter(Exists(in_category))
    # The paper's date as its card shows it: v1 submitted, else the day it was listed.
    undated = Q(published__isnull=True)
    if filters.published_from:
        start = filters.published_from
        papers = papers.filter(Q(published__date__gte=start) | (undated & Q(feed_day__gte=start)))
    if filters.published_to:
        end = filters.published_to
        papers = papers.filter(Q(published__date__lte=end) | (undated & Q(feed_day__lte=end)))
    if filters.has_code:
        linked = PaperRepository.objects.filter(paper=OuterRef("pk"), repository__hidden=False)
        papers = papers.filter(Exists(linked))
    return filter_code(papers, official_code=filters.official_code)


def _sorted(papers: list[Paper], sort: str) -> list[Paper]:
    """Relevance order is the input order; date and stars sort stably on top of it."""
    if sort == "date":
        return sorted(papers, key=lambda p: -(p.search_date() or p.created_at).timestamp())
    if sort == "stars":
        return sorted(papers, key=lambda p: -(getattr(p, "max_stars", None) or 0))
    return papers


def _empty_message(query: str, filters: SearchFilters, mode: str) -> str:
    if backend.query_terms(query):
        if mode == "semantic" and not filters.active:
            return "No paper is close enough in meaning to your words; try other words."
        if filters.active:
            return "No papers match these words with the filters you chose; try removing a filter."
        return "No papers match your search. Try fewer or different words."
    if parse_query(query).excluded:
        return "Your query only leaves words out (NOT …); add a word to search for."
    if any(ch.isalnum() for ch in query):
        return "Your query has only very common words; try more specific ones."
    return "Type some words to search paper titles, authors and abstracts."


def search_papers(
    q: str,
    *,
    page: int = 1,
    per_page: int | None = None,
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    mode: str = "hybrid",
) -> SearchResults:
    """Search titles, authors and abstracts; never raises on any text.

    ``page`` (1-based) and ``per_page`` (default ``settings.SEARCH_RESULTS_PER_PAGE``,
    at most ``MAX_PER_PAGE``) select the page; out-of-range values are clamped,
    unknown ``mode`` / ``sort`` values mean the defaults. Queries longer than
    ``MAX_QUERY_CHARS`` are cut there, with a note in ``message``. Keyword mode
    pages through up to ``backend.MAX_RESULT_WINDOW`` results; hybrid and semantic
    modes rank a candidate pool of up to twice ``settings.SEARCH_CANDIDATES``.
    """
    per_page = max(1, min(per_page or settings.SEARCH_RESULTS_PER_PAGE, MAX_PER_PAGE))
    mode = mode if mode in MODES else "hybrid"
    sort = sort if sort in SORTS else "relevance"
    filters = filters or SearchFilters()
    query = q.replace("\x00", "").strip()
    results = SearchResults(
        query=query, page=max(1, page), per_page=per_page, mode=mode, sort=sort, filters=filters
    )
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
    if direct is not None and filters.active:
        direct = filter_papers(Paper.objects.filter(pk=direct.pk), filters).first()
    if arxiv_id is not None and direct is None and not filters.active:
        notes.append(
            # Readers see this: the way in for them is the Submit page, not a command.
            f"arXiv:{arxiv_id} is not in papertrend yet; signed-in readers can add it with Submit."
        )
    exclude = [direct.key] if direct is not None else []
    if arxiv_id is not None:
        # The whole query names one paper: its URL's words (https, abs, arxiv) or its
        # number would only match papers by accident.
        results.keyword_count = results.meaning_count = 0
    elif (
        mode == "keyword"
        and sort == "relevance"
        and not (filters.has_code or filters.official_code)
    ):
        _keyword_page(results, query, exclude, direct is not None)
    else:
        note = _pooled_page(results, query, exclude, direct is not None)
        if note:
            notes.append(note)
    if direct is not None:
        results.total += 1
        results.matches[direct.key] = Match(direct=True)
        if results.page == 1:
            results.papers.insert(0, direct)
    if results.total == 0 and not (arxiv_id is not None and direct is None):
        notes.append(_empty_message(query, filters, mode))
    elif not results.papers and results.total:
        notes.append("There are no results on this page.")
    results.message = " ".join(notes) or None
    return results


def _keyword_page(results: SearchResults, query: str, exclude: list[str], has_direct: bool) -> None:
    """BM25 order straight from the index, paged there (the whole match set is reachable)."""
    offset = (results.page - 1) * results.per_page
    limit = results.per_page
    if has_direct:  # the direct hit takes the first slot of page one
        limit = results.per_page - 1 if results.page == 1 else results.per_page
        offset = max(0, offset - 1)
    hits, total = backend.search(
        query,
        limit=limit,
        offset=offset,
        exclude_keys=exclude,
        filters=results.filters.keyword_filters(),
    )
    keys = [hit.key for hit in hits]
    by_key = {p.key: p for p in Paper.objects.filter(key__in=keys, hidden=False)}
    results.papers = [by_key[key] for key in keys if key in by_key]
    results.total = total
    for rank, key in enumerate(keys, start=offset + 1):
        results.matches[key] = Match(keyword_rank=rank)


def _keyword_pool(results: SearchResults, query: str, exclude: list[str]) -> tuple[list[str], int]:
    """The best ``settings.SEARCH_CANDIDATES`` keyword hits' keys, and the match count."""
    hits, total = backend.search(
        query,
        limit=settings.SEARCH_CANDIDATES,
        exclude_keys=exclude,
        filters=results.filters.keyword_filters(),
    )
    return [hit.key for hit in hits], total


def _pooled_page(
    results: SearchResults, query: str, exclude: list[str], has_direct: bool
) -> str | None:
    """Rank a candidate pool (keyword and/or dense), filter and sort it in the
    database, and cut out the page. Returns a note for the user, or None."""
    parsed = parse_query(query)
    note = None
    keyword_keys: list[str] = []
    keyword_total = 0
    if results.mode in ("hybrid", "keyword"):
        keyword_keys, keyword_total = _keyword_pool(results, query, exclude)
    dense_hits: list[dense.DenseHit] = []
    if results.mode in ("hybrid", "semantic"):
        dense_hits, note = _dense_pool(results, parsed, query, exclude)
        if note and results.mode == "semantic":
            # Better keyword results, labelled as such, than an empty page.
            keyword_keys, keyword_total = _keyword_pool(results, query, exclude)
            note = f"{note} These are keyword results."
    floor = min_similarity(settings.EMBEDDING_MODEL)
    fused = fuse_with_floor(keyword_keys, [(h.key, h.similarity) for h in dense_hits], floor)
    candidates = filter_papers(
        Paper.objects.filter(key__in=[e.key for e in fused], hidden=False), results.filters
    )
    if results.sort == "stars":
        candidates = candidates.annotate(
            max_stars=Max(
                "repository_links__repository__stars",
                filter=Q(repository_links__repository__hidden=False),
            )
        )
    by_key = {paper.key: paper for paper in candidates}
    fused = [e for e in fused if e.key in by_key]
    titles = {key: paper.title for key, paper in by_key.items()}
    fused = promote_title_matches(parsed.meaning, fused, titles)
    ranked = _sorted([by_key[e.key] for e in fused], results.sort)
    similarity = {hit.key: hit.similarity for hit in dense_hits}
    for entry in fused:
        results.matches[entry.key] = Match(
            keyword_rank=entry.ranks.get("keyword"),
            dense_rank=entry.ranks.get("dense"),
            similarity=similarity.get(entry.key),
        )
    results.keyword_count = sum(1 for e in fused if "keyword" in e.ranks)
    results.meaning_count = len(fused) - results.keyword_count
    results.window = len(ranked) + (1 if has_direct else 0)
    results.total = len(ranked)
    start = (results.page - 1) * results.per_page
    if has_direct:
        start = max(0, start - 1)
    stop = start + results.per_page - (1 if has_direct and results.page == 1 else 0)
    results.papers = ranked[start:stop]
    results.keyword_total = keyword_total if results.mode == "hybrid" else None
    return note


def _dense_pool(
    results: SearchResults, parsed: ParsedQuery, query: str, exclude: list[str]
) -> tuple[list[dense.DenseHit], str | None]:
    """Nearest papers to the query's meaning (``parsed.meaning``), those that fail its
    ``field:`` parts or ``NOT`` words removed; and a note when semantic search cannot
    run (no index yet, or nothing in the query to search by meaning)."""
    if not parsed.meaning:
        if results.mode == "semantic":
            return [], "Your query has no words to search by meaning."
        return [], None
    # Filters are applied after the neighbour search: ask for more when they are on.
    depth = settings.SEARCH_CANDIDATES * (5 if results.filters.active else 1)
    hits = dense.dense_search(parsed.meaning, k=depth, exclude_keys=exclude)
    if not hits:
        return [], dense.semantic_status()
    if parsed.constrained:
        allowed = backend.get_index().satisfying(query, [hit.key for hit in hits])
        hits = [hit for hit in hits if hit.key in allowed]
    return hits, None
