"""OAI-PMH 2.0 responses from arXiv: ``arXiv``, ``arXivRaw`` and ``oai_dc`` records.

Protocol: http://www.openarchives.org/OAI/2.0/openarchivesprotocol.htm
Metadata formats: http://arxiv.org/OAI/arXiv.xsd, http://arxiv.org/OAI/arXivRaw.xsd,
http://www.openarchives.org/OAI/2.0/oai_dc.xsd.

A ``ListRecords`` or ``GetRecord`` response becomes a stream of
:class:`~papertrend.papers.records.PaperRecord`; each ``<record>`` is parsed on its own,
so a bad one becomes a :class:`~papertrend.papers.records.RecordError` naming
"<where> record N" and the rest of the page still comes through.

Elements are matched by local name: real arXiv responses sometimes put the ``<arXiv>``
element in the OAI namespace instead of its own, and the simplified quant-ph dumps
(root ``<ListRecords>``, metadata ``<title>/<description>/<date>`` with no wrapper and
no namespaces) are read as ``oai_dc``.

Dates are read leniently (``2025-9-10`` included, see ``formats.dates``). The header
datestamp of a record that describes only a paper's first version is taken as the day
arXiv announced it (``PaperRecord.announced``) when it falls within
``records.ANNOUNCEMENT_WINDOW`` of v1's date: a paper held in moderation is listed on
the day it came out, not on its submission day. A later stamp on a first version is a
metadata fix (the real ListRecords page stamps a 2007 v1 with 2014-11-18) and is
ignored. An unreadable datestamp, ``updated`` or later-version date is dropped and
reported in ``PaperRecord.problems``; an unreadable v1 date (``created``, the first
``<version>`` or ``dc:date``) makes the record an error, since the paper could not be
dated.

Deleted records (``<header status="deleted">``) carry no metadata: they are skipped,
their identifiers listed in :attr:`OaiPage.deleted`, and their datestamps still count
towards :attr:`OaiPage.max_datestamp` so an incremental harvest moves past them.

All XML goes through defusedxml with DTDs forbidden: a document that declares entities
(billion laughs, XXE) is rejected as a whole, never expanded.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from papertrend.papers import identifiers
from papertrend.papers.authors import split_authors
from papertrend.papers.formats import XmlSafeReader, is_withdrawal_notice, parse_arxiv_date
from papertrend.papers.formats.dates import DateError, parse_day
from papertrend.papers.records import (
    OAI_ARXIV,
    OAI_ARXIVRAW,
    OAI_DC,
    AuthorName,
    PaperRecord,
    ParseResult,
    ParseStream,
    RecordError,
    VersionInfo,
    plausible_announcement,
)
from papertrend.papers.text import fold_whitespace

NO_RECORDS_MATCH = "noRecordsMatch"
# Category codes such as "hep-th", "cs.LG", "math.AG"; oai_dc subjects are usually
# human-readable names instead, which are not categories.
_FORMAT_BY_PREFIX = {"arXiv": OAI_ARXIV, "arXivRaw": OAI_ARXIVRAW, "oai_dc": OAI_DC}
_CATEGORY_CODE = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[A-Za-z]+)*)?$")


class OaiFormatError(ValueError):
    """A response that is not a well-formed, safe OAI-PMH document."""


@dataclass
class OaiPage:
    """One OAI-PMH response.

    ``results`` holds one entry per non-deleted ``<record>``, in document order.
    ``resumption_token`` is None on the last page (an empty token element counts as
    none). ``error_code``/``error_message`` come from an OAI ``<error>`` element;
    ``noRecordsMatch`` is an empty result, not a failure (see :attr:`failed`).
    ``max_datestamp`` is the latest header datestamp seen (deleted records included).
    """

    results: list[ParseResult] = field(default_factory=list)
    resumption_token: str | None = None
    complete_list_size: int | None = None
    cursor: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    max_datestamp: date | None = None
    deleted: list[str] = field(default_factory=list)
    metadata_prefix: str | None = None  # as the <request> element echoes it

    @property
    def datestamps(self) -> date | None:
        """Alias of :attr:`max_datestamp`."""
        return self.max_datestamp

    @property
    def failed(self) -> bool:
        """True for an OAI error other than ``noRecordsMatch``."""
        return self.error_code is not None and self.error_code != NO_RECORDS_MATCH


def parse_response(data: bytes, locator: str) -> OaiPage:
    """Parse one OAI-PMH response body into an :class:`OaiPage`.

    ``locator`` names the response (a URL or file name); record errors read
    "<locator> record N" with N counting ``<record>`` elements from 1.

    Raises:
        OaiFormatError: the body is not well-formed XML, declares a DTD or entities,
            or is not an OAI-PMH response. Records parsed before the fault are lost
            with it, since a page is all-or-nothing for a harvester.
    """
    page = OaiPage()
    page.results = list(_scan(io.BytesIO(data), locator, page))
    return page


def parse(path: Path) -> ParseStream:
    """Yield a record or a RecordError for every ``<record>`` of an OAI-PMH file.

    Streams with iterparse so memory stays flat on large dumps. An OAI error response
    yields one RecordError ("OAI error <code>: <message>") except ``noRecordsMatch``,
    which yields nothing. A fault in the XML itself yields one RecordError naming the
    line and column, after the records read before it.
    """
    path = Path(path)
    page = OaiPage()
    try:
        with path.open("rb") as fh:
            yield from _scan(XmlSafeReader(fh), str(path), page)
    except OaiFormatError as exc:
        yield RecordError(OAI_DC, str(path), str(exc))
        return
    except OSError as exc:
        yield RecordError(OAI_DC, str(path), f"cannot read file: {exc}")
        return
    if page.failed:
        source_format = _FORMAT_BY_PREFIX.get(page.metadata_prefix or "", OAI_DC)
        message = f"OAI error {page.error_code}: {page.error_message}"
        yield RecordError(source_format, str(path), message)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Readable(Protocol):
    """What iterparse reads: a file, ``io.BytesIO`` or the NUL-dropping ``XmlSafeReader``."""

    def read(self, size: int = -1, /) -> bytes: ...


def _scan(source: _Readable, locator: str, page: OaiPage) -> Iterator[ParseResult]:
    """Stream the records of one response, filling ``page``'s paging and error fields."""
    number = 0
    root_seen = False
    try:
        for event, elem in SafeET.iterparse(source, events=("start", "end"), forbid_dtd=True):
            name = _local(elem.tag)
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if name not in ("OAI-PMH", "ListRecords", "GetRecord"):
                        raise OaiFormatError(f"{locator}: not an OAI-PMH response (root <{name}>)")
                continue
            if name == "record":
                number += 1
                result = _record(elem, f"{locator} record {number}", page)
                if result is not None:
                    yield result
                elem.clear()  # keeps memory flat on big files
            elif name == "error":
                page.error_code = elem.get("code") or "unknown"
                page.error_message = fold_whitespace(elem.text or "")
            elif name == "resumptionToken":
                _read_token(elem, page)
            elif name == "request":
                page.metadata_prefix = elem.get("metadataPrefix")
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise OaiFormatError(
            f"{locator}: malformed XML at line {line} column {column}: {exc}"
        ) from exc
    except DefusedXmlException as exc:
        raise OaiFormatError(
            f"{locator}: refused XML with a DTD or entity declarations ({type(exc).__name__})"
        ) from exc


