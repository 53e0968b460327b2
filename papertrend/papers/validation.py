"""What the database accepts: repair or refuse a parsed record before the ingest writes it.

A record from any parser can hold text a database refuses. Two defects are repaired,
because the fix loses no meaning:

* NUL characters (``\\x00``) are removed. PostgreSQL refuses them in text columns and
  (as ``\\u0000``) in jsonb; no arXiv metadata field means anything by one.
* Lone UTF-16 surrogates (``"\\ud800"``, valid JSON escapes but not Unicode characters,
  so neither database can store them as UTF-8) become U+FFFD REPLACEMENT CHARACTER,
  which is what a UTF-8 decoder shows for the same damage.

Everything else the database would refuse makes the record invalid, with the field
named: a value longer than its column (``doi``, ``license``, ``submitter``,
``msc_class``, ``acm_class``, a category or the arXiv id, a version's size, a code
repository's owner or name), a version number outside 1..2,147,483,647 (PostgreSQL's
``integer``), a title that is empty once repaired. Limits come from the models, so a
migration that widens a column widens the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields, replace
from functools import cache
from typing import Any

from django.db.backends.base.operations import BaseDatabaseOperations

from papertrend.coderepos.linking import refs_for
from papertrend.coderepos.models import Repository
from papertrend.papers.models import Paper, PaperCategory, PaperSource, Version
from papertrend.papers.records import AuthorName, PaperRecord, VersionInfo

_SURROGATE = re.compile("[\ud800-\udfff]")
_LIMITED_TEXT = ("doi", "license", "msc_class", "acm_class", "submitter", "primary_category")
_MAX_VERSION = BaseDatabaseOperations.integer_field_ranges["PositiveIntegerField"][1]
_REPO_FIELDS = ("host", "owner", "name", "key")


class InvalidRecord(ValueError):
    """The database would refuse ``field`` of a record; the message says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


@cache
def _limit(model: Any, name: str) -> int:
    max_length: int = model._meta.get_field(name).max_length
    return max_length


def clean_text(value: str) -> str:
    """``value`` without NUL characters and with lone surrogates replaced by U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = _SURROGATE.sub("\ufffd", value)
    return value


def repair(record: PaperRecord) -> tuple[PaperRecord, list[str]]:
    """Repair NULs and lone surrogates in every text of ``record``.

    Returns the record (the same object when nothing needed repair, else a copy)
    and one note per repaired field, e.g. ``"title: removed NUL characters"``.
    """
    notes: list[str] = []
    if _is_clean(_all_text(record)):
        return record, notes  # fast path: one scan of all the text (nearly every record)
    changes: dict[str, Any] = {}
    for item in fields(record):
        value = getattr(record, item.name)
        defects = {defect for text in _texts(value) for defect in _defects(text)}
        if defects:
            changes[item.name] = _clean_value(value)
            notes.append(f"{item.name}: {' and '.join(sorted(defects))}")
    if not changes:
        return record, notes
    return replace(record, **changes), notes


def _all_text(record: PaperRecord) -> str:
    """Every string of ``record`` joined into one, for a single scan (see :func:`_texts`)."""
    parts: list[str] = []
    for value in vars(record).values():
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    parts.append(item)
                elif isinstance(item, AuthorName):
                    parts += (item.keyname, item.forenames, item.suffix, item.affiliation)
                elif isinstance(item, VersionInfo):
                    parts.append(item.size)
    return "\n".join(parts)


def _texts(value: Any) -> Iterator[str]:
    """Every string inside a record field (authors and versions included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, AuthorName):
        yield from _author_parts(value)
    elif isinstance(value, VersionInfo):
        yield value.size
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _is_clean(text: str) -> bool:
    """No NUL and no lone surrogate in ``text``."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _defects(text: str) -> list[str]:
    found = []
    if "\x00" in text:
        found.append("removed NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        found.append("replaced lone surrogates with U+FFFD")
    return found


def _clean_value(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, AuthorName):
        return AuthorName(*(clean_text(part) for part in _author_parts(value)))
    if isinstance(value, VersionInfo):
        return replace(value, size=clean_text(value.size))
    if isinstance(value, list):
        return [_clean_value(item) for item in value]
    return value


def _author_parts(author: AuthorName) -> tuple[str, str, str, str]:
    return (author.keyname, author.forenames, author.suffix, author.affiliation)


def check(record: PaperRecord) -> None:
    """Raise :class:`InvalidRecord` when the database would refuse part of ``record``.

    Expects a repaired record (see :func:`repair`): NULs and surrogates are not checked.
    """
    if not record.title.strip():
        raise InvalidRecord("title", "empty")
    _check_length("arxiv_id", record.arxiv_id or "", _limit(Paper, "arxiv_id"))
    category_limit = _limit(PaperCategory, "category")
    for code in record.categories:
        _check_length("categories", code, category_limit)
    for name in _LIMITED_TEXT:
        _check_length(name, getattr(record, name), _limit(Paper, name))
    _check_length("source_format", record.source_format, _limit(PaperSource, "source_format"))
    size_limit = _limit(Version, "size")
    for version in record.versions:
        if not 1 <= version.number <= _MAX_VERSION:
            raise InvalidRecord("versions", f"version number {version.number} is out of range")
        _check_length("versions", version.size, size_limit, f"v{version.number} size")
    _check_repositories(record)


def _check_length(field: str, value: str, limit: int, what: str = "") -> None:
    if len(value) > limit:
        raise InvalidRecord(
            field, f"{what or 'value'} is {len(value)} characters long; the limit is {limit}"
        )


def _check_repositories(record: PaperRecord) -> None:
    """Code repositories named in the record must fit ``coderepos.Repository``."""
    if not record.links and "git" not in record.abstract and "git" not in record.comments:
        return  # fast path: nothing to extract (the bulk of a snapshot)
    for ref, where in refs_for(record.abstract, record.comments, record.links):
        for name in _REPO_FIELDS:
            value = ref.key if name == "key" else getattr(ref, name)
            limit = _limit(Repository, name)
            if len(value) > limit:
                field = "links" if where == "link" else where
                raise InvalidRecord(
                    field,
                    f"code repository {name} {value[:60]!r}... is {len(value)} characters "
                    f"long; the limit is {limit}",
                )
