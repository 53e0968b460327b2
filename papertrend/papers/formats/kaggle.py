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
        # strict=False: a raw control character (a NUL byte, say) inside a string is
        # accepted as that character; ingest removes NULs (papers/validation.py).
        row = json.loads(raw, strict=False)
    except ValueError as exc:
        return RecordError(KAGGLE, locator, f"invalid JSON: {exc}")
    except RecursionError:
        return RecordError(KAGGLE, locator, "invalid JSON: nested too deeply to read")
    if not isinstance(row, dict):
        return RecordError(KAGGLE, locator, f"expected a JSON object, got {type(row).__name__}")
    try:
        _check_types(row)
        return _record(row, locator)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return RecordError(KAGGLE, locator, str(exc) or type(exc).__name__)


# The JSON type each field must have when present (null counts as absent).
_STRING_FIELDS = (
    "id",
    "submitter",
    "authors",
    "title",
    "comments",
    "journal-ref",
    "doi",
    "report-no",
    "categories",
    "license",
    "abstract",
)


def _check_types(row: dict[str, Any]) -> None:
    """Raise ValueError naming the first field whose JSON type is not what the spec says."""
    for name in _STRING_FIELDS:
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name}: expected a string, got {_json_type(value)}")
    versions = row.get("versions")
    if versions is not None:
        if not isinstance(versions, list):
            raise ValueError(f"versions: expected a list, got {_json_type(versions)}")
        for item in versions:
            if not isinstance(item, dict):
                raise ValueError(f"versions: expected objects, got {_json_type(item)}")
            for key in ("version", "created"):
                if item.get(key) is not None and not isinstance(item[key], str):
                    raise ValueError(f"versions: {key} is {_json_type(item[key])}, not a string")
    parsed = row.get("authors_parsed")
    if parsed is not None and not (
        isinstance(parsed, list)
        and all(
            isinstance(parts, list) and all(isinstance(p, str | None) for p in parts)
            for parts in parsed
        )
    ):
        raise ValueError("authors_parsed: expected a list of lists of strings")


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", bool: "a boolean", str: "a string"}
    if isinstance(value, float) and value != value:
        return "NaN"
    return names.get(type(value), "a number")


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
    problems: list[str] = []
    versions = _versions(row.get("versions") or [], arxiv_id, problems)
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
        problems=problems,
    )


def _versions(raw: list[dict[str, str]], arxiv_id: str, problems: list[str]) -> list[VersionInfo]:
    """The ``versions`` list, sorted by number; dates are read leniently (``formats.dates``).

    An unreadable or ambiguous ``created`` of v1 makes the line an error (v1's date is
    the paper's own); a later version's is dropped and noted in ``problems``.

    Raises:
        ValueError: a bad version label, or v1's date cannot be read.
    """
    versions = []
    for item in raw:
        label = item.get("version", "")
        if not label.startswith("v") or not label[1:].isdigit():
            raise ValueError(f"{arxiv_id}: bad version label {label!r}")
        created = item.get("created")
        submitted = None
        if created:
            try:
                submitted = parse_arxiv_date(created)
            except ValueError as exc:
                if label == "v1":
                    raise ValueError(f"{arxiv_id}: {label} date: {exc}") from None
                problems.append(f"{label} date: {exc}; it was dropped")
        versions.append(VersionInfo(number=int(label[1:]), submitted=submitted))
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
