"""Bulk metadata files: format detection, dispatch to one parser per format, shared helpers.

Every parser module has ``parse(path: Path) -> ParseStream`` and yields
:class:`~papertrend.papers.records.PaperRecord` or
:class:`~papertrend.papers.records.RecordError` per source record:

* ``kaggle``   - Kaggle arXiv snapshot, JSON lines (https://www.kaggle.com/datasets/Cornell-University/arxiv)
* ``abs``      - legacy arXiv ``.abs`` files (one paper each)
* ``trending`` - a trending-papers web page saved as text
* ``oai``      - OAI-PMH responses, prefixes arXiv / arXivRaw / oai_dc
  (https://info.arxiv.org/help/oa/index.html)
* ``atom``     - arXiv API Atom feeds, raw or wrapped in a recorded JSON response
  (https://info.arxiv.org/help/api/user-manual.html)

Detection sniffs content, not the file name, because real dumps are named
anything (``arxiv-metadata-oai-snapshot.json`` is JSON *lines*; listing files
have no extension; an ``.abs`` file can be empty).
"""

from __future__ import annotations

import importlib
import itertools
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import defusedxml.ElementTree as SafeET

from papertrend.papers import records
from papertrend.papers.formats.dates import parse_timestamp
from papertrend.papers.records import ParseResult, ParseStream, RecordError

logger = logging.getLogger(__name__)

__all__ = [
    "UNKNOWN",
    "UnknownFormat",
    "XmlSafeReader",
    "count_hint",
    "detect",
    "fold",
    "is_withdrawal_notice",
    "iter_records",
    "parse_arxiv_date",
    "parser_for",
    "xml_safe",
]

UNKNOWN = "unknown"  # RecordError.source_format of a file whose format could not be told
_HEAD_BYTES = 64 * 1024
_MAX_JSON_DOCUMENT = 64 * 1024 * 1024  # a recorded API response is at most a few MB
_MAX_XML_ELEMENTS = 5000  # enough to reach the first <metadata> of any OAI response

NS_ATOM = "http://www.w3.org/2005/Atom"
NS_OAI = "http://www.openarchives.org/OAI/2.0/"
NS_ARXIV = "http://arxiv.org/OAI/arXiv/"
NS_ARXIVRAW = "http://arxiv.org/OAI/arXivRaw/"
NS_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
NS_DC = "http://purl.org/dc/elements/1.1/"
_PREFIX_BY_NS = {NS_ARXIVRAW: records.OAI_ARXIVRAW, NS_ARXIV: records.OAI_ARXIV}
_PREFIX_BY_NAME = {
    "arXivRaw": records.OAI_ARXIVRAW,
    "arXiv": records.OAI_ARXIV,
    "oai_dc": records.OAI_DC,
    "dc": records.OAI_DC,
}

# Files that sit beside data in dumps and are not records; skipped silently in directories.
_AUXILIARY_NAMES = re.compile(
    r"^(?:MANIFEST\.tsv|NAMES\.tsv|README(?:\..*)?|SOURCES(?:\..*)?|LICENSE(?:\..*)?|.*_parsed\.json)$",
    re.IGNORECASE,
)
_DASH_LINE = re.compile(r"^-{10,}\s*$")
_ABS_ID_LINE = re.compile(r"^(?:arXiv:\S+|Paper:\s*\S+)\s*$")
_SMART_TAG = re.compile(r"^\.[A-Z]\b")

_MODULE_BY_FORMAT = {
    records.KAGGLE: "kaggle",
    records.ABS: "abs",
    records.TRENDING_PAGE: "trending",
    records.OAI_ARXIV: "oai",
    records.OAI_ARXIVRAW: "oai",
    records.OAI_DC: "oai",
    records.ATOM: "atom",
}


class UnknownFormat(ValueError):
    """``detect`` could not tell the format of ``path``.

    ``auxiliary`` is True for files known not to hold records (arXiv listing
    files, manifests, database exports, READMEs); directory expansion skips those
    silently and reports the others.
    """

    def __init__(self, path: Path, reason: str, *, auxiliary: bool = False) -> None:
        super().__init__(f"{path}: cannot tell the format ({reason})")
        self.path = path
        self.reason = reason
        self.auxiliary = auxiliary


# ---------------------------------------------------------------------------
# Shared helpers for the parsers


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}