def _read_token(elem: Element, page: OaiPage) -> None:
    token = (elem.text or "").strip()
    page.resumption_token = token or None
    for attr, name in (("completeListSize", "complete_list_size"), ("cursor", "cursor")):
        value = elem.get(attr)
        if value is not None and value.strip().isdigit():
            setattr(page, name, int(value))


def _record(elem: Element, locator: str, page: OaiPage) -> ParseResult | None:
    """Parse one ``<record>``; None for a deleted record (noted on ``page``)."""
    header = _child(elem, "header")
    header_id = _text(header, "identifier") if header is not None else ""
    stamp, stamp_problem = _datestamp(header)
    if stamp is not None and (page.max_datestamp is None or stamp > page.max_datestamp):
        page.max_datestamp = stamp
    if header is not None and header.get("status") == "deleted":
        page.deleted.append(header_id)
        return None
    result = _metadata(elem, header_id, locator)
    if isinstance(result, PaperRecord):
        if stamp_problem:
            result.problems.append(stamp_problem)
        if stamp is not None and _announced_on(result, stamp):
            result.announced = stamp
    return result


def _datestamp(header: Element | None) -> tuple[date | None, str]:
    """The header's datestamp day (None when absent or unreadable) and what was wrong."""
    raw = _text(header, "datestamp") if header is not None else ""
    if not raw:
        return None, ""
    try:
        return parse_day(raw), ""
    except DateError as exc:
        return None, f"header datestamp: {exc}; it was dropped"


