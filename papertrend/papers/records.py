"""The record every parser produces and the ingest pipeline consumes.

A parser turns one source record (a JSON line, an OAI ``<record>``, an Atom
``<entry>``, an ``.abs`` file, a block of a trending page) into a
:class:`PaperRecord`, or into a :class:`RecordError` naming where it was and what
was wrong, so that one bad record never stops the rest of a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

_POSITION = re.compile(r"(?::\d+)?(?::| |, )(?:line|record|entry|paper|item)\b.*$", re.IGNORECASE)

# Source formats, as stored in PaperSource.source_format and accepted by --format.
KAGGLE = "kaggle"
OAI_ARXIV = "oai-arXiv"
OAI_ARXIVRAW = "oai-arXivRaw"
OAI_DC = "oai_dc"
ATOM = "atom"
ABS = "abs"
TRENDING_PAGE = "trending-page"
FORMATS = (KAGGLE, OAI_ARXIV, OAI_ARXIVRAW, OAI_DC, ATOM, ABS, TRENDING_PAGE)

# How long after its v1 submission a paper can plausibly be announced for the first
# time (held in moderation, on hold for a licence question). A later OAI datestamp of
# a first version is a metadata fix, not an announcement (the real ListRecords page
# stamps a 2007 v1 with 2014-11-18), and a v1 first seen by a live harvest later than
# this was announced long before papertrend saw it. See docs/ingest.md.
ANNOUNCEMENT_WINDOW = timedelta(days=30)


def plausible_announcement(submitted: datetime | None, day: date) -> bool:
    """True when ``day`` can be the first announcement of a version submitted at ``submitted``.

    That is: ``day`` is the submission's UTC day or up to :data:`ANNOUNCEMENT_WINDOW`
    after it. False when ``submitted`` is unknown.
    """
    if submitted is None:
        return False
    first = submitted.date()
    return first <= day <= first + ANNOUNCEMENT_WINDOW


@dataclass(frozen=True)
class AuthorName:
    """One author as the source gives it; every part is TeX source, not yet plain text.

    ``keyname`` is the family name (or the whole name of a collaboration),
    ``forenames`` the given names, ``suffix`` "Jr", "III" and so on,
    ``affiliation`` whatever the source attached in parentheses.
    """

    keyname: str
    forenames: str = ""
    suffix: str = ""
    affiliation: str = ""

    @property
    def full_name(self) -> str:
        """ "Forenames Keyname Suffix" in TeX source."""
        return " ".join(part for part in (self.forenames, self.keyname, self.suffix) if part)


@dataclass(frozen=True)
class VersionInfo:
    """One arXiv version: ``number`` is 1 for v1; ``submitted`` is timezone-aware UTC."""

    number: int
    submitted: datetime | None = None
    size: str = ""  # as arXiv prints it, e.g. "377kb"


@dataclass
class PaperRecord:
    """A paper as one source record describes it.

    ``arxiv_id`` is versionless and normalized (see ``identifiers.normalize``) or
    None for a paper known only by its title (trending page). ``categories`` keeps
    the source order; ``primary_category`` is the first one unless a source says
    otherwise. ``withdrawn`` is None when the source cannot tell. Text fields keep
    the TeX source as given, with whitespace folded to single spaces.
    ``locator`` says where the record came from ("file.jsonl line 12").
    """

    source_format: str
    locator: str
    title: str
    arxiv_id: str | None = None
    abstract: str = ""
    authors: list[AuthorName] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    primary_category: str = ""
    versions: list[VersionInfo] = field(default_factory=list)
    published: datetime | None = None  # first version's date when no versions are given
    updated: datetime | None = None  # last version's date when no versions are given
    comments: str = ""
    journal_ref: str = ""
    doi: str = ""
    report_no: str = ""
    license: str = ""
    msc_class: str = ""
    acm_class: str = ""
    submitter: str = ""
    withdrawn: bool | None = None
    announced: date | None = None  # the day a listing, trending page or OAI datestamp showed it
    # The day a live harvest (the arXiv API) returned the record; a paper papertrend had
    # not seen before, whose first version this is, counts as announced that day.
    seen: date | None = None
    links: list[str] = field(default_factory=list)  # extra URLs the source gives (code, project)
    # Fields the parser could not read and dropped, each "what: why" ("updated: not a
    # date: '2025-19-40'"); the record loads without them and ingest reports them.
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.primary_category and self.categories:
            self.primary_category = self.categories[0]

    @property
    def origin(self) -> str:
        """The file or URL the record came from: its locator without the position part."""
        return _POSITION.sub("", self.locator)[:500]


@dataclass(frozen=True)
class RecordError:
    """A record that could not be parsed: where it was and why. Ingest skips it."""

    source_format: str
    locator: str
    message: str

    def __str__(self) -> str:
        return f"{self.locator}: {self.message}"


ParseResult = PaperRecord | RecordError
ParseStream = Iterator[ParseResult]
