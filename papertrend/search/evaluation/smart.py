"""Readers for SMART-format test collections: CISI, Cranfield and CACM.

The SMART system (Salton, Cornell, 1960s-80s) stored documents and queries as
records of tagged fields: a line ``.I <id>`` starts a record and lines ``.T``
(title), ``.A`` (authors, one per line), ``.B`` (bibliographic source), ``.W``
(abstract or query text), ``.X`` (citations), ``.N`` (entry note), ``.K``
(keywords), ``.C`` (classification) start fields whose text runs to the next
tag line. Relevance judgments ("qrels") are whitespace-separated columns.

The three collections, as kept in ``shared/data/eval`` (see SOURCES.md there):

* CISI (``ir-cisi``): ``CISI.ALL``, ``CISI.QRY``, ``CISI.REL`` ("qid docid 0 0.0").
  Some documents repeat ``.A`` for each author; queries 58-112 also have ``.T``,
  ``.A`` and ``.B`` (they are abstracts of papers).
* Cranfield (``ir-cranfield``): ``cran.all.1400``, ``cran.qry``, ``cranqrel``
  ("qid docid code", code 1 = complete answer .. 4 = minimum interest, -1 =
  undocumented, taken as unjudged and dropped; the gain is ``5 - code``).
  ``cranqrel`` numbers queries by their ordinal 1..225 in ``cran.qry``, whose
  ``.I`` numbers run 001..365 with gaps; queries are renumbered by ordinal here.
  Two records (576, 578) carry a repeated ``.W`` from upstream damage.
* CACM (``ir-cacm``): ``cacm.all``, ``query.text`` (ends with an entry ``.I 0``
  with no text, which is ignored), ``qrels.text`` ("qid docid 0 0").

A repeated field in one record is appended to the first. Anything else odd
(text before the first ``.I``, an unknown tag, a missing or repeated id, a
malformed qrels line, a judgment for an unknown query or document) raises
``SmartFormatError`` naming the file and line, so a damaged file never turns into
a silently smaller collection.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FIELD_TAGS = frozenset("TABWXNKC")
_TAG_LINE = re.compile(r"^\.([A-Z])(?:[ \t]+(.*?))?[ \t]*$")
# Query fields that hold words a searcher typed or a paper's text; .N (who asked)
# and .B (a citation) are bookkeeping.
QUERY_FIELDS = ("T", "W", "A")


class SmartFormatError(ValueError):
    """A collection file is malformed; the message starts with ``path:line:``."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Record:
    """One ``.I`` record: its ``id`` (leading zeros removed), the 1-based ``line`` of
    its ``.I`` tag, and ``fields`` (tag letter -> text lines, whitespace-trimmed)."""

    id: str
    line: int
    fields: dict[str, list[str]]

    def text(self, tag: str) -> str:
        """A field's lines joined by single spaces ("" when absent)."""
        return " ".join(" ".join(self.fields.get(tag, [])).split())


@dataclass(frozen=True)
class Document:
    """A document as indexed: ``title`` (.T), ``authors`` (.A lines), ``abstract`` (.W)."""

    id: str
    title: str
    authors: list[str]
    abstract: str

    @property
    def is_empty(self) -> bool:
        """True when the record has neither title nor abstract (nothing to search)."""
        return not self.title and not self.abstract


@dataclass(frozen=True)
class Query:
    """A query: its ``id`` as the qrels name it, and its ``text`` (.T, .W, .A joined)."""

    id: str
    text: str


