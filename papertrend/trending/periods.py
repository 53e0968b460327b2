"""Feed periods in Hugging Face Papers' URL shapes: a day, an ISO week, a month.

``2025-03-14`` (day), ``2025-W11`` (ISO 8601 week, Monday to Sunday), ``2025-03``
(calendar month). Parsing is strict: anything else, including impossible dates
(``2025-02-30``, ``2025-W54``, ``2025-13``), raises :class:`InvalidPeriod`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Kind = Literal["date", "week", "month"]
KINDS: tuple[Kind, ...] = ("date", "week", "month")

_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class InvalidPeriod(ValueError):
    """The text does not name a day, ISO week or month of that kind."""


@dataclass(frozen=True)
class Period:
    """Days ``start`` ≤ d < ``end`` of one ``kind``; ``slug`` is its URL form."""

    kind: Kind
    start: date
    end: date

    @property
    def slug(self) -> str:
        if self.kind == "date":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year:04d}-W{week:02d}"
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        """Heading text: "Friday, 14 March 2025", "Week 11 of 2025 (10 Mar to 16 Mar 2025)"."""
        if self.kind == "date":
            return f"{self.start:%A}, {self.start.day} {self.start:%B %Y}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            last = self.end - timedelta(days=1)
            return (
                f"Week {week} of {year} ({self.start.day} {self.start:%b} to "
                f"{last.day} {last:%b %Y})"
            )
        return f"{self.start:%B %Y}"

    def previous(self) -> Period | None:
        """The period just before (None before year 1)."""
        try:
            return period_containing(self.kind, self.start - timedelta(days=1))
        except (OverflowError, ValueError):
            return None

    def next(self) -> Period | None:
        """The period just after (None when it would end after 9999-12-31)."""
        try:
            return period_containing(self.kind, self.end)
        except (OverflowError, ValueError):
            return None


def period_containing(kind: Kind, day: date) -> Period:
    """The ``kind`` period ``day`` falls in.

    Raises:
        OverflowError, ValueError: the period would end after 9999-12-31.
    """
    if kind == "date":
        return Period(kind, day, day + timedelta(days=1))
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=7))
    start = day.replace(day=1)
    end = date(start.year + 1, 1, 1) if start.month == 12 else date(start.year, start.month + 1, 1)
    return Period(kind, start, end)


def parse_period(kind: str, text: str) -> Period:
    """Parse ``text`` as a period of ``kind`` (``date``, ``week`` or ``month``).

    Raises:
        InvalidPeriod: unknown kind, wrong shape, no such day, week or month, or a
            period ending after 9999-12-31 (its end is not a representable date).
    """
    try:
        if kind == "date" and (m := _DAY.fullmatch(text)):
            return period_containing("date", date(int(m[1]), int(m[2]), int(m[3])))
        if kind == "week" and (m := _WEEK.fullmatch(text)):
            return period_containing("week", date.fromisocalendar(int(m[1]), int(m[2]), 1))
        if kind == "month" and (m := _MONTH.fullmatch(text)):
            return period_containing("month", date(int(m[1]), int(m[2]), 1))
    except (ValueError, OverflowError) as exc:
        raise InvalidPeriod(f"no such {kind}: {text!r}") from exc
    raise InvalidPeriod(f"not a {kind}: {text!r}")


def period_or_404(kind: str, text: str) -> Period:
    """:func:`parse_period` for views: an invalid period is a page that does not exist.

    Raises:
        django.http.Http404: ``text`` is not a valid period of ``kind``.
    """
    from django.http import Http404

    try:
        return parse_period(kind, text)
    except InvalidPeriod as exc:
        raise Http404(str(exc)) from exc