def _announced_on(record: PaperRecord, stamp: date) -> bool:
    """True when ``stamp`` is the day arXiv announced ``record``'s paper.

    Only a record of a first version alone says that (any later version moves the
    stamp), and only within ``ANNOUNCEMENT_WINDOW`` of v1's date. A record with a
    dropped date cannot tell, so it never does.
    """
    if record.problems:
        return False
    if record.versions:
        if max(v.number for v in record.versions) != 1:
            return False
        first = record.versions[0].submitted
    else:
        if record.updated is not None and record.updated != record.published:
            return False
        first = record.published
    return plausible_announcement(first, stamp)


def _metadata(elem: Element, header_id: str, locator: str) -> ParseResult:
    """The record's metadata as a PaperRecord, or a RecordError saying what was wrong."""
    metadata = _child(elem, "metadata")
    if metadata is None:
        return RecordError(OAI_DC, locator, "record has no <metadata>")
    body = next(iter(metadata), None)
    kind = _local(body.tag) if body is not None else ""
    try:
        if kind == "arXiv":
            return _arxiv(body, header_id, locator)  # type: ignore[arg-type]
        if kind == "arXivRaw":
            return _arxiv_raw(body, header_id, locator)  # type: ignore[arg-type]
        if kind == "dc":
            return _dublin_core(body, header_id, locator)  # type: ignore[arg-type]
        if _child(metadata, "title") is not None:
            return _dublin_core(metadata, header_id, locator)  # simplified dumps
        return RecordError(OAI_DC, locator, f"unknown metadata format <{kind or 'empty'}>")
    except (ValueError, identifiers.InvalidArxivId) as exc:
        source_format = _FORMAT_BY_PREFIX.get(kind, OAI_DC)
        return RecordError(source_format, locator, str(exc))


def _child(elem: Element | None, name: str) -> Element | None:
    if elem is None:
        return None
    return next((c for c in elem if _local(c.tag) == name), None)


def _children(elem: Element, name: str) -> list[Element]:
    return [c for c in elem if _local(c.tag) == name]


def _text(elem: Element | None, name: str) -> str:
    """Folded text of the first child called ``name``; "" when absent."""
    child = _child(elem, name)
    return fold_whitespace("".join(child.itertext())) if child is not None else ""


def _required_title(elem: Element) -> str:
    title = _text(elem, "title")
    if not title:
        raise ValueError("missing or empty <title>")
    return title


def _arxiv_id(raw: str, header_id: str) -> str:
    if not raw and not header_id:
        raise ValueError("no arXiv identifier in <id> or header")
    return identifiers.normalize(raw or header_id)


def _day(raw: str, what: str) -> datetime | None:
    """``raw`` as 00:00 UTC of its day (None when empty); time parts are ignored.

    Raises:
        DateError: not a date; the message names ``what``.
    """
    if not raw:
        return None
    try:
        day = parse_day(raw)
    except DateError as exc:
        raise DateError(f"{what}: {exc}") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _optional_day(raw: str, what: str, problems: list[str]) -> datetime | None:
    """:func:`_day`, but an unreadable date is dropped and noted in ``problems``."""
    try:
        return _day(raw, what)
    except DateError as exc:
        problems.append(f"{exc}; it was dropped")
        return None


def _arxiv(body: Element, header_id: str, locator: str) -> PaperRecord:
    """metadataPrefix=arXiv: structured authors, ``created`` (v1) and ``updated`` dates."""
    authors = []
    container = _child(body, "authors")
    for author in _children(container, "author") if container is not None else []:
        affiliations = [fold_whitespace(a.text or "") for a in _children(author, "affiliation")]
        authors.append(
            AuthorName(
                keyname=_text(author, "keyname"),
                forenames=_text(author, "forenames"),
                suffix=_text(author, "suffix"),
                affiliation="; ".join(a for a in affiliations if a),
            )
        )
    problems: list[str] = []
    return PaperRecord(
        source_format=OAI_ARXIV,
        locator=locator,
        arxiv_id=_arxiv_id(_text(body, "id"), header_id),
        title=_required_title(body),
        abstract=_text(body, "abstract"),
        authors=authors,
        categories=_text(body, "categories").split(),
        published=_day(_text(body, "created"), "created"),  # v1's date: needed
        updated=_optional_day(_text(body, "updated"), "updated", problems),
        problems=problems,
        **_arxiv_fields(body),
    )


