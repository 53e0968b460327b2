"""Due times and period keys: weekdays, weekly days, time zones, daylight-saving changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from papertrend.digests.schedule import next_due, period_key


@dataclass
class Sub:
    frequency: str = "daily"
    weekday: int = 0
    hour: int = 8
    timezone: str = "UTC"


def local(tz: str, year: int, month: int, day: int, hour: int, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZoneInfo(tz), fold=fold)


def test_daily_skips_the_weekend() -> None:
    friday = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    due = next_due(Sub(), friday)
    assert due == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday
    assert due.tzinfo == UTC
    assert next_due(Sub(), friday - timedelta(seconds=1)) == friday


def test_daily_runs_every_weekday() -> None:
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    days = []
    for _ in range(6):
        at = next_due(Sub(), at)
        days.append(at.strftime("%a"))
    assert days == ["Tue", "Wed", "Thu", "Fri", "Mon", "Tue"]


def test_weekly_on_the_chosen_day() -> None:
    sub = Sub(frequency="weekly", weekday=2, hour=18, timezone="Europe/Berlin")
    due = next_due(sub, datetime(2026, 11, 29, 12, tzinfo=UTC))  # a Sunday
    assert due == local("Europe/Berlin", 2026, 12, 2, 18)
    assert next_due(sub, due) == due + timedelta(weeks=1)
    assert period_key(sub, due) == "weekly:2026-W49"


@pytest.mark.parametrize(
    ("tz", "expected_utc"),
    [
        ("America/New_York", datetime(2026, 12, 1, 13, 0, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2026, 12, 1, 7, 0, tzinfo=UTC)),
        ("Asia/Kolkata", datetime(2026, 12, 1, 2, 30, tzinfo=UTC)),
    ],
)
def test_time_zones(tz: str, expected_utc: datetime) -> None:
    sub = Sub(timezone=tz)
    due = next_due(sub, datetime(2026, 11, 30, 23, 0, tzinfo=UTC))
    assert due == expected_utc
    assert due.astimezone(ZoneInfo(tz)).hour == 8
    assert period_key(sub, due) == "daily:2026-12-01"


def test_local_date_decides_the_period() -> None:
    # 23:30 UTC Monday is already Tuesday 05:00 in Kolkata.
    sub = Sub(timezone="Asia/Kolkata", hour=5)
    assert period_key(sub, datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == "daily:2026-12-01"


def test_spring_forward_gap_goes_out_at_the_transition() -> None:
    # 2026-03-08 02:00 does not exist in New York: clocks jump to 03:00 EDT (07:00 UTC).
    sub = Sub(frequency="weekly", weekday=6, hour=2, timezone="America/New_York")
    due = next_due(sub, datetime(2026, 3, 7, tzinfo=UTC))
    assert due == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert due.astimezone(ZoneInfo("America/New_York")).hour == 3
    assert period_key(sub, due) == "weekly:2026-W10"
    after = next_due(sub, due)
    assert after == local("America/New_York", 2026, 3, 15, 2)  # normal again, once a week


def test_spring_forward_daily_around_the_gap() -> None:
    sub = Sub(hour=2, timezone="America/New_York")
    friday = local("America/New_York", 2026, 3, 6, 2)
    monday = next_due(sub, friday)
    assert monday == local("America/New_York", 2026, 3, 9, 2)
    assert monday - friday == timedelta(days=3, hours=-1)


def test_fall_back_fold_sends_once_at_the_first_occurrence() -> None:
    # 2026-11-01 01:00 happens twice in New York (EDT then EST); Sunday, so weekly.
    sub = Sub(frequency="weekly", weekday=6, hour=1, timezone="America/New_York")
    due = next_due(sub, datetime(2026, 10, 31, tzinfo=UTC))
    assert due == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 01:00 EDT
    again = next_due(sub, due)
    assert again == local("America/New_York", 2026, 11, 8, 1)
    # Starting between the two 01:00s does not give the second one.
    assert next_due(sub, due + timedelta(minutes=30)) == again


def test_fall_back_daily_exactly_one_digest_that_day() -> None:
    sub = Sub(hour=1, timezone="America/New_York", frequency="daily")
    sub_any = Sub(hour=1, timezone="America/New_York", frequency="weekly", weekday=6)
    at = datetime(2026, 10, 31, 12, tzinfo=UTC)
    dues = []
    for _ in range(3):
        at = next_due(sub_any, at)
        dues.append(at)
    keys = [period_key(sub_any, d) for d in dues]
    assert len(set(keys)) == 3
    # Daily: Friday 30 Oct -> Monday 2 Nov, and the fold Sunday is no weekday.
    monday = next_due(sub, local("America/New_York", 2026, 10, 30, 1))
    assert monday == local("America/New_York", 2026, 11, 2, 1)
    assert monday - local("America/New_York", 2026, 10, 30, 1) == timedelta(days=3, hours=1)


def test_every_day_of_a_year_has_one_due_time_per_zone() -> None:
    for tz in ("America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata"):
        for hour in (0, 1, 2, 3):
            sub = Sub(hour=hour, timezone=tz)
            at = datetime(2026, 1, 1, tzinfo=UTC)
            keys = []
            while at < datetime(2027, 1, 1, tzinfo=UTC):
                nxt = next_due(sub, at)
                assert nxt > at
                keys.append(period_key(sub, nxt))
                at = nxt
            assert len(keys) == len(set(keys))
            assert 258 <= len(keys) <= 262


def test_rejects_naive_and_bad_hour() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_due(Sub(), datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="hour"):
        next_due(Sub(hour=24), datetime(2026, 1, 1, tzinfo=UTC))


def test_unknown_zone_degrades_to_utc() -> None:
    due = next_due(Sub(timezone="Mars/Olympus"), datetime(2026, 11, 30, tzinfo=UTC))
    assert due == datetime(2026, 11, 30, 8, tzinfo=UTC)
