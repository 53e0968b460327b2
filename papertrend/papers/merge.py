"""How one source record changes a stored paper: the newest version wins.

A record is *newer* than the stored paper when its (last-updated day, latest
version) is greater. A newer record replaces every field it has; a record that
is not newer only fills fields the paper lacks. Versions are a union by number.
Equal rank counts as not newer, so re-ingesting the same files in any order
converges and a second pass changes nothing.

Dates: ``published`` is always v1's date, whichever version a source describes;
``announced`` is the earliest day any source says the paper was announced (a
listing, a trending page, the OAI datestamp of its first version) or, for a paper
papertrend had not seen before, the day a live harvest first saw its first version
(see :func:`_seen_as_announcement`). ``Paper.feed_day`` follows from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from papertrend.papers.records import AuthorName, PaperRecord, plausible_announcement

# Scalar text fields copied from a record to the paper.
TEXT_FIELDS = (
    "title",
    "abstract",
    "comments",
    "journal_ref",
    "doi",
    "report_no",
    "license",
    "msc_class",
    "acm_class",
    "submitter",
)


@dataclass
class VersionState:
    """A version as stored: ``submitted`` UTC or None, ``size`` as arXiv prints it."""

    submitted: datetime | None = None
    size: str = ""


@dataclass
class PaperState:
    """The mutable view of one paper while a batch is merged into it."""

    fields: dict[str, Any]
    versions: dict[int, VersionState] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)

    def rank(self) -> tuple[date, int]:
        """(last-updated day, latest version) of what is stored."""
        updated = self.fields.get("updated") or self.fields.get("published")
        day = updated.date() if updated else date.min
        return (day, max(self.versions, default=self.fields.get("latest_version", 0)))


def record_rank(record: PaperRecord) -> tuple[date, int]:
    """(last-updated day, latest version) that ``record`` describes."""
    dated = [v.submitted for v in record.versions if v.submitted]
    updated = max(dated) if dated else (record.updated or record.published)
    number = max((v.number for v in record.versions), default=0)
    return (updated.date() if updated else date.min, number)


def authors_as_json(authors: list[AuthorName]) -> list[dict[str, str]]:
    """AuthorName list → the JSON stored on Paper.authors (empty parts omitted)."""
    rows = []
    for author in authors:
        row = {"keyname": author.keyname, "forenames": author.forenames}
        if author.suffix:
            row["suffix"] = author.suffix
        if author.affiliation:
            row["affiliation"] = author.affiliation
        rows.append(row)
    return rows


def _record_values(record: PaperRecord) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(record, name) for name in TEXT_FIELDS}
    values["authors"] = authors_as_json(record.authors)
    values["categories"] = list(dict.fromkeys(record.categories))
    values["primary_category"] = record.primary_category
    return values


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def merge_record(state: PaperState, record: PaperRecord) -> bool:
    """Fold ``record`` into ``state`` in place; return True when anything changed.

    See the module docstring for the rules.
    """
    first_seen = not state.fields and not state.versions
    newer = record_rank(record) > state.rank()
    changed = False
    for name, value in _record_values(record).items():
        if _is_empty(value):
            continue
        if newer or _is_empty(state.fields.get(name)):
            changed |= _set(state, name, value)
    # Withdrawal is a property of the newest version: an older record never sets or clears it.
    if record.withdrawn is not None and (newer or state.fields.get("withdrawn") is None):
        changed |= _set(state, "withdrawn", record.withdrawn)
    for version in record.versions:
        stored = state.versions.get(version.number)
        if stored is None:
            stored = state.versions[version.number] = VersionState()
            changed = True
        if stored.submitted is None and version.submitted is not None:
            stored.submitted = version.submitted
            changed = True
        if not stored.size and version.size:
            stored.size = version.size
            changed = True
    changed |= _merge_dates(state, record)
    announced = state.fields.get("announced")
    day = record.announced
    if day is None and first_seen:
        day = _seen_as_announcement(record)
    if day and (announced is None or day < announced):
        changed |= _set(state, "announced", day)
    for link in record.links:
        if link not in state.links:
            state.links.append(link)
            changed = True
    return changed


def _seen_as_announcement(record: PaperRecord) -> date | None:
    """The day a live harvest saw a paper papertrend did not know, if that was its announcement.

    It was when the record is the paper's first version alone and came out within
    ``ANNOUNCEMENT_WINDOW`` of that day (a paper held in moderation is announced late;
    an older one was announced long before papertrend asked for it). A record of a
    later version never counts: its paper was announced with v1.
    """
    if record.seen is None:
        return None
    numbers = [v.number for v in record.versions]
    if max(numbers, default=1) != 1:
        return None
    first = record.versions[0].submitted if record.versions else record.published
    return record.seen if plausible_announcement(first, record.seen) else None


def _set(state: PaperState, name: str, value: Any) -> bool:
    if state.fields.get(name) == value:
        return False
    state.fields[name] = value
    return True


def _merge_dates(state: PaperState, record: PaperRecord) -> bool:
    """Derive published/updated/latest_version from versions and the record's dates.

    ``published`` is v1's date: v1's own when a source dated it, else the earliest
    date anything gave (a record for v7 alone must not make v7's date the paper's).
    ``updated`` is the latest version's date, else the latest date given.
    """
    fields = state.fields
    changed = False
    if state.versions:
        changed |= _set(state, "latest_version", max(state.versions))
    first = state.versions.get(1)
    if first is not None and first.submitted is not None:
        changed |= _set(state, "published", first.submitted)
    else:
        dated = [v.submitted for v in state.versions.values() if v.submitted is not None]
        known = [d for d in (fields.get("published"), record.published, *dated) if d is not None]
        if known:
            changed |= _set(state, "published", min(known))
    latest = state.versions.get(max(state.versions)) if state.versions else None
    if latest is not None and latest.submitted is not None:
        changed |= _set(state, "updated", latest.submitted)
    else:
        updated = fields.get("updated")
        if record.updated and (updated is None or record.updated > updated):
            changed |= _set(state, "updated", record.updated)
    return changed