def parse_arxiv_date(text: str) -> datetime:
    """Parse an arXiv submission date such as ``"Mon, 2 Apr 2007 19:18:42 GMT"``.

    Returns a timezone-aware UTC datetime. The common RFC 2822 shape with a
    four-digit year takes a fast path (the Kaggle import parses millions);
    anything else (two-digit years, numeric zones, no weekday, ``2025-9-10``)
    goes through the lenient :func:`papertrend.papers.formats.dates.parse_timestamp`.

    Raises:
        ValueError: not a date, or an ambiguous one (a ``DateError`` saying which).
    """
    parts = text.split()
    if len(parts) == 6 and parts[5] in ("GMT", "UTC") and len(parts[3]) == 4:
        month = _MONTHS.get(parts[2])
        clock = parts[4].split(":")
        if month and len(clock) == 3:
            try:
                return datetime(
                    int(parts[3]),
                    month,
                    int(parts[1]),
                    int(clock[0]),
                    int(clock[1]),
                    int(clock[2]),
                    tzinfo=UTC,
                )
            except ValueError:
                pass  # fall through to the general parser for a clearer message
    return parse_timestamp(text)


# arXiv sets the comments of a withdrawn version to a notice such as "This paper has
# been withdrawn by the author(s)" or "withdrawn by arXiv administrators due to ...".
_WITHDRAWAL = re.compile(
    r"^\s*withdrawn\b|\b(?:paper|papers|article|submission|manuscript|preprint|version|"
    r"has\s+been|have\s+been|is|was)\s+withdrawn\b",
    re.IGNORECASE,
)


def is_withdrawal_notice(comments: str | None) -> bool:
    """True when a comments field is arXiv's withdrawal notice."""
    return bool(comments) and _WITHDRAWAL.search(comments or "") is not None


# Control characters XML 1.0 forbids (tab, LF and CR are allowed). A single one
# makes the whole document ill-formed, so one damaged record would lose the whole
# file; none carries meaning in metadata, and in UTF-8 these bytes never occur inside
# a multi-byte character, so they are dropped byte by byte before parsing.
_XML_ILLEGAL = bytes(c for c in range(32) if c not in (9, 10, 13))


def xml_safe(data: bytes) -> bytes:
    """``data`` without the control bytes XML forbids (NUL among them)."""
    return data.translate(None, _XML_ILLEGAL)


class XmlSafeReader:
    """A binary file wrapper whose ``read`` drops the bytes :func:`xml_safe` drops."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes, cleaned; b"" only at the end of the file."""
        while True:
            chunk = self._raw.read(size)
            cleaned = chunk.translate(None, _XML_ILLEGAL)
            if cleaned or not chunk:
                return cleaned


# ---------------------------------------------------------------------------
# Detection


def detect(path: Path) -> str:
    """Tell the format of one file by its content; returns one of ``records.FORMATS``.

    Kaggle JSON lines (objects with ``id`` and ``versions``) -> ``kaggle``; an
    OAI-PMH response or a bare ``<ListRecords>`` -> ``oai-arXivRaw`` / ``oai-arXiv``
    / ``oai_dc`` by the metadata namespace of the first record (the simplified
    ``<metadata><title/><description/><date/>`` files count as ``oai_dc``; an OAI
    response without records, such as an error, falls back to the request's
    ``metadataPrefix`` or ``oai_dc`` so the OAI parser can report it); an Atom
    feed, or a JSON object with ``url``/``status_code``/``body`` (a recorded
    arXiv API response) -> ``atom``; one ``\\\\``-delimited ``arXiv:``/``Paper:``
    block -> ``abs``; text of title and abstract paragraphs separated by blank
    lines -> ``trending-page``.

    Raises:
        UnknownFormat: empty, binary, unsupported or unrecognisable content,
            with ``auxiliary=True`` for listing files, manifests, database exports.
        OSError: the file cannot be read.
    """
    if _AUXILIARY_NAMES.match(path.name):
        raise UnknownFormat(path, "documentation or manifest file", auxiliary=True)
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not stripped:
        raise UnknownFormat(path, "empty file")
    if binary := _binary_content(head):
        raise UnknownFormat(path, binary)
    if stripped.startswith(b"<"):
        return _detect_xml(path)
    if stripped[:1] in (b"{", b"["):
        return _detect_json(path, stripped)
    return _detect_text(path, stripped.decode("utf-8", errors="replace"))


_COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"PK\x03\x04": "zip",
    b"(\xb5/\xfd": "zstd",
}


def _binary_content(head: bytes) -> str:
    """Why ``head`` is not text (compressed, UTF-16, images, executables), or "" for text.

    A stray NUL byte or an invalid UTF-8 sequence in an otherwise textual file does
    not count: the parsers report or repair the records that hold them, and the rest
    of the file loads. Binary data has NULs or invalid UTF-8 in more than 1% of bytes
    (random bytes: about 0.4% NULs and most bytes invalid as UTF-8).
    """
    for magic, name in _COMPRESSED.items():
        if head.startswith(magic):
            return f"{name}-compressed content: decompress it first"
    invalid = len(head) - len(head.decode("utf-8", errors="ignore").encode("utf-8"))
    if head.count(b"\x00") * 100 > len(head) or invalid * 100 > len(head):
        return "binary content"
    return ""