def _arxiv_fields(body: Element) -> dict[str, Any]:
    """The optional fields the arXiv and arXivRaw formats share, by PaperRecord name."""
    comments = _text(body, "comments")
    return {
        "comments": comments,
        "report_no": _text(body, "report-no"),
        "msc_class": _text(body, "msc-class"),
        "acm_class": _text(body, "acm-class"),
        "journal_ref": _text(body, "journal-ref"),
        "doi": _text(body, "doi"),
        "license": _text(body, "license"),
        "withdrawn": is_withdrawal_notice(comments),
    }


def _arxiv_raw(body: Element, header_id: str, locator: str) -> PaperRecord:
    """metadataPrefix=arXivRaw: every version with its date and size, authors as a string."""
    versions = []
    problems: list[str] = []
    for elem in _children(body, "version"):
        label = (elem.get("version") or "").strip().lower()
        if not re.fullmatch(r"v\d+", label):
            raise ValueError(f"bad version label {label!r}")
        raw_date = _text(elem, "date")
        try:
            submitted: datetime | None = parse_arxiv_date(raw_date)
        except ValueError as exc:
            if label == "v1":  # the paper's own date: without it, it cannot be dated
                raise ValueError(f"{label} date: {exc}") from None
            problems.append(f"{label} date: {exc}; it was dropped")
            submitted = None
        versions.append(VersionInfo(int(label[1:]), submitted, _text(elem, "size")))
    versions.sort(key=lambda v: v.number)
    return PaperRecord(
        source_format=OAI_ARXIVRAW,
        locator=locator,
        arxiv_id=_arxiv_id(_text(body, "id"), header_id),
        title=_required_title(body),
        abstract=_text(body, "abstract"),
        authors=split_authors(_text(body, "authors")),
        categories=_text(body, "categories").split(),
        versions=versions,
        published=versions[0].submitted if versions else None,
        updated=versions[-1].submitted if versions else None,
        submitter=_text(body, "submitter"),
        problems=problems,
        **_arxiv_fields(body),
    )


def _dublin_core(body: Element, header_id: str, locator: str) -> PaperRecord:
    """oai_dc, and the simplified dumps (title/description/date only).

    ``dc:creator`` is "Keyname, Forenames[, Suffix]". The first ``dc:description`` is
    the abstract, one starting "Comment:" the comments. The first ``dc:date`` is v1's,
    the last the latest version's. Categories are the ``dc:subject`` values that are
    category codes; failing that, an old-style identifier's archive (quant-ph/9501001
    -> quant-ph), since oai_dc subjects are otherwise human-readable names.
    """
    arxiv_id = _arxiv_id("", header_id)
    abstract, comments = "", ""
    for desc in _children(body, "description"):
        text = fold_whitespace("".join(desc.itertext()))
        if text.startswith("Comment:"):
            comments = comments or text.removeprefix("Comment:").strip()
        elif text and not abstract:
            abstract = text
    raw_dates = [fold_whitespace(d.text or "") for d in _children(body, "date")]
    problems: list[str] = []
    # The first dc:date is v1's: without it the paper cannot be dated. Later ones may go.
    dates = [_day(raw, "first dc:date") for raw in raw_dates[:1]]
    dates += [_optional_day(raw, "dc:date", problems) for raw in raw_dates[1:]]
    subjects = [fold_whitespace(s.text or "") for s in _children(body, "subject")]
    categories = [s for s in subjects if _CATEGORY_CODE.match(s)]
    if not categories and "/" in arxiv_id:
        categories = [arxiv_id.split("/", 1)[0]]
    doi, journal_ref = "", ""
    for ident in _children(body, "identifier"):
        value = fold_whitespace(ident.text or "")
        if value.lower().startswith("doi:"):
            doi = doi or value[4:].strip()
        elif value and not value.startswith(("http://", "https://")):
            journal_ref = journal_ref or value
    return PaperRecord(
        source_format=OAI_DC,
        locator=locator,
        arxiv_id=arxiv_id,
        title=_required_title(body),
        abstract=abstract,
        authors=[_dc_creator(fold_whitespace(c.text or "")) for c in _children(body, "creator")],
        categories=categories,
        published=dates[0] if dates else None,
        updated=dates[-1] if len(dates) > 1 else None,
        problems=problems,
        comments=comments,
        journal_ref=journal_ref,
        doi=doi,
        # The simplified dumps have no comments, so they cannot tell.
        withdrawn=is_withdrawal_notice(comments) if comments else None,
    )


def _dc_creator(raw: str) -> AuthorName:
    parts = [p.strip() for p in raw.split(",")]
    return AuthorName(
        keyname=parts[0],
        forenames=parts[1] if len(parts) > 1 else "",
        suffix=", ".join(p for p in parts[2:] if p),
    )
