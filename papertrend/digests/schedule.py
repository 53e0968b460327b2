"""When a subscriber's digest is due, and which period it covers.

A digest is due at ``hour``:00 local time in the subscriber's time zone, on weekdays
(Monday to Friday) for daily subscriptions, or on ``weekday`` (0 = Monday) for weekly
ones. Local times are resolved with :mod:`zoneinfo` and PEP 495 folds
(https://docs.python.org/3/library/datetime.html#datetime.datetime.fold,
https://peps.python.org/pep-0495/):

* a local time in a spring-forward gap does not exist; the digest goes out at the
  first valid instant after it (the transition itself, e.g. 03:00 EDT for 02:00
  on 2026-03-08 in New York);
* a local time in an autumn fold happens twice; the digest goes out at the first
  occurrence (``fold=0``), once: candidates are taken one per local day, so a day
  never yields two due times.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAILY = "daily"
WEEKLY = "weekly"
WEEKDAYS = range(5)  # Monday..Friday, as datetime.weekday() counts


class Schedulable(Protocol):
    """The subscriber fields the schedule reads (``digests.models.Subscriber`` has them)."""

    frequency: str
    weekday: int
    hour: int
    timezone: str


def zone_of(subscriber: Schedulable) -> ZoneInfo:
    """The subscriber's ``ZoneInfo``; UTC when the name is unknown.

    Forms validate the name; a zone removed from the tz database later must not
    stop every digest run, so it degrades to UTC instead of raising.
    """
    try:
        return ZoneInfo(subscriber.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _is_due_day(subscriber: Schedulable, day: date) -> bool:
    if subscriber.frequency == WEEKLY:
        return day.weekday() == subscriber.weekday
    return day.weekday() in WEEKDAYS


def resolve_local(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """The aware UTC instant of ``day`` at ``hour``:00 local time in ``zone``.

    Ambiguous (fold) times give the first occurrence; nonexistent (gap) times give
    the first valid instant after them, i.e. the transition that skipped them.
    """
    local = datetime.combine(day, time(hour), tzinfo=zone)  # fold=0
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # In a gap: fold=0 maps with the offset before the transition (at or after it),
    # fold=1 with the offset after (before it); the transition lies between.
    before = local.replace(fold=1).astimezone(UTC)
    after = instant
    old_offset = before.astimezone(zone).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(zone).utcoffset() == old_offset:
            before = middle
        else:
            after = middle
    return after.replace(microsecond=0)


def next_due(subscriber: Schedulable, after: datetime) -> datetime:
    """The first due instant strictly after ``after`` (aware), as an aware UTC datetime.

    Raises:
        ValueError: ``after`` is naive, or ``hour`` is not in 0..23.
    """
    if after.tzinfo is None:
        raise ValueError("next_due needs an aware datetime")
    if not 0 <= subscriber.hour <= 23:
        raise ValueError(f"hour must be 0..23, not {subscriber.hour}")
    zone = zone_of(subscriber)
    # Start a day early: a due time on the previous local date can still be later
    # than ``after`` only around folds, and checking it costs nothing.
    day = after.astimezone(zone).date() - timedelta(days=1)
    for _ in range(16):
        if _is_due_day(subscriber, day):
            due = resolve_local(day, subscriber.hour, zone)
            if due > after:
                return due
        day += timedelta(days=1)
    raise ValueError(f"no due day for weekday {subscriber.weekday}")  # weekday out of 0..6


def period_key(subscriber: Schedulable, due: datetime) -> str:
    """The digest's period: ``"daily:YYYY-MM-DD"`` or ``"weekly:YYYY-Www"``.

    Both use the local date of ``due`` in the subscriber's zone (ISO week for weekly),
    so a digest resolved into a DST gap still belongs to the day it was meant for.
    """
    local = due.astimezone(zone_of(subscriber)).date()
    if subscriber.frequency == WEEKLY:
        year, week, _ = local.isocalendar()
        return f"weekly:{year:04d}-W{week:02d}"
    return f"daily:{local.isoformat()}"


def period_length(subscriber: Schedulable) -> timedelta:
    """One period: a day for daily subscriptions, a week for weekly ones."""
    return timedelta(weeks=1) if subscriber.frequency == WEEKLY else timedelta(days=1)
