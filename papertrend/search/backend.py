"""The full-text index of papers: a tantivy index in ``settings.SEARCH_INDEX_DIR``.

One document per visible paper, keyed by ``Paper.key``. Titles, author names and
abstracts are converted from TeX to plain text and analyzed in English (simple
tokenizer, lowercase, ASCII folding, English stopwords, Snowball stemming), so
``Bal\\'azs`` is found by "Balazs" and "Balázs", and "networks" by "network".

Queries are never handed to tantivy's query language: ``build_query`` builds the
query itself from the parts ``querytext.parse_query`` finds in the user's text
(words, preferred phrases, prefixes, field-restricted words, ``NOT`` words), so no
input can raise a syntax error or reach fields it should not. Ranking is BM25 with
field boosts (title > authors > abstract); words are OR-ed, so a paper matching more
of them ranks higher; a quoted phrase found as a phrase, and a title containing the
free words as a phrase, get a bonus. With a required part in the query (``field:``),
free words only rank. ``KeywordFilters`` (categories
or whole archives, a published date range) are required clauses of the same
query, so counts and pages are exact.

Only one process may write at a time (tantivy holds a lock file in the index
folder); ``SearchIndex.writer`` waits briefly for it, then raises ``SearchIndexLocked``.
The tantivy docs: https://docs.rs/tantivy/0.25/tantivy/ and the Python bindings:
https://tantivy-py.readthedocs.io/.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy
from django.conf import settings

from papertrend.papers.text import tex_to_search_text
from papertrend.search.querytext import (
    MAX_PHRASE_TOKENS,
    MAX_TERMS,
    ParsedQuery,
    analyzer,
    indexed_tokens,
    parse_query,
    without_surrogates,
)

# Part of this module's interface; the query language itself lives in querytext.
from papertrend.search.querytext import MAX_PHRASES as MAX_PHRASES
from papertrend.search.querytext import analyze as analyze
from papertrend.search.querytext import query_terms as query_terms

# Bump when the schema or the analyzer changes: an index with another version is
# deleted and recreated empty, and the next ``sync`` rebuilds it from the database.
# 2: the ``archives`` field; 3: ``published`` falls back to the feed day.
SCHEMA_VERSION = "3"
VERSION_FILE = "papertrend-schema-version"
# Present from the moment an index is created until a rebuild has filled it.
NEEDS_REBUILD_FILE = "papertrend-needs-rebuild"
ANALYZER = "en_papers"

# Measured on 1,130 arXiv abstracts (known-item queries): stronger title boosts
# (2 or 3) cost 7-26 points of top-1 on abstract passages, and gained nothing on titles.
FIELD_BOOSTS: Mapping[str, float] = {"title": 1.5, "authors": 1.2, "abstract": 1.0}
TITLE_PHRASE_BONUS = 2.0
# A quoted phrase found as a phrase (any field) adds this many times its phrase score.
PHRASE_BONUS = 2.0
# A per-word disjunction-max over the fields (plus a share of the others) keeps a
# word that fills both title and abstract from counting twice.
TIE_BREAKER = 0.3
MAX_RESULT_WINDOW = 10_000  # offset + limit; tantivy keeps that many hits in memory
MAX_FILTER_CATEGORIES = 64
DATES = (dt.date(1678, 1, 1), dt.date(2262, 1, 1))  # a date filter's useful range

# Each prefix is scored as its most frequent expansions (BM25 term queries, at
# most MAX_PREFIX_EXPANSIONS per field and form, chosen among the first
# PREFIX_SCAN_TERMS terms of the term dictionary), plus one constant-score
# term-range query (tantivy's fast prefix path: a range of the sorted term
# dictionary, no regex) so that papers whose term was not expanded still match.
MAX_PREFIX_EXPANSIONS = 16
PREFIX_SCAN_TERMS = 512
PREFIX_FALLBACK_SCORE = 0.5

WRITER_HEAP_BYTES = 256_000_000
WRITER_THREADS = 4
LOCK_WAIT_SECONDS = 10.0

_TEX_HINT = re.compile(r"[\\${]")


class SearchIndexError(RuntimeError):
    """The index folder cannot be used (not a papertrend index, unreadable, ...)."""


class SearchIndexLocked(SearchIndexError):
    """Another process holds the index writer lock (a sync or rebuild is running)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the paper key and its BM25 score (higher is better)."""

    key: str
    score: float


@dataclass(frozen=True, slots=True)
class KeywordFilters:
    """Restrictions applied inside the index query (required clauses).

    ``categories``: any of these arXiv codes; one with a dot (``cs.LG``) is an
    exact category, one without (``cs``, ``hep-th``) every category of that
    archive. Codes are case-sensitive, as arXiv writes them; empty ones are
    ignored. ``published_from`` / ``published_to``: inclusive UTC days of the
    paper's date (v1 submitted, else the day it was listed: ``Paper.search_date``).
    """

    categories: tuple[str, ...] = ()
    published_from: dt.date | None = None
    published_to: dt.date | None = None


@dataclass(frozen=True, slots=True)
class IndexStatus:
    """What ``papertrend index status`` reports about the index folder."""

    path: Path
    schema_version: str
    num_docs: int
    num_segments: int
    needs_rebuild: bool


def _build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True, fast=True, tokenizer_name="raw")
    builder.add_text_field("arxiv_id", tokenizer_name="raw")
    for field in ("title", "authors", "abstract"):
        builder.add_text_field(field, tokenizer_name=ANALYZER)
    builder.add_text_field("categories", fast=True, tokenizer_name="raw")
    # The archive of each category ("cs" for cs.LG, "hep-th" for hep-th).
    builder.add_text_field("archives", tokenizer_name="raw")
    builder.add_date_field("published", indexed=True, fast=True)
    return builder.build()


def plain_text(tex: str) -> str:
    """TeX source as the plain text the index analyzes (accents as letters).

    Uses ``papers.text.tex_to_search_text``, not the full TeX conversion: the full
    one costs ~1.2 ms a paper (20 minutes a million) and ranks the same.
    """
    if not _TEX_HINT.search(tex):
        return tex
    return tex_to_search_text(tex)


def archive_of(category: str) -> str:
    """The arXiv archive of a category code: ``cs.LG`` -> ``cs``, ``hep-th`` -> ``hep-th``."""
    return category.split(".", 1)[0]


def build_document(fields: Mapping[str, Any]) -> tantivy.Document:
    """A tantivy document from ``Paper.as_search_document()``'s dict."""
    doc = tantivy.Document()
    doc.add_text("key", fields["key"])
    if fields.get("arxiv_id"):
        doc.add_text("arxiv_id", fields["arxiv_id"])
    doc.add_text("title", plain_text(fields.get("title") or ""))
    for name in fields.get("authors") or ():
        doc.add_text("authors", plain_text(name))
    if fields.get("abstract"):
        doc.add_text("abstract", plain_text(fields["abstract"]))
    categories = list(fields.get("categories") or ())
    for category in categories:
        doc.add_text("categories", category)
    for archive in dict.fromkeys(archive_of(c) for c in categories):
        doc.add_text("archives", archive)
    if fields.get("published") is not None:
        doc.add_date("published", fields["published"])
    return doc


