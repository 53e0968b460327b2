"""arXiv API Atom feeds (``export.arxiv.org/api/query``).

Format: https://info.arxiv.org/help/api/user-manual.html (section 5, "Appendices").
Each ``<entry>`` becomes a :class:`~papertrend.papers.records.PaperRecord`:

* ``<id>`` ``http://arxiv.org/abs/2104.12255v1`` gives the versionless identifier and
  the version the feed describes, recorded as ``VersionInfo(n, <updated>)``;
* ``<published>`` is v1's date, ``<updated>`` that version's date; an entry for a
  later version also records ``VersionInfo(1, <published>)``, so the paper's
  submission date, listing day and BibTeX year are v1's, not the revision's. A
  ``<published>`` that cannot be read makes the entry an error (the paper could not
  be dated); an unreadable ``<updated>`` is dropped and reported in ``problems``;
* ``<author><name>`` is "Forenames Keyname" and is split with
  :func:`papertrend.papers.authors.parse_name`; ``arxiv:affiliation`` is attached;
* ``arxiv:primary_category``, ``<category term>``, ``arxiv:comment``,
  ``arxiv:journal_ref``, ``arxiv:doi`` map to their fields; links other than the
  abstract, PDF and DOI pages (which follow from the id and DOI) go to ``links``.

The API reports errors as a feed whose single entry has an id under
``arxiv.org/api/errors`` (with HTTP 400); that becomes :attr:`AtomPage.error_message`
and a RecordError, never a paper.

Files may hold a raw feed or a recording ``{"url", "status_code", "body"}`` as written
by arxiv.py's test suite; :func:`parse` accepts both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from papertrend.papers import identifiers
from papertrend.papers.authors import parse_name
from papertrend.papers.formats import is_withdrawal_notice, xml_safe
from papertrend.papers.formats.dates import DateError, parse_timestamp
from papertrend.papers.records import (
    ATOM,
    AuthorName,
    PaperRecord,
    ParseResult,
    ParseStream,
    RecordError,
    VersionInfo,
)
from papertrend.papers.text import fold_whitespace

ATOM_NS = "{http://www.w3.org/2005/Atom}"
ARXIV_NS = "{http://arxiv.org/schemas/atom}"
OPENSEARCH_NS = "{http://a9.com/-/spec/opensearch/1.1/}"
_ERROR_ID = re.compile(r"arxiv\.org/api/errors", re.IGNORECASE)
# "John Smith, Jr." -> "John Smith Jr." so the suffix is not glued to the keyname.
_COMMA_SUFFIX = re.compile(r",\s*(Jr|Sr|II|III|IV)\.?\s*$")


class AtomFormatError(ValueError):
    """A body that is not a well-formed, safe Atom feed."""


@dataclass
class AtomPage:
    """One API response.

    ``results`` has one entry per ``<entry>`` in order. ``total_results``,
    ``start_index`` and ``items_per_page`` are the opensearch counters (None when
    absent). ``error_message`` is the API's own message for an error feed, else None.
    """

    results: list[ParseResult] = field(default_factory=list)
    total_results: int | None = None
    start_index: int | None = None
    items_per_page: int | None = None
    error_message: str | None = None


def parse_feed(data: bytes, locator: str) -> AtomPage:
    """Parse one Atom feed body; entry errors read "<locator> entry N" (N from 1).

    Raises:
        AtomFormatError: not well-formed XML, a DTD or entity declaration (refused,
            never expanded), or a root other than Atom ``<feed>``.
    """
    try:
        root = SafeET.fromstring(xml_safe(data), forbid_dtd=True)
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise AtomFormatError(
            f"{locator}: malformed XML at line {line} column {column}: {exc}"
        ) from exc
    except DefusedXmlException as exc:
        raise AtomFormatError(
            f"{locator}: refused XML with a DTD or entity declarations ({type(exc).__name__})"
        ) from exc
    if root.tag != f"{ATOM_NS}feed":
        raise AtomFormatError(f"{locator}: not an Atom feed (root {root.tag})")
    page = AtomPage(
        total_results=_int(root.findtext(f"{OPENSEARCH_NS}totalResults")),
        start_index=_int(root.findtext(f"{OPENSEARCH_NS}startIndex")),
        items_per_page=_int(root.findtext(f"{OPENSEARCH_NS}itemsPerPage")),
    )
    for number, entry in enumerate(root.iter(f"{ATOM_NS}entry"), start=1):
        entry_locator = f"{locator} entry {number}"
        entry_id = _text(entry, f"{ATOM_NS}id")
        if _ERROR_ID.search(entry_id):
            message = _text(entry, f"{ATOM_NS}summary") or entry_id
            page.error_message = page.error_message or message
            page.results.append(RecordError(ATOM, entry_locator, f"arXiv API error: {message}"))
            continue
        try:
            page.results.append(_entry(entry, entry_id, entry_locator))
        except (ValueError, identifiers.InvalidArxivId) as exc:
            page.results.append(RecordError(ATOM, entry_locator, str(exc)))
    return page


def unwrap(data: bytes) -> tuple[int | None, bytes]:
    """Split a recording ``{"url", "status_code", "body"}`` into (status, body bytes).

    A raw feed comes back as ``(None, data)``.

    Raises:
        AtomFormatError: JSON that is not such a recording.
    """
    if not data.lstrip().startswith(b"{"):
        return None, data
    try:
        wrapper = json.loads(data)
        body = wrapper["body"]
        status = wrapper.get("status_code")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AtomFormatError(f"not a recorded API response: {exc}") from exc
    except RecursionError as exc:
        raise AtomFormatError("not a recorded API response: JSON nested too deeply") from exc
    if not isinstance(body, str) or not (status is None or isinstance(status, int)):
        raise AtomFormatError("not a recorded API response: body must be a string")
    return status, _undo_mojibake(body).encode("utf-8")


def _undo_mojibake(body: str) -> str:
    """Repair a body whose UTF-8 bytes were decoded as Latin-1 when it was recorded.

    Recordings made with ``requests`` and no charset header hold "AzaÃ¯s" for
    "Azaïs". Re-encoding as Latin-1 and decoding as UTF-8 only succeeds when every
    character is below U+0100 and the bytes form valid UTF-8, which a genuinely
    Latin-1 text with accents practically never does; anything else is kept.
    """
    if body.isascii():
        return body
    try:
        return body.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return body


def parse(path: Path) -> ParseStream:
    """Yield a record or a RecordError for every entry of a feed file (raw or recording).

    A file that cannot be read or parsed yields one RecordError naming it; a recording
    with an error status and no error entry yields one RecordError with the status.
    """
    locator = str(path)
    try:
        status, body = unwrap(Path(path).read_bytes())
        page = parse_feed(body, locator)
    except OSError as exc:
        yield RecordError(ATOM, locator, f"cannot read file: {exc}")
        return
    except AtomFormatError as exc:
        yield RecordError(ATOM, locator, str(exc))
        return
    if status is not None and status >= 400 and page.error_message is None:
        yield RecordError(ATOM, locator, f"recorded HTTP {status} response")
        return
    yield from page.results


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


def _text(elem: Element, tag: str) -> str:
    child = elem.find(tag)
    return fold_whitespace("".join(child.itertext())) if child is not None else ""


def _timestamp(raw: str, what: str) -> datetime | None:
    """``raw`` as UTC, None when empty.

    Raises:
        DateError: not a date; the message names the element.
    """
    if not raw:
        return None
    try:
        return parse_timestamp(raw)
    except DateError as exc:
        raise DateError(f"<{what}>: {exc}") from None


def _entry(entry: Element, entry_id: str, locator: str) -> PaperRecord:
    if not entry_id:
        raise ValueError("entry has no <id>")
    parsed = identifiers.parse(entry_id)
    title = _text(entry, f"{ATOM_NS}title")
    if not title:
        raise ValueError("missing or empty <title>")
    problems: list[str] = []
    published = _timestamp(_text(entry, f"{ATOM_NS}published"), "published")
    try:
        updated = _timestamp(_text(entry, f"{ATOM_NS}updated"), "updated")
    except DateError as exc:
        updated = None
        problems.append(f"{exc}; the date was dropped")
    categories = [
        term for c in entry.findall(f"{ATOM_NS}category") if (term := (c.get("term") or "").strip())
    ]
    primary = entry.find(f"{ARXIV_NS}primary_category")
    doi = _text(entry, f"{ARXIV_NS}doi")
    comments = _text(entry, f"{ARXIV_NS}comment")
    links = []
    for link in entry.findall(f"{ATOM_NS}link"):
        href = (link.get("href") or "").strip()
        kind = link.get("title") or link.get("rel") or ""
        if kind == "doi" and not doi:
            doi = re.sub(r"^https?://(?:dx\.)?doi\.org/", "", href)
        elif href and kind not in ("alternate", "pdf", "doi"):
            links.append(href)
    return PaperRecord(
        source_format=ATOM,
        locator=locator,
        arxiv_id=parsed.base,
        title=title,
        abstract=_text(entry, f"{ATOM_NS}summary"),
        authors=[_author(a) for a in entry.findall(f"{ATOM_NS}author")],
        categories=categories,
        primary_category=(primary.get("term") or "").strip() if primary is not None else "",
        versions=_versions(parsed.version, published, updated),
        published=published,
        updated=updated,
        comments=comments,
        journal_ref=_text(entry, f"{ARXIV_NS}journal_ref"),
        doi=doi,
        links=links,
        withdrawn=is_withdrawal_notice(comments),
        problems=problems,
    )


def _versions(
    number: int | None, published: datetime | None, updated: datetime | None
) -> list[VersionInfo]:
    """The versions an entry dates: v``number`` at ``updated``, and v1 at ``published``.

    ``<published>`` is v1's submission whatever version the entry describes, so an
    entry for v7 still says when v1 came out; without it the paper would take v7's
    date as its own.
    """
    if not number:
        return []
    if number == 1:
        return [VersionInfo(1, published or updated)]
    first = [VersionInfo(1, published)] if published else []
    return [*first, VersionInfo(number, updated)]


def _author(elem: Element) -> AuthorName:
    name = _COMMA_SUFFIX.sub(r" \1.", _text(elem, f"{ATOM_NS}name"))
    affiliations = [fold_whitespace(a.text or "") for a in elem.findall(f"{ARXIV_NS}affiliation")]
    author = parse_name(name)
    affiliation = "; ".join(a for a in affiliations if a)
    return replace(author, affiliation=affiliation) if affiliation else author
