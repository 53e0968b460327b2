"""The full-text index of papers: a tantivy index in ``settings.SEARCH_INDEX_DIR``.

One document per visible paper, keyed by ``Paper.key``. Titles, author names and
abstracts are converted from TeX to plain text and analyzed in English (simple
tokenizer, lowercase, ASCII folding, English stopwords, Snowball stemming), so
``Bal\\'azs`` is found by "Balazs" and "Balázs", and "networks" by "network".

Queries are never handed to tantivy's query language: ``search`` builds the query
itself from the words and the double-quoted phrases of the user's text, so no input
can raise a syntax error or reach fields it should not. Ranking is BM25 with field
boosts (title > authors > abstract); words are OR-ed, so a paper matching more of
them ranks higher; quoted phrases are required; a title containing the unquoted
words as a phrase gets a bonus.

Only one process may write at a time (tantivy holds a lock file in the index
folder); ``SearchIndex.writer`` waits briefly for it, then raises ``SearchIndexLocked``.
The tantivy docs: https://docs.rs/tantivy/0.25/tantivy/ and the Python bindings:
https://tantivy-py.readthedocs.io/.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy
from django.conf import settings

from papertrend.papers.text import tex_to_search_text

# Bump when the schema or the analyzer changes: an index with another version is
# deleted and recreated empty, and the next ``sync`` rebuilds it from the database.
SCHEMA_VERSION = "1"
VERSION_FILE = "papertrend-schema-version"
# Present from the moment an index is created until a rebuild has filled it.
NEEDS_REBUILD_FILE = "papertrend-needs-rebuild"
ANALYZER = "en_papers"

# Measured on 1,130 arXiv abstracts (known-item queries): stronger title boosts
# (2 or 3) cost 7-26 points of top-1 on abstract passages, and gained nothing on titles.
FIELD_BOOSTS: Mapping[str, float] = {"title": 1.5, "authors": 1.2, "abstract": 1.0}
TITLE_PHRASE_BONUS = 2.0
# A per-word disjunction-max over the fields (plus a share of the others) keeps a
# word that fills both title and abstract from counting twice.
TIE_BREAKER = 0.3
MAX_TERMS = 64
MAX_PHRASES = 8
MAX_PHRASE_TOKENS = 32
MAX_RESULT_WINDOW = 10_000  # offset + limit; tantivy keeps that many hits in memory

WRITER_HEAP_BYTES = 256_000_000
WRITER_THREADS = 4
LOCK_WAIT_SECONDS = 10.0

_PHRASE = re.compile(r"\"([^\"]*)\"")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
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
class IndexStatus:
    """What ``papertrend index status`` reports about the index folder."""

    path: Path
    schema_version: str
    num_docs: int
    num_segments: int
    needs_rebuild: bool


def _build_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


_analyzer = _build_analyzer()


def _build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True, fast=True, tokenizer_name="raw")
    builder.add_text_field("arxiv_id", tokenizer_name="raw")
    for field in ("title", "authors", "abstract"):
        builder.add_text_field(field, tokenizer_name=ANALYZER)
    builder.add_text_field("categories", fast=True, tokenizer_name="raw")
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
    for category in fields.get("categories") or ():
        doc.add_text("categories", category)
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
        self._index.register_tokenizer(ANALYZER, _analyzer)

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
        self, query: str, *, limit: int, offset: int = 0, exclude_keys: Iterable[str] = ()
    ) -> tuple[list[Hit], int]:
        """Best-first hits for the user's text, and how many documents match in all.

        ``limit`` and ``offset`` count hits; ``offset + limit`` is capped at
        ``MAX_RESULT_WINDOW``. Never raises on any text: text without searchable
        words gives ``([], 0)``.
        """
        built = build_query(self.schema, query, exclude_keys=exclude_keys)
        limit = max(0, min(limit, MAX_RESULT_WINDOW - offset))
        if built is None or limit <= 0 or offset < 0:
            return [], 0 if built is None else self._count(built)
        self._index.reload()  # see commits from the sync process
        searcher = self._index.searcher()
        result = searcher.search(built, limit=limit, count=True, offset=offset)
        hits = [Hit(searcher.doc(address)["key"][0], score) for score, address in result.hits]
        return hits, _count_of(result)

    def _count(self, query: tantivy.Query) -> int:
        self._index.reload()
        return _count_of(self._index.searcher().search(query, limit=1, count=True))


def _count_of(result: tantivy.SearchResult) -> int:
    # ``count`` exists when searching with count=True; the type stub omits it.
    return int(getattr(result, "count", None) or 0)


def _tokens(text: str) -> list[tuple[int, str]]:
    """(position, token) pairs; positions keep the gaps left by stopwords."""
    return [(t.position, t.text) for t in _analyzer.pre_tokenize(text).tokens]


def analyze(text: str) -> list[str]:
    """The index terms of some text, e.g. ``"The Networks"`` -> ``["network"]``."""
    return [token for _, token in _tokens(text)]


def _phrase(schema: tantivy.Schema, field: str, tokens: list[tuple[int, str]]) -> tantivy.Query:
    if len(tokens) == 1:
        return tantivy.Query.term_query(schema, field, tokens[0][1])
    start = tokens[0][0]
    # tantivy panics on a phrase of one term; callers pass at least two here.
    return tantivy.Query.phrase_query(schema, field, [(p - start, t) for p, t in tokens])


def _across_fields(
    schema: tantivy.Schema, tokens: list[tuple[int, str]], *, phrase: bool
) -> tantivy.Query:
    """The tokens (a phrase, or one term) in any boosted field."""
    per_field = []
    for field, boost in FIELD_BOOSTS.items():
        query = (
            _phrase(schema, field, tokens)
            if phrase
            else tantivy.Query.term_query(schema, field, tokens[0][1])
        )
        per_field.append(tantivy.Query.boost_query(query, boost))
    return tantivy.Query.disjunction_max_query(per_field, tie_breaker=TIE_BREAKER)


def build_query(
    schema: tantivy.Schema, text: str, *, exclude_keys: Iterable[str] = ()
) -> tantivy.Query | None:
    """The tantivy query for a user's text, or None when it has no searchable words.

    Double-quoted parts are required phrases; everything else is split into
    words that are OR-ed (every other character, operators included, is ignored).
    """
    text = text.translate(_QUOTES)
    phrases = [m.group(1) for m in _PHRASE.finditer(text)][:MAX_PHRASES]
    free = _PHRASE.sub(" ", text).replace('"', " ")
    occur = tantivy.Occur
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for phrase in phrases:
        tokens = _tokens(phrase)[:MAX_PHRASE_TOKENS]
        if tokens:
            clauses.append((occur.Must, _across_fields(schema, tokens, phrase=True)))
    free_tokens = _tokens(free)
    terms = list(dict.fromkeys(token for _, token in free_tokens))[:MAX_TERMS]
    for term in terms:
        clauses.append((occur.Should, _across_fields(schema, [(0, term)], phrase=False)))
    if 2 <= len(free_tokens) <= MAX_PHRASE_TOKENS:
        title_phrase = _phrase(schema, "title", free_tokens)
        clauses.append((occur.Should, tantivy.Query.boost_query(title_phrase, TITLE_PHRASE_BONUS)))
    if not clauses:
        return None
    for key in exclude_keys:
        clauses.append((occur.MustNot, tantivy.Query.term_query(schema, "key", key)))
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
    query: str, *, limit: int, offset: int = 0, exclude_keys: Iterable[str] = ()
) -> tuple[list[Hit], int]:
    """Search the default index; see ``SearchIndex.search``."""
    return get_index().search(query, limit=limit, offset=offset, exclude_keys=exclude_keys)