@dataclass
class EvalCollection:
    """A loaded test collection.

    ``qrels``: query id -> document id -> gain (>= 1; only positive judgments are
    listed in these collections). ``notes``: what was dropped or renumbered while
    reading, in sentences for the report.
    """

    name: str
    documents: dict[str, Document]
    queries: dict[str, Query]
    qrels: dict[str, dict[str, int]]
    notes: list[str] = field(default_factory=list)

    def judged_queries(self) -> list[str]:
        """Ids of the queries with at least one relevant document, in query order."""
        return [qid for qid in self.queries if any(g > 0 for g in self.qrels.get(qid, {}).values())]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _read_lines(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SmartFormatError(path, 0, f"cannot read file ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SmartFormatError(path, line, "not UTF-8 text") from exc
    return text.splitlines()


def _numeric_id(path: Path, line: int, raw: str, what: str) -> str:
    if not raw.isdigit():
        raise SmartFormatError(path, line, f"{what} {raw!r} is not a whole number")
    return str(int(raw))


def read_records(path: Path) -> list[Record]:
    """The records of a SMART tagged file, in file order.

    Raises:
        SmartFormatError: unreadable or non-UTF-8 file, text before the first
            ``.I``, a tag outside ``FIELD_TAGS``, a ``.I`` without a numeric id, a
            repeated id, text in a record before its first field tag, or no record.
    """
    records: list[Record] = []
    seen: dict[str, int] = {}
    current: Record | None = None
    tag: str | None = None
    for number, raw in enumerate(_read_lines(path), start=1):
        match = _TAG_LINE.match(raw)
        if match and match.group(1) == "I":
            rest = (match.group(2) or "").strip()
            if not rest:
                raise SmartFormatError(path, number, ".I without a record id")
            record_id = _numeric_id(path, number, rest, "record id")
            if record_id in seen:
                raise SmartFormatError(
                    path, number, f"record id {rest} repeats the one on line {seen[record_id]}"
                )
            seen[record_id] = number
            current, tag = Record(record_id, number, {}), None
            records.append(current)
            continue
        if match:
            letter = match.group(1)
            if letter not in FIELD_TAGS:
                raise SmartFormatError(path, number, f"unknown field tag .{letter}")
            if current is None:
                raise SmartFormatError(path, number, f"field .{letter} before the first .I")
            tag = letter
            lines = current.fields.setdefault(tag, [])
            if match.group(2):
                lines.append(match.group(2).strip())
            continue
        text = raw.strip()
        if not text:
            continue
        if current is None:
            raise SmartFormatError(path, number, "text before the first .I record")
        if tag is None:
            raise SmartFormatError(
                path, number, f"text in record {current.id} before any field tag"
            )
        current.fields[tag].append(text)
    if not records:
        raise SmartFormatError(path, 1, "no .I records")
    return records


def read_documents(path: Path) -> dict[str, Document]:
    """Documents keyed by id: title (.T), authors (one per .A line), abstract (.W).

    A record without title or abstract (Cranfield 471 and 995) is kept, so its
    judgments stay valid; ``Document.is_empty`` says so and the runner indexes
    nothing for it.

    Raises:
        SmartFormatError: see ``read_records``.
    """
    documents: dict[str, Document] = {}
    for record in read_records(path):
        title, abstract = record.text("T"), record.text("W")
        authors = [" ".join(line.split()) for line in record.fields.get("A", []) if line.strip()]
        documents[record.id] = Document(record.id, title, authors, abstract)
    return documents


def read_queries(path: Path, *, renumber: bool = False) -> tuple[dict[str, Query], list[str]]:
    """Queries keyed by id, and notes on what was ignored.

    A query's text is its .T, .W and .A fields joined. An entry without any such
    text (CACM's closing ``.I 0``) is ignored and noted. With ``renumber`` the
    queries are keyed by their 1-based ordinal among the non-empty ones
    (Cranfield's qrels name them so).

    Raises:
        SmartFormatError: see ``read_records``; also a file with no query text at all.
    """
    queries: dict[str, Query] = {}
    notes: list[str] = []
    for record in read_records(path):
        text = " ".join(part for part in (record.text(tag) for tag in QUERY_FIELDS) if part)
        if not text:
            notes.append(
                f"{path.name}: entry .I {record.id} (line {record.line}) has no text; ignored"
            )
            continue
        key = str(len(queries) + 1) if renumber else record.id
        queries[key] = Query(key, text)
    if not queries:
        raise SmartFormatError(path, 1, "no query has any text")
    if renumber:
        notes.append(
            f"{path.name}: {len(queries)} queries renumbered by ordinal 1..{len(queries)} "
            "(their .I numbers have gaps; the qrels use the ordinal)"
        )
    return queries, notes


QrelsGain = Callable[[list[str], Path, int], int | None]


def binary_gain(columns: list[str], path: Path, line: int) -> int | None:
    """Gain for "qid docid iteration score" lines (CISI, CACM): every listed pair is
    relevant (1); the last two columns are placeholders and must be numeric."""
    if len(columns) != 4:
        raise SmartFormatError(
            path, line, f"expected 4 columns (qid docid 0 0), got {len(columns)}"
        )
    for value in columns[2:]:
        try:
            float(value)
        except ValueError:
            raise SmartFormatError(path, line, f"column {value!r} is not a number") from None
    return 1


def cranfield_gain(columns: list[str], path: Path, line: int) -> int | None:
    """Gain for "qid docid code" lines: ``5 - code`` for codes 1..4 (1 = most
    relevant); None (unjudged, dropped) for -1."""
    if len(columns) != 3:
        raise SmartFormatError(
            path, line, f"expected 3 columns (qid docid code), got {len(columns)}"
        )
    code = columns[2]
    if code == "-1":
        return None
    if code not in {"1", "2", "3", "4"}:
        raise SmartFormatError(path, line, f"relevance code {code!r} is not 1, 2, 3, 4 or -1")
    return 5 - int(code)


def read_qrels(
    path: Path,
    gain: QrelsGain,
    *,
    queries: dict[str, Query],
    documents: dict[str, Document],
) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Judgments (query id -> document id -> gain) and notes on dropped lines.

    ``gain`` reads one line's columns and returns the gain, or None to drop the
    line (counted in the notes). A pair judged twice keeps the higher gain.

    Raises:
        SmartFormatError: a malformed line (see ``gain``), a non-numeric id, or a
            judgment for a query or document the collection does not have.
    """
    qrels: dict[str, dict[str, int]] = {}
    dropped = repeated = 0
    for number, raw in enumerate(_read_lines(path), start=1):
        columns = raw.split()
        if not columns:
            continue
        value = gain(columns, path, number)
        qid = _numeric_id(path, number, columns[0], "query id")
        docid = _numeric_id(path, number, columns[1], "document id")
        if qid not in queries:
            raise SmartFormatError(
                path, number, f"judgment for query {columns[0]}, which has no text"
            )
        if docid not in documents:
            raise SmartFormatError(path, number, f"judgment for unknown document {columns[1]}")
        if value is None:
            dropped += 1
            continue
        judged = qrels.setdefault(qid, {})
        if docid in judged:
            repeated += 1
        judged[docid] = max(value, judged.get(docid, 0))
    if not qrels:
        raise SmartFormatError(path, 1, "no relevance judgments")
    notes = []
    if dropped:
        notes.append(f"{path.name}: {_count(dropped, 'line')} with code -1 dropped as unjudged")
    if repeated:
        notes.append(f"{path.name}: {_count(repeated, 'repeated (query, document) pair')} merged")
    return qrels, notes


@dataclass(frozen=True)
class SmartLayout:
    """Where a collection's files are inside ``--data-dir``, and how to read them."""

    folder: str
    documents: str
    queries: str
    qrels: str
    gain: QrelsGain
    renumber_queries: bool = False


LAYOUTS: dict[str, SmartLayout] = {
    "cisi": SmartLayout("ir-cisi", "CISI.ALL", "CISI.QRY", "CISI.REL", binary_gain),
    "cranfield": SmartLayout(
        "ir-cranfield", "cran.all.1400", "cran.qry", "cranqrel", cranfield_gain, True
    ),
    "cacm": SmartLayout("ir-cacm", "cacm.all", "query.text", "qrels.text", binary_gain),
}


def load_collection(name: str, data_dir: Path) -> EvalCollection:
    """The collection ``name`` (a key of ``LAYOUTS``) from ``data_dir/<folder>/``.

    Raises:
        SmartFormatError: a file is missing or malformed (message names file and line).
        KeyError: unknown ``name``.
    """
    layout = LAYOUTS[name]
    folder = data_dir / layout.folder
    for file_name in (layout.documents, layout.queries, layout.qrels):
        if not (folder / file_name).is_file():
            raise SmartFormatError(folder / file_name, 0, "file not found")
    documents = read_documents(folder / layout.documents)
    queries, notes = read_queries(folder / layout.queries, renumber=layout.renumber_queries)
    qrels, qrel_notes = read_qrels(
        folder / layout.qrels, layout.gain, queries=queries, documents=documents
    )
    empty = [doc.id for doc in documents.values() if doc.is_empty]
    if empty:
        notes.insert(
            0,
            f"{layout.documents}: {_count(len(empty), 'document')} without title or abstract "
            f"({', '.join(empty[:5])}{' ...' if len(empty) > 5 else ''}) are not indexed",
        )
    return EvalCollection(name, documents, queries, qrels, notes + qrel_notes)
