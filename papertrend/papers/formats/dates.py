"""One lenient date parser for every format: strict ISO 8601 first, then shapes seen in the wild.

Accepted, in this order:

1. ISO 8601 as Python reads it (``2025-09-10``, ``2025-09-10T08:30:00Z``,
   ``2025-09-10 08:30:00+02:00``);
2. year-first numeric dates without zero padding or with other separators
   (``2025-9-10``, ``2025/9/1``, ``2025.09.10``, ``2025-9-10T8:05:00Z``), which
   are unambiguous because the four-digit year comes first;
3. dates with a month name (``Mon, 2 Apr 2007 19:18:42 GMT``, ``2 Apr 2007``,
   ``April 2, 2007``, ``Sep 10 2025``), RFC 2822 included;
4. day-first or month-first numeric dates (``13/9/2025``) only when one reading is
   impossible (a part over 12); ``9/10/2025`` is refused as ambiguous.

Two-digit years are refused (``25-9-10`` could be any order). A time without a
zone is UTC, as arXiv's dates are. python-dateutil was considered and not used:
its parser accepts ambiguous and partial input silently (``9/10/2025`` becomes
10 September, a lone ``May`` becomes this year's May), which is exactly what an
importer must report instead.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, date, datetime, timedelta, timezone

__all__ = ["DateError", "parse_day", "parse_timestamp"]

_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_TIME = (
    r"(?:[T ]\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<frac>\d{1,6}))?)?)?"
    r"\s*(?P<zone>Z|UTC|GMT|UT|[+-]\d{2}:?\d{2})?"
)
_YEAR_FIRST = re.compile(
    r"(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})" + _TIME,
    re.IGNORECASE,
)
_NUMERIC_OTHER = re.compile(
    r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{2,4})" + _TIME, re.IGNORECASE
)
_NAMED = re.compile(
    r"(?:[A-Za-z]{3,9},?\s+)?"  # weekday, ignored
    r"(?:(?P<day1>\d{1,2})\s+(?P<month1>[A-Za-z]{3,9})\.?,?\s+(?P<year1>\d{4})"
    r"|(?P<month2>[A-Za-z]{3,9})\.?\s+(?P<day2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year2>\d{4})"
    r"|(?P<year3>\d{4})\s+(?P<month3>[A-Za-z]{3,9})\.?\s+(?P<day3>\d{1,2}))"
    r"(?:,?\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
    r"\s*(?P<zone>Z|UTC|GMT|UT|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


class DateError(ValueError):
    """Text that is not a date, or not an unambiguous one; the message says which and why."""


def parse_timestamp(text: str | None) -> datetime:
    """Parse ``text`` (see the module docstring) into a timezone-aware UTC datetime.

    A date without a time is 00:00 UTC.

    Raises:
        DateError: empty, not a date, an impossible date (``2025-02-30``), or ambiguous
            (``9/10/2025``, a two-digit year).
    """
    raw = " ".join((text or "").split())
    if not raw:
        raise DateError("empty date")
    try:
        return _utc(datetime.fromisoformat(raw))
    except ValueError:
        pass
    for parse in (_year_first, _named, _other_numeric):
        found = parse(raw)
        if found is not None:
            return found
    try:
        return _utc(email.utils.parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError):
        pass
    raise DateError(f"not a date: {raw!r}")


def parse_day(text: str | None) -> date:
    """The UTC day of :func:`parse_timestamp` (``2025-9-10`` → ``date(2025, 9, 10)``).

    Raises:
        DateError: as :func:`parse_timestamp`.
    """
    return parse_timestamp(text).date()


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _zone(raw: str | None) -> timezone:
    if not raw or raw.upper() in ("Z", "UTC", "GMT", "UT"):
        return UTC
    sign = -1 if raw[0] == "-" else 1
    digits = raw[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _build(raw: str, year: int, month: int, day: int, match: re.Match[str]) -> datetime:
    """The datetime a match names; an impossible day or time is a :class:`DateError`."""
    try:
        fraction = (match.groupdict().get("frac") or "0").ljust(6, "0")
        value = datetime(
            year,
            month,
            day,
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            int(fraction),
            tzinfo=_zone(match["zone"]),
        )
    except ValueError as exc:
        raise DateError(f"no such date: {raw!r} ({exc})") from None
    return value.astimezone(UTC)


def _year_first(raw: str) -> datetime | None:
    match = _YEAR_FIRST.fullmatch(raw)
    if match is None:
        return None
    return _build(raw, int(match["year"]), int(match["month"]), int(match["day"]), match)


def _named(raw: str) -> datetime | None:
    match = _NAMED.fullmatch(raw)
    if match is None:
        return None
    for n in "123":
        if match[f"year{n}"]:
            name = match[f"month{n}"].lower()
            month = _MONTH_NAMES.get(name)
            if month is None:
                raise DateError(f"unknown month {match[f'month{n}']!r} in {raw!r}")
            return _build(raw, int(match[f"year{n}"]), month, int(match[f"day{n}"]), match)
    return None  # pragma: no cover - the pattern always fills one alternative


def _other_numeric(raw: str) -> datetime | None:
    match = _NUMERIC_OTHER.fullmatch(raw)
    if match is None:
        return None
    if len(match["year"]) != 4:
        raise DateError(f"ambiguous date {raw!r}: two-digit year, day and month order unknown")
    a, b = int(match["a"]), int(match["b"])
    if a > 12 >= b:
        day, month = a, b
    elif b > 12 >= a:
        month, day = a, b
    elif a == b:
        day = month = a
    else:
        raise DateError(f"ambiguous date {raw!r}: day and month could be either way round")
    return _build(raw, int(match["year"]), month, day, match)