def _local(tag: str) -> tuple[str, str]:
    """Split ``{ns}name`` into (ns, name)."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _detect_xml(path: Path) -> str:
    root_name = ""
    requested = ""
    in_metadata = False
    with path.open("rb") as handle:
        try:
            events = SafeET.iterparse(XmlSafeReader(handle), events=("start-ns", "start"))
            for count, (event, item) in enumerate(events):
                if count > _MAX_XML_ELEMENTS:
                    break
                if event == "start-ns":
                    uri = str(item[1])  # start-ns events carry (prefix, uri)
                    if uri in _PREFIX_BY_NS:
                        return _PREFIX_BY_NS[uri]
                    continue
                ns, name = _local(item.tag)
                if not root_name:
                    root_name = name
                    if ns == NS_ATOM and name == "feed":
                        return records.ATOM
                    if name not in ("OAI-PMH", "ListRecords"):
                        raise UnknownFormat(path, f"XML root <{name}> is not OAI-PMH or Atom")
                elif name == "request":
                    requested = item.get("metadataPrefix", "")
                elif name == "metadata":
                    in_metadata = True
                elif in_metadata:
                    # First element inside <metadata> names the prefix by its namespace or,
                    # in files that dropped the namespace (<arXiv> under the OAI default
                    # namespace), by its name; bare <title>/<description> is stripped oai_dc.
                    if ns in _PREFIX_BY_NS:
                        return _PREFIX_BY_NS[ns]
                    prefix = _PREFIX_BY_NAME.get(name, "") or _PREFIX_BY_NAME.get(requested, "")
                    return prefix or records.OAI_DC
        except UnknownFormat:
            raise
        except Exception as exc:  # expat errors, defusedxml refusals (DTD entities)
            raise UnknownFormat(path, f"unreadable XML: {exc}") from exc
    if not root_name:
        raise UnknownFormat(path, "XML without a root element")
    return _PREFIX_BY_NAME.get(requested, records.OAI_DC)


def _detect_json(path: Path, head: bytes) -> str:
    for line in head.splitlines()[:5]:
        try:
            first = json.loads(line)
        except (ValueError, RecursionError):  # a bad first line; the next ones may tell
            continue
        if isinstance(first, dict):
            if "id" in first and ("versions" in first or "authors_parsed" in first):
                return records.KAGGLE
            raise UnknownFormat(
                path, "JSON lines without Kaggle keys (id, versions)", auxiliary=True
            )
    if path.stat().st_size > _MAX_JSON_DOCUMENT:
        raise UnknownFormat(path, "large JSON document that is not JSON lines")
    try:
        document = json.loads(path.read_bytes())
    except ValueError as exc:
        raise UnknownFormat(path, f"invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise UnknownFormat(path, "invalid JSON: nested too deeply to read") from exc
    if isinstance(document, dict) and {"url", "status_code", "body"} <= document.keys():
        return records.ATOM
    _refuse_star_history(path)
    raise UnknownFormat(
        path, "JSON that is neither Kaggle lines nor a recorded API response", auxiliary=True
    )


def _detect_text(path: Path, text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    if "\t" in lines[0]:
        raise UnknownFormat(path, "tab-separated table", auxiliary=True)
    content = [line for line in lines if line and not _DASH_LINE.match(line)]
    # An id line right after a "\\" opens a paper block; a listing file has many.
    id_lines = sum(
        1
        for before, line in itertools.pairwise(lines)
        if before == "\\\\" and _ABS_ID_LINE.match(line)
    )
    if content and content[0] == "\\\\":
        if id_lines == 1 and len(content) > 1 and _ABS_ID_LINE.match(content[1]):
            return records.ABS
        raise UnknownFormat(path, "arXiv listing file (several papers)", auxiliary=True)
    if id_lines or "Subj-class mailing" in text[:2000] or "Papers received as of" in text[:2000]:
        raise UnknownFormat(path, "arXiv listing file", auxiliary=True)
    if _looks_like_trending_page(lines):
        return records.TRENDING_PAGE
    _refuse_star_history(path)
    raise UnknownFormat(path, "plain text that is not an .abs file or a trending page")


def _refuse_star_history(path: Path) -> None:
    """Raise an auxiliary :class:`UnknownFormat` that names the star import for star files.

    Stargazers JSON and stars CSV hold no papers; in a folder they are passed over.
    """
    from papertrend.coderepos.starfiles import sniff  # here: coderepos.models imports papers

    if sniff(path) is not None:
        raise UnknownFormat(
            path,
            "a star history, not papers: load it with `papertrend stars import`",
            auxiliary=True,
        )


def _looks_like_trending_page(lines: list[str]) -> bool:
    """Paragraphs one line each, separated by blank lines, some of them abstract-long."""
    if any(_SMART_TAG.match(line) for line in lines[:5]):
        return False
    body = lines[:-1] if len(lines) > 1 else lines  # the head may cut the last line short
    adjacent = sum(1 for a, b in itertools.pairwise(body) if a.strip() and b.strip())
    paragraphs = sum(1 for line in body if line.strip())
    return paragraphs >= 2 and adjacent == 0 and any(len(line) >= 200 for line in body)


# ---------------------------------------------------------------------------
# Dispatch


def parser_for(fmt: str) -> Callable[[Path], ParseStream]:
    """The ``parse`` function for a format name.

    Imported lazily so that a missing parser only affects files of its format.

    Raises:
        ValueError: ``fmt`` is not one of ``records.FORMATS``.
        ImportError: the parser module is not installed.
    """
    try:
        module_name = _MODULE_BY_FORMAT[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; expected one of {records.FORMATS}") from None
    module = importlib.import_module(f"{__name__}.{module_name}")
    parse: Callable[[Path], ParseStream] = module.parse
    return parse


def _expand(path: Path) -> Iterator[tuple[Path, bool]]:
    """Yield (file, found_in_directory) in sorted order, walking directories recursively."""
    if not path.is_dir():
        yield path, False
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name, True


def iter_records(paths: Iterable[Path], fmt: str | None = None) -> Iterator[ParseResult]:
    """Parse files and directories into one stream of records and errors.

    Directories are walked recursively in name order (a folder's files before
    its subfolders, hidden entries skipped); inside them, files known
    not to hold records (listings, manifests, READMEs, database exports) are
    skipped and, when ``fmt`` is given, so are files of other formats. A named
    file is parsed with ``fmt`` when given, else with the detected format. A file
    that cannot be read or recognised, or whose parser fails, becomes a
    :class:`RecordError` (locator = the path) and the stream goes on.

    Raises:
        ValueError: ``fmt`` is not one of ``records.FORMATS``.
    """
    if fmt is not None and fmt not in records.FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {records.FORMATS}")
    for given in paths:
        ignored: list[str] = []
        for path, in_directory in _expand(Path(given)):
            file_format = fmt
            if fmt is None or in_directory:
                try:
                    file_format = detect(path)
                except UnknownFormat as exc:
                    if in_directory and exc.auxiliary:
                        logger.debug("ignored %s: %s", path, exc.reason)
                        ignored.append(f"{path.name} ({exc.reason})")
                    else:
                        yield RecordError(UNKNOWN, str(path), exc.reason)
                    continue
                except OSError as exc:
                    yield RecordError(UNKNOWN, str(path), f"unreadable: {exc}")
                    continue
                if fmt is not None and file_format != fmt:
                    continue
            assert file_format is not None
            yield from _parse_file(path, file_format)
        if ignored:
            logger.info(
                "ignored %d files under %s that hold no paper records, e.g. %s",
                len(ignored),
                given,
                "; ".join(ignored[:3]),
            )


def _parse_file(path: Path, fmt: str) -> ParseStream:
    try:
        parse = parser_for(fmt)
    except ImportError as exc:
        yield RecordError(fmt, str(path), f"no parser available for {fmt}: {exc}")
        return
    read = 0
    try:
        for result in parse(path):
            read += 1
            yield result
    except Exception as exc:  # one broken file must not end a bulk import
        # Say so when records were read: the ones after the failure are not.
        rest = f" (the file was read up to its record {read})" if read else ""
        yield RecordError(fmt, str(path), f"{type(exc).__name__}: {exc}{rest}")


def count_hint(path: Path) -> int | None:
    """A cheap estimate of how many records ``path`` holds, for a progress bar.

    Lines for Kaggle JSON lines, 1 for an ``.abs`` file, ``<record``/``<entry``
    tags for OAI and Atom, half the paragraphs for a trending page; None when the
    format is unknown or the file unreadable. Reads the whole file once, in chunks.
    """
    try:
        fmt = detect(path)
    except (UnknownFormat, OSError):
        return None
    if fmt == records.ABS:
        return 1
    if fmt == records.TRENDING_PAGE:  # a page is small; parsing is the honest count
        return sum(1 for _ in parser_for(fmt)(path))
    needle = {records.KAGGLE: b"\n", records.ATOM: b"<entry"}.get(fmt, b"<record")
    total = 0
    tail = b""  # the last len(needle)-1 bytes, so a needle split across chunks counts once
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            data = tail + chunk
            total += data.count(needle)
            tail = data[len(data) - len(needle) + 1 :] if len(needle) > 1 else b""
    return total
