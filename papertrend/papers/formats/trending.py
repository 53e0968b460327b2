"""A trending-papers web page (e.g. https://huggingface.co/papers) saved as plain text.

There is no spec; the layout is what a browser's "save as text" gives::

    new                                      <- page chrome, skipped
    Get trending papers in your email inbox!
    Subscribe
    byAK and the research community
    Mar 14                                   <- the day shown; becomes ``announced``

    Learning to Actively Learn: A Robust Approach     <- title (one line)

    This work proposes a procedure for ...           <- abstract (one long line)

    General-Purpose In-Context Learning by ...       <- next title
    ...

Each paragraph is one line and paragraphs are separated by blank lines; papers
alternate title, abstract. A title is told from an abstract by shape: titles are
short (the real page's longest has 16 words) and never end in a full stop, while
an abstract of any length, even one short sentence, ends in one. So a paper
missing its abstract, or an abstract split into two paragraphs, does not shift
every later pairing, and a short abstract is not taken for the title of a paper
of its own. Papers carry no arXiv id: ``arxiv_id`` is None and ingest matches
them by title.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from papertrend.papers.records import TRENDING_PAGE, PaperRecord, ParseStream, RecordError
from papertrend.papers.text import fold_whitespace

_CHROME = re.compile(
    r"^(?:new|get trending papers in your email inbox!?|subscribe|"
    r"by\s*ak and the research community|trending papers|daily papers|submit|"
    r"previous|next|load more|search)$",
    re.IGNORECASE,
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE_LINE = re.compile(
    r"^(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(?P<day>\d{1,2})"
    r"(?:,?\s+(?P<year>\d{4}))?$",
    re.IGNORECASE,
)
_TITLE_MAX = 300  # longest real title on the page is 115 characters; abstracts run 1,400+
_TITLE_MAX_WORDS = 30  # longest real title has 16 words


def parse(path: Path) -> ParseStream:
    """Yield one PaperRecord per paper on the page, or a RecordError for a stray paragraph.

    Records: ``arxiv_id=None``, ``title``, ``abstract`` (folded), ``source_format=
    "trending-page"``, ``announced`` = the page's date line. A date line without a
    year ("Mar 14") resolves to the most recent such day not after the file's
    modification time (a saved page is at most a year older than its file).
    Locators are ``"<path> paper N (line L)"`` with L the title's 1-based line.
    An abstract-like paragraph with no title before it becomes a RecordError.

    Raises:
        OSError: ``path`` cannot be read.
    """
    text = path.read_bytes().decode("utf-8", errors="replace")
    saved = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()
    yield from parse_text(text, str(path), saved)


def parse_text(text: str, source: str, saved: date) -> ParseStream:
    """Parse page text; ``source`` prefixes locators, ``saved`` resolves year-less dates."""
    announced: date | None = None
    pending: tuple[int, str] | None = None  # (line number, title) awaiting its abstract
    last: PaperRecord | None = None
    papers = 0
    for number, line in _paragraphs(text):
        if _CHROME.match(line):
            continue
        day = _DATE_LINE.match(line)
        if day and pending is None:
            announced = _resolve_date(day, saved)
            continue
        if not _reads_as_prose(line):
            if pending is not None:  # two titles in a row: the first had no abstract
                papers += 1
                last = _record(source, papers, pending, "", announced)
                yield last
            pending = (number, line)
            continue
        if pending is not None:
            papers += 1
            last = _record(source, papers, pending, line, announced)
            yield last
            pending = None
        elif last is not None and last.abstract:
            last.abstract = (
                f"{last.abstract} {fold_whitespace(line)}"  # a second abstract paragraph
            )
        else:
            yield RecordError(
                TRENDING_PAGE, f"{source} line {number}", "abstract paragraph without a title"
            )
    if pending is not None:
        papers += 1
        yield _record(source, papers, pending, "", announced)


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """Non-blank lines, stripped, with their 1-based line numbers (any line ending)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [(index, line.strip()) for index, line in enumerate(lines, start=1) if line.strip()]


def _reads_as_prose(line: str) -> bool:
    """True for an abstract (or part of one), False for what can only be a title.

    Prose ends in a full stop (an ellipsis too) or is longer than any title; a short
    one-sentence abstract ("We release a dataset.") is still prose, not a title.
    """
    return line.endswith(".") or len(line) > _TITLE_MAX or len(line.split()) > _TITLE_MAX_WORDS


def _record(
    source: str, papers: int, title: tuple[int, str], abstract: str, announced: date | None
) -> PaperRecord:
    line, text = title
    return PaperRecord(
        source_format=TRENDING_PAGE,
        locator=f"{source} paper {papers} (line {line})",
        title=fold_whitespace(text),
        abstract=fold_whitespace(abstract),
        announced=announced,
    )


def _resolve_date(match: re.Match[str], saved: date) -> date | None:
    """The date a date line names; a year-less one is the latest such day on or before ``saved``."""
    month = _MONTHS.index(match["month"][:3].lower()) + 1
    day = int(match["day"])
    if match["year"]:
        try:
            return date(int(match["year"]), month, day)
        except ValueError:
            return None
    for year in range(saved.year, saved.year - 8, -1):  # eight years always include a Feb 29
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= saved:
            return candidate
    return None
