"""Legacy arXiv ``.abs`` metadata files: one paper per file.

Layout (as served from arXiv's ``ftp/<archive>/papers/<yymm>/<id>.abs`` tree and
read by https://github.com/arXiv/arxiv-browse ``browse/services/documents``)::

    ------------------------------------------------------------------------------
    \\\\
    arXiv:0704.0002                      (old files: "Paper: hep-th/9108001")
    From: Louis Theran <...>
    Date: Sat, 31 Mar 2007 02:26:18 GMT   (377kb,D)
    Date (revised v2): Sat, 13 Dec 2008 17:26:00 GMT   (136kb,D)

    Title: Sparsity-certifying Graph Decompositions
    Authors: Ileana Streinu and Louis Theran
    Categories: math.CO cs.CG
    ...                                  (continuation lines are indented)
    \\\\
      abstract
    \\\\

``orig/<archive>/papers/<yymm>/<id>vN.abs`` files describe the paper as of
version N and list dates only up to N; they parse the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

from papertrend.papers import identifiers
from papertrend.papers.authors import split_authors
from papertrend.papers.formats import is_withdrawal_notice, parse_arxiv_date
from papertrend.papers.records import (
    ABS,
    PaperRecord,
    ParseResult,
    ParseStream,
    RecordError,
    VersionInfo,
)
from papertrend.papers.text import fold_whitespace

_SEPARATOR = "\\\\"
_DASH_LINE = re.compile(r"^-{10,}\s*$")
_ID_LINE = re.compile(r"^(?:arXiv:\s*|Paper:\s*)(?P<id>\S+)\s*$")
_FIELD = re.compile(r"^(?P<key>[A-Za-z][A-Za-z -]*?(?: \([^)]*\))?):\s?(?P<value>.*)$")
# "Date: Sat, 31 Mar 2007 02:26:18 GMT   (377kb,D)"; "Date (revised v2): ..." for later ones.
_DATE_KEY = re.compile(r"^Date(?: \(revised v(?P<version>\d+)\))?$")
_SIZE = re.compile(r"\((?P<size>\d+kb)(?:,[A-Za-z]+)?\)\s*$")
_DOI_PREFIX = re.compile(r"^doi:\s*", re.IGNORECASE)  # some submitters typed "doi:10.1103/..."
_EMAIL = re.compile(r"\s*<[^<>]*>\s*$")

# Header keys and the PaperRecord attribute each one fills (text folded).
_TEXT_FIELDS = {
    "Title": "title",
    "Comments": "comments",
    "Report-no": "report_no",
    "MSC-class": "msc_class",
    "ACM-class": "acm_class",
    "Journal-ref": "journal_ref",
    "License": "license",
}


class AbsFormatError(ValueError):
    """The file does not follow the ``.abs`` layout."""


def parse(path: Path) -> ParseStream:
    """Yield the one PaperRecord of an ``.abs`` file, or a RecordError.

    The locator is the path. Errors (as RecordError, never raised): the file is
    empty or not UTF-8/Latin-1 text, lacks the ``\\\\`` separators, the id line,
    a title or a parseable date, or has an invalid arXiv id.

    ``withdrawn`` is True when the comments carry arXiv's withdrawal notice (set
    on the withdrawing version, so it describes the latest version the file
    lists), False otherwise.

    Raises:
        OSError: ``path`` cannot be read.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # pre-2009 files predate arXiv's UTF-8 conversion
    yield parse_text(text, str(path))


def parse_text(text: str, locator: str) -> ParseResult:
    """Parse the content of one ``.abs`` file; ``locator`` names it in errors."""
    try:
        header, abstract = _split_sections(text)
        return _record(header, abstract, locator)
    except AbsFormatError as exc:
        return RecordError(ABS, locator, str(exc))


