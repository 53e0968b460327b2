"""Kaggle arXiv metadata snapshot: one JSON object per line.

Spec: https://www.kaggle.com/datasets/Cornell-University/arxiv (file
``arxiv-metadata-oai-snapshot.json``). Fields: ``id``, ``submitter``, ``authors``,
``title``, ``comments``, ``journal-ref``, ``doi``, ``report-no``, ``categories``
(space separated), ``license``, ``abstract``, ``versions`` (``[{"version": "v1",
"created": "Mon, 2 Apr 2007 19:18:42 GMT"}, ...]``), ``update_date``,
``authors_parsed`` (``[[keyname, forenames, suffix, affiliation?], ...]``).

This path bulk-loads millions of lines, so each line costs one ``json.loads``
and a few string operations; nothing here may be quadratic or regex-heavy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from papertrend.papers import identifiers
from papertrend.papers.authors import split_authors
from papertrend.papers.formats import is_withdrawal_notice, parse_arxiv_date
from papertrend.papers.records import (
    KAGGLE,
    AuthorName,
    PaperRecord,
    ParseResult,
    ParseStream,
    RecordError,
    VersionInfo,
)
from papertrend.papers.text import fold_whitespace


def parse(path: Path) -> ParseStream:
    """Yield one PaperRecord per JSON line of ``path``, or a RecordError for a bad line.

    Locators are ``"<path> line N"`` (1-based). A line that is not valid JSON or
    UTF-8, is not an object, lacks ``id`` or ``title``, or has an invalid arXiv id
    or version list becomes a RecordError; blank lines are skipped.

    Authors come from ``authors_parsed`` (arXiv's own split; note that it has TeX
    accents already decoded, e.g. ``Balázs`` where ``authors`` says ``Bal\\'azs``),
    falling back to splitting ``authors`` when ``authors_parsed`` is absent.

    Raises:
        OSError: ``path`` cannot be opened.
    """
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.isspace() or not raw:
                continue
            yield parse_line(raw, f"{path} line {number}")


def parse_line(raw: bytes | str, locator: str) -> ParseResult:
    """Turn one JSON line into a PaperRecord, or a RecordError saying what was wrong."""
    try:
        row = json.loads(raw)
    except ValueError as exc:
        return RecordError(KAGGLE, locator, f"invalid JSON: {exc}")
    if not isinstance(row, dict):
        return RecordError(KAGGLE, locator, f"expected a JSON object, got {type(row).__name__}")
    try:
        return _record(row, locator)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return RecordError(KAGGLE, locator, str(exc) or type(exc).__name__)


def _record(row: dict[str, Any], locator: str) -> PaperRecord:
    raw_id = row.get("id")
    if not raw_id or not isinstance(raw_id, str):
        raise ValueError("missing id")
    try:
        arxiv_id = identifiers.normalize(raw_id)
    except identifiers.InvalidArxivId as exc:
        raise ValueError(str(exc)) from None
    title = fold_whitespace(row.get("title"))
    if not title:
        raise ValueError(f"{arxiv_id}: missing title")
    versions = _versions(row.get("versions") or [], arxiv_id)
    comments = fold_whitespace(row.get("comments"))
    categories = (row.get("categories") or "").split()
    return PaperRecord(
        source_format=KAGGLE,
        locator=locator,
        title=title,
        arxiv_id=arxiv_id,
        abstract=fold_whitespace(row.get("abstract")),
        authors=_authors(row),
        categories=categories,
        versions=versions,
        published=versions[0].submitted if versions else None,
        updated=versions[-1].submitted if versions else None,
        comments=comments,
        journal_ref=fold_whitespace(row.get("journal-ref")),
        doi=fold_whitespace(row.get("doi")),
        report_no=fold_whitespace(row.get("report-no")),
        license=(row.get("license") or "").strip(),
        submitter=fold_whitespace(row.get("submitter")),
        withdrawn=is_withdrawal_notice(comments),
    )


def _versions(raw: list[dict[str, str]], arxiv_id: str) -> list[VersionInfo]:
    versions = []
    for item in raw:
        label = item.get("version", "")
        if not label.startswith("v") or not label[1:].isdigit():
            raise ValueError(f"{arxiv_id}: bad version label {label!r}")
        created = item.get("created")
        versions.append(
            VersionInfo(
                number=int(label[1:]),
                submitted=parse_arxiv_date(created) if created else None,
            )
        )
    versions.sort(key=lambda version: version.number)
    return versions


def _authors(row: dict[str, Any]) -> list[AuthorName]:
    parsed = row.get("authors_parsed")
    if parsed:
        return [_author(parts) for parts in parsed if parts and any(parts)]
    text = row.get("authors")
    if not text:
        return []
    return split_authors(text)


def _author(parts: list[str]) -> AuthorName:
    keyname = fold_whitespace(parts[0])
    forenames = fold_whitespace(parts[1]) if len(parts) > 1 else ""
    suffix = fold_whitespace(parts[2]) if len(parts) > 2 else ""
    affiliation = "; ".join(fold_whitespace(part) for part in parts[3:] if part)
    if not keyname and forenames:  # collaborations sometimes land in the forenames slot
        keyname, forenames = forenames, ""
    return AuthorName(keyname, forenames, suffix, affiliation)