class IndexWriterSession:
    """The single writer of an index, for the duration of a ``with`` block.

    Deletes and adds become visible to searchers at ``commit``; leaving the block
    without committing discards them.
    """

    def __init__(self, writer: tantivy.IndexWriter) -> None:
        self._writer = writer

    def upsert(self, fields: Mapping[str, Any]) -> None:
        """Replace the document of ``fields["key"]`` (from ``Paper.as_search_document``)."""
        self._writer.delete_documents_by_term("key", fields["key"])
        self._writer.add_document(build_document(fields))

    def add(self, fields: Mapping[str, Any]) -> None:
        """Add a document without deleting first (for rebuilds after ``delete_all``)."""
        self._writer.add_document(build_document(fields))

    def delete(self, key: str) -> None:
        """Remove the document of a paper key, if any."""
        self._writer.delete_documents_by_term("key", key)

    def delete_all(self) -> None:
        """Remove every document (visible at commit)."""
        self._writer.delete_all_documents()

    def commit(self) -> None:
        """Make every change so far durable and visible to searchers."""
        self._writer.commit()


class SearchIndex:
    """An opened tantivy index folder; see the module docstring."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.schema = _build_schema()
        self._index = self._open_or_create()
        self._index.register_tokenizer(ANALYZER, analyzer)

    def _open_or_create(self) -> tantivy.Index:
        version_file = self.path / VERSION_FILE
        if self.path.is_dir() and any(self.path.iterdir()):
            if not (self.path / "meta.json").exists() and not version_file.exists():
                raise SearchIndexError(
                    f"{self.path} is not empty and holds no search index; "
                    "point PAPERTREND_SEARCH_INDEX_DIR at an empty or index folder"
                )
            version = version_file.read_text().strip() if version_file.exists() else ""
            compatible = tantivy.Index.is_compatible(str(self.path))
            if version == SCHEMA_VERSION and compatible:
                return tantivy.Index(self.schema, path=str(self.path), reuse=True)
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / NEEDS_REBUILD_FILE).write_text("created empty; run a rebuild\n")
        index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        version_file.write_text(SCHEMA_VERSION + "\n")
        return index

    @property
    def needs_rebuild(self) -> bool:
        """True from creation until ``mark_rebuilt``: the index may lack papers."""
        return (self.path / NEEDS_REBUILD_FILE).exists()

    def mark_rebuilt(self) -> None:
        (self.path / NEEDS_REBUILD_FILE).unlink(missing_ok=True)

    def status(self) -> IndexStatus:
        """Document and segment counts as of the latest commit."""
        self._index.reload()
        searcher = self._index.searcher()
        return IndexStatus(
            self.path, SCHEMA_VERSION, searcher.num_docs, searcher.num_segments, self.needs_rebuild
        )

    @contextmanager
    def writer(self, lock_wait: float | None = None) -> Iterator[IndexWriterSession]:
        """The index's single writer; uncommitted changes are dropped on exit.

        Raises:
            SearchIndexLocked: another writer held the lock for ``lock_wait``
                seconds (default ``LOCK_WAIT_SECONDS``).
        """
        wait = LOCK_WAIT_SECONDS if lock_wait is None else lock_wait
        deadline = time.monotonic() + wait
        while True:
            try:
                writer = self._index.writer(WRITER_HEAP_BYTES, WRITER_THREADS)
                break
            except ValueError as exc:
                if "LockBusy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise SearchIndexLocked(
                        f"the search index in {self.path} is being written by another "
                        "process (a sync or rebuild); try again when it has finished"
                    ) from exc
                time.sleep(0.2)
        try:
            yield IndexWriterSession(writer)
        finally:
            # Consumes the writer: finishes merges and releases the lock file.
            writer.wait_merging_threads()

    def search(
        self,
        query: str,
        *,
        limit: int,
        offset: int = 0,
        exclude_keys: Iterable[str] = (),
        filters: KeywordFilters | None = None,
    ) -> tuple[list[Hit], int]:
        """Best-first hits for the user's text, and how many documents match in all.

        ``limit`` and ``offset`` count hits; ``offset + limit`` is capped at
        ``MAX_RESULT_WINDOW``. ``filters`` restrict the matches (and the count).
        Never raises on any text: text without searchable words gives ``([], 0)``,
        whatever the filters.
        """
        self._index.reload()  # see commits from the sync process
        searcher = self._index.searcher()
        built = build_query(
            self.schema, query, exclude_keys=exclude_keys, filters=filters, searcher=searcher
        )
        if built is None:
            return [], 0
        limit = max(0, min(limit, MAX_RESULT_WINDOW - offset))
        if limit <= 0 or offset < 0:
            return [], _count_of(searcher.search(built, limit=1, count=True))
        result = searcher.search(built, limit=limit, count=True, offset=offset)
        hits = [Hit(searcher.doc(address)["key"][0], score) for score, address in result.hits]
        return hits, _count_of(result)

    def satisfying(self, query: str, keys: Sequence[str]) -> set[str]:
        """The ``keys`` whose papers satisfy ``query``'s required and excluded parts
        (``field:`` parts, field prefixes, ``NOT`` words): all of them when it has none.
        For results found by meaning alone, which the keyword query did not check."""
        if not keys:
            return set()
        self._index.reload()
        searcher = self._index.searcher()
        built = constraint_query(self.schema, query, keys, searcher)
        if built is None:
            return set(keys)
        result = searcher.search(built, limit=len(keys))
        return {searcher.doc(address)["key"][0] for _, address in result.hits}


def _count_of(result: tantivy.SearchResult) -> int:
    # ``count`` exists when searching with count=True; the type stub omits it.
    return int(getattr(result, "count", None) or 0)


def _phrase(schema: tantivy.Schema, field: str, tokens: list[tuple[int, str]]) -> tantivy.Query:
    if len(tokens) == 1:
        return tantivy.Query.term_query(schema, field, tokens[0][1])
    start = tokens[0][0]
    # tantivy panics on a phrase of one term; callers pass at least two here.
    return tantivy.Query.phrase_query(schema, field, [(p - start, t) for p, t in tokens])


def _prefix_in_field(
    schema: tantivy.Schema, field: str, forms: tuple[str, ...], searcher: tantivy.Searcher | None
) -> tantivy.Query:
    """Terms of ``field`` starting with any form: BM25 for the most frequent, a constant
    ``PREFIX_FALLBACK_SCORE`` for the rest (see ``MAX_PREFIX_EXPANSIONS``)."""
    alternatives = []
    for form in forms:
        if searcher is not None:
            expansions = searcher.terms_with_prefix(field, form, limit=PREFIX_SCAN_TERMS)
            expansions.sort(key=lambda term_freq: -term_freq[1])
            alternatives += [
                tantivy.Query.term_query(schema, field, term)
                for term, _ in expansions[:MAX_PREFIX_EXPANSIONS]
            ]
        # One word: tantivy's PhrasePrefixQuery is a range of the term dictionary.
        everything = tantivy.Query.phrase_prefix_query(schema, field, [form])
        alternatives.append(tantivy.Query.const_score_query(everything, PREFIX_FALLBACK_SCORE))
    return tantivy.Query.disjunction_max_query(alternatives)


def _part_query(
    schema: tantivy.Schema,
    fields: Iterable[str],
    *,
    tokens: list[tuple[int, str]] | None = None,
    forms: tuple[str, ...] = (),
    searcher: tantivy.Searcher | None = None,
) -> tantivy.Query:
    """A phrase, one term (``tokens``) or a prefix (``forms``) in any of ``fields``,
    each with its boost; the best field counts, plus ``TIE_BREAKER`` of the others."""
    per_field = []
    for name in fields:
        if tokens is not None:
            query = _phrase(schema, name, tokens)
        else:
            query = _prefix_in_field(schema, name, forms, searcher)
        per_field.append(tantivy.Query.boost_query(query, FIELD_BOOSTS[name]))
    if len(per_field) == 1:
        return per_field[0]
    return tantivy.Query.disjunction_max_query(per_field, tie_breaker=TIE_BREAKER)


def _day(value: dt.date | None) -> dt.date | None:
    # A datetime is a date too, but does not compare with one.
    return value.date() if isinstance(value, dt.datetime) else value


def _published_between(
    schema: tantivy.Schema, first: dt.date | None, last: dt.date | None
) -> tantivy.Query:
    """Papers published on the UTC days ``first`` to ``last`` (inclusive; None: open)."""
    first, last = _day(first), _day(last)
    # tantivy dates are nanoseconds in an i64 (years 1677-2262); beyond, an end is open.
    if (first is not None and first > DATES[1]) or (last is not None and last < DATES[0]):
        return tantivy.Query.empty_query()
    lower = upper = None
    if first is not None and first > DATES[0]:
        lower = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
    if last is not None and last < DATES[1]:
        upper = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    if lower is None and upper is None:
        return tantivy.Query.exists_query("published")
    return tantivy.Query.range_query(
        schema,
        "published",
        tantivy.FieldType.Date,
        lower,
        upper,
        include_upper=upper is None,  # tantivy: an open end is inclusive
    )


def _filter_queries(schema: tantivy.Schema, filters: KeywordFilters) -> list[tantivy.Query]:
    """Required, non-scoring clauses for ``filters``."""
    queries = []
    codes = [without_surrogates(c.strip()) for c in filters.categories if c and c.strip()]
    codes = list(dict.fromkeys(codes))
    if codes:
        any_code = [
            (
                tantivy.Occur.Should,
                tantivy.Query.term_query(schema, "categories" if "." in c else "archives", c),
            )
            for c in codes[:MAX_FILTER_CATEGORIES]
        ]
        queries.append(tantivy.Query.const_score_query(tantivy.Query.boolean_query(any_code), 0.0))
    if filters.published_from is not None or filters.published_to is not None:
        published = _published_between(schema, filters.published_from, filters.published_to)
        queries.append(tantivy.Query.const_score_query(published, 0.0))
    return queries


def build_query(
    schema: tantivy.Schema,
    text: str,
    *,
    exclude_keys: Iterable[str] = (),
    filters: KeywordFilters | None = None,
    searcher: tantivy.Searcher | None = None,
) -> tantivy.Query | None:
    """The tantivy query for a user's text, or None when it has no searchable words.

    The parts of the text are described in ``querytext``'s docstring; field
    parts are required, ``NOT`` words excluded, words, phrases and prefixes OR-ed. ``filters`` add
    required clauses, ``exclude_keys`` excluded papers. ``searcher`` expands
    prefixes into BM25-scored terms; without it a prefix matches with a constant
    score only. Never raises on any text.
    """
    parsed = parse_query(text)
    occur = tantivy.Occur
    clauses = _required_clauses(schema, parsed, searcher)
    for phrase in parsed.phrases:
        # Preferred, not required: its words are free words already; the phrase ranks.
        tokens = indexed_tokens(phrase)[:MAX_PHRASE_TOKENS]
        if len(tokens) >= 2:
            query = _part_query(schema, FIELD_BOOSTS, tokens=tokens)
            clauses.append((occur.Should, tantivy.Query.boost_query(query, PHRASE_BONUS)))
    for prefix_field, forms in parsed.prefixes:
        if prefix_field is None:
            query = _part_query(schema, list(FIELD_BOOSTS), forms=forms, searcher=searcher)
            clauses.append((occur.Should, query))
    free_tokens = indexed_tokens(parsed.free)
    counts = Counter(token for _, token in free_tokens)
    for term in list(counts)[:MAX_TERMS]:
        word = _part_query(schema, FIELD_BOOSTS, tokens=[(0, term)])
        # A word the query repeats weighs more, as in BM25's sum over query tokens
        # (the measured CISI/CACM baselines count repeats; deduplicating cost 8 points
        # of nDCG@10 on CISI's paragraph-long queries).
        if counts[term] > 1:
            word = tantivy.Query.boost_query(word, float(counts[term]))
        clauses.append((occur.Should, word))
    if 2 <= len(free_tokens) <= MAX_PHRASE_TOKENS:
        title_phrase = _phrase(schema, "title", free_tokens)
        clauses.append((occur.Should, tantivy.Query.boost_query(title_phrase, TITLE_PHRASE_BONUS)))
    if not any(kind != occur.MustNot for kind, _ in clauses):
        return None
    # The text's own clauses decide what matches (any word, every required part);
    # filters and exclusions come on top, so filters never make words optional.
    outer = [(occur.Must, tantivy.Query.boolean_query(clauses))]
    outer += [(occur.Must, query) for query in _filter_queries(schema, filters or KeywordFilters())]
    outer += [
        (occur.MustNot, tantivy.Query.term_query(schema, "key", without_surrogates(key)))
        for key in exclude_keys
    ]
    return tantivy.Query.boolean_query(outer)


def _required_clauses(
    schema: tantivy.Schema, parsed: ParsedQuery, searcher: tantivy.Searcher | None
) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    """The clauses every result must satisfy: ``field:`` parts and field prefixes
    (Must), ``NOT`` words (MustNot, in any field)."""
    occur = tantivy.Occur
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for name, part in parsed.restricted:
        tokens = indexed_tokens(part)[:MAX_PHRASE_TOKENS]
        if tokens:
            clauses.append((occur.Must, _part_query(schema, [name], tokens=tokens)))
    for prefix_field, forms in parsed.prefixes:
        if prefix_field is not None:
            query = _part_query(schema, [prefix_field], forms=forms, searcher=searcher)
            clauses.append((occur.Must, query))
    for word in parsed.excluded:
        for _, term in indexed_tokens(word)[:MAX_PHRASE_TOKENS]:
            clauses.append((occur.MustNot, _part_query(schema, FIELD_BOOSTS, tokens=[(0, term)])))
    return clauses


def constraint_query(
    schema: tantivy.Schema, text: str, keys: Iterable[str], searcher: tantivy.Searcher | None = None
) -> tantivy.Query | None:
    """Papers among ``keys`` that satisfy the query's required and excluded parts
    (``field:`` parts, field prefixes, ``NOT`` words), or None when it has none."""
    parsed = parse_query(text)
    clauses = _required_clauses(schema, parsed, searcher)
    if not clauses:
        return None
    safe_keys = [without_surrogates(key) for key in keys]
    clauses.append((tantivy.Occur.Must, tantivy.Query.term_set_query(schema, "key", safe_keys)))
    return tantivy.Query.boolean_query(clauses)


_indexes: dict[Path, SearchIndex] = {}
_indexes_lock = threading.Lock()


def get_index(path: Path | None = None) -> SearchIndex:
    """The index in ``path`` (default ``settings.SEARCH_INDEX_DIR``), opened once per process.

    Creates an empty index when the folder is empty or absent, and recreates it
    empty when its schema version differs.

    Raises:
        SearchIndexError: the folder holds other files and no index.
    """
    resolved = Path(path if path is not None else settings.SEARCH_INDEX_DIR).resolve()
    with _indexes_lock:
        index = _indexes.get(resolved)
        if index is None or not (resolved / VERSION_FILE).exists():
            index = _indexes[resolved] = SearchIndex(resolved)
        return index


def search(
    query: str,
    *,
    limit: int,
    offset: int = 0,
    exclude_keys: Iterable[str] = (),
    filters: KeywordFilters | None = None,
) -> tuple[list[Hit], int]:
    """Search the default index; see ``SearchIndex.search``."""
    return get_index().search(
        query, limit=limit, offset=offset, exclude_keys=exclude_keys, filters=filters
    )