def _split_sections(text: str) -> tuple[list[str], str]:
    """Return (header lines, abstract text) from the ``\\\\``-delimited layout."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not any(line.strip() for line in lines):
        raise AbsFormatError("empty file")
    marks = [index for index, line in enumerate(lines) if line.rstrip() == _SEPARATOR]
    if len(marks) < 2:
        raise AbsFormatError(f"expected '\\\\' separators around the header, found {len(marks)}")
    before = [line for line in lines[: marks[0]] if line.strip()]
    if any(not _DASH_LINE.match(line) for line in before):
        raise AbsFormatError("unexpected text before the first '\\\\'")
    papers = sum(1 for index in marks[:-1] if _ID_LINE.match(lines[index + 1].strip()))
    if papers > 1:
        raise AbsFormatError(f"{papers} papers in one file (an arXiv listing file?)")
    # TeX line breaks put lone "\\" lines inside abstracts, so the abstract runs
    # to the last separator, not the next one.
    header = lines[marks[0] + 1 : marks[1]]
    end = marks[-1] if len(marks) > 2 else len(lines)
    return header, "\n".join(lines[marks[1] + 1 : end])


def _header_fields(header: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """Return (raw id, [(key, folded value), ...]) with continuation lines joined."""
    content = [line for line in header if line.strip()]
    if not content:
        raise AbsFormatError("empty header")
    match = _ID_LINE.match(content[0].strip())
    if not match:
        raise AbsFormatError(f"first header line is not 'arXiv:ID' or 'Paper: ID': {content[0]!r}")
    fields: list[tuple[str, str]] = []
    for line in content[1:]:
        if line[:1].isspace():
            if not fields:
                raise AbsFormatError(f"continuation line before any field: {line!r}")
            key, value = fields[-1]
            fields[-1] = (key, f"{value} {line.strip()}")
            continue
        field = _FIELD.match(line)
        if not field:
            raise AbsFormatError(f"not a 'Key: value' header line: {line!r}")
        fields.append((field["key"], field["value"].strip()))
    return match["id"], fields


def _record(header: list[str], abstract: str, locator: str) -> PaperRecord:
    raw_id, fields = _header_fields(header)
    try:
        arxiv_id = identifiers.normalize(raw_id)
    except identifiers.InvalidArxivId as exc:
        raise AbsFormatError(str(exc)) from None
    record = PaperRecord(source_format=ABS, locator=locator, title="", arxiv_id=arxiv_id)
    record.abstract = fold_whitespace(abstract)
    for key, value in fields:
        _apply(record, key, value)
    if not record.title:
        raise AbsFormatError(f"{arxiv_id}: no Title")
    if not record.versions:
        raise AbsFormatError(f"{arxiv_id}: no Date line")
    record.versions.sort(key=lambda version: version.number)
    record.published = record.versions[0].submitted
    record.updated = record.versions[-1].submitted
    record.withdrawn = is_withdrawal_notice(record.comments)
    return record


def _apply(record: PaperRecord, key: str, value: str) -> None:
    """Store one header field on the record; unknown keys (e.g. Proxy) are ignored."""
    value = fold_whitespace(value)
    date_key = _DATE_KEY.match(key)
    if date_key:
        number = int(date_key["version"] or 1)
        try:
            record.versions.append(_version(number, value, record.arxiv_id or ""))
        except AbsFormatError as exc:
            if number == 1:  # v1's date is the paper's own: it cannot be dated without it
                raise
            # A later version's unreadable date is dropped and reported, not the paper.
            record.problems.append(f"v{number} date: {exc}; it was dropped")
            record.versions.append(VersionInfo(number=number, submitted=None))
    elif key == "DOI":
        record.doi = _DOI_PREFIX.sub("", value)
    elif key in _TEXT_FIELDS:
        setattr(record, _TEXT_FIELDS[key], value)
    elif key == "Authors":
        record.authors = split_authors(value)
    elif key == "Categories":
        record.categories = value.split()
        record.primary_category = record.categories[0] if record.categories else ""
    elif key == "From":
        record.submitter = _EMAIL.sub("", value)


def _version(number: int, value: str, arxiv_id: str) -> VersionInfo:
    """Parse "Sat, 31 Mar 2007 02:26:18 GMT   (377kb,D)"; the size part is optional."""
    size = ""
    size_match = _SIZE.search(value)
    if size_match:
        size = size_match["size"]
        value = value[: size_match.start()].strip()
    try:
        submitted = parse_arxiv_date(value)
    except ValueError as exc:
        raise AbsFormatError(f"{arxiv_id}: v{number}: {exc}") from None
    return VersionInfo(number=number, submitted=submitted, size=size)
