"""The trending score's pure functions: properties, the real keploy history, the reason line."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papertrend.trending.score import (
    DAY,
    MONTH,
    WEEK,
    WINDOWS,
    appeared_at,
    candidate,
    describe,
    rank,
    stars_gained,
    trending_score,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
window_names = st.sampled_from([DAY, WEEK, MONTH])


def daily(values: list[int], start: datetime = T0) -> list[tuple[datetime, int]]:
    return [(start + timedelta(days=i), v) for i, v in enumerate(values)]


def cumulative(increments: list[int]) -> list[int]:
    total, out = 0, []
    for inc in increments:
        total += inc
        out.append(total)
    return out


# --- properties -------------------------------------------------------------------

increments = st.lists(st.integers(min_value=0, max_value=500), min_size=2, max_size=60)


@given(increments, st.integers(min_value=1, max_value=1000), window_names, st.data())
def test_a_star_burst_raises_the_rank(
    steady: list[int], burst: int, window: str, data: st.DataObject
) -> None:
    history = daily(cumulative(steady))
    now = history[-1][0]
    bursting = [*history[:-1], (now, history[-1][1] + burst)]
    age = data.draw(st.floats(min_value=0, max_value=5000))
    upvotes = data.draw(st.integers(min_value=0, max_value=50))
    start = now - WINDOWS[window]
    calm = candidate(1, window, stars_gained(history, start, now), upvotes, age)
    hot = candidate(2, window, stars_gained(bursting, start, now), upvotes, age)
    assert hot.stars_gained == calm.stars_gained + burst
    assert [c.paper_id for c in rank([calm, hot])] == [2, 1]


@given(
    st.integers(min_value=1, max_value=10_000),
    st.floats(min_value=0, max_value=50_000),
    st.floats(min_value=0.01, max_value=50_000),
    window_names,
)
def test_older_with_the_same_points_scores_lower(
    stars: int, age: float, older_by: float, window: str
) -> None:
    young = candidate(1, window, stars, 0, age)
    old = candidate(2, window, stars, 0, age + older_by)
    assert old.score < young.score
    assert [c.paper_id for c in rank([old, young])] == [1, 2]


@given(increments, st.data())
def test_missing_snapshots_never_crash_nor_count_more_than_the_real_gain(
    steps: list[int], data: st.DataObject
) -> None:
    truth = daily(cumulative(steps))
    kept = data.draw(st.lists(st.sampled_from(truth), unique=True, max_size=len(truth)))
    first = data.draw(st.integers(min_value=0, max_value=len(truth) - 1))
    last = data.draw(st.integers(min_value=first, max_value=len(truth) - 1))
    start, end = truth[first][0], truth[last][0]
    real = truth[last][1] - truth[first][1]
    gained = stars_gained(kept, start, end)
    assert 0 <= gained <= real
    assert stars_gained(truth, start, end) == real  # full data: exact


def test_missing_snapshot_edge_cases() -> None:
    now = T0 + timedelta(days=10)
    start = now - timedelta(days=1)
    assert stars_gained([], start, now) == 0
    # first seen inside the window: its whole count is not a gain
    assert stars_gained([(now - timedelta(hours=2), 5000)], start, now) == 0
    # a gap across the window start is not attributed to the window
    assert stars_gained([(T0, 0), (now - timedelta(hours=1), 1000)], start, now) == 0
    # snapshots after now are ignored, drops count 0
    assert stars_gained([(start, 10), (now + timedelta(hours=1), 99)], start, now) == 0
    assert stars_gained([(start, 10), (now, 4)], start, now) == 0
    assert stars_gained([(now, 7), (start, 3)], start, now) == 4  # any order


@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # stars
            st.integers(0, 2),  # upvotes
            st.sampled_from([0.5, 30.0, 200.0]),  # age
        ),
        min_size=1,
        max_size=30,
    ),
    st.randoms(),
)
def test_ties_break_deterministically(
    facts: list[tuple[int, int, float]], rnd: random.Random
) -> None:
    cands = [candidate(i, WEEK, s, u, a) for i, (s, u, a) in enumerate(facts)]
    shuffled = cands[:]
    rnd.shuffle(shuffled)
    ranked = rank(shuffled)
    assert ranked == rank(cands)
    keys = [(-c.score, -c.stars_gained, -c.upvotes, c.age_hours, c.paper_id) for c in ranked]
    assert keys == sorted(keys)
    # papers without points come after all papers with points, newest first
    zero = [c for c in ranked if c.score == 0]
    assert ranked[len(ranked) - len(zero) :] == zero
    assert [c.age_hours for c in zero] == sorted(c.age_hours for c in zero)


def test_formula_values() -> None:
    assert trending_score(0, 10, DAY) == 0
    assert trending_score(100, 0, DAY) == pytest.approx(100 / 2**1.8)
    assert trending_score(100, 22, WEEK) == pytest.approx(100 / 24**1.5)
    assert trending_score(100, -5, MONTH) == pytest.approx(100 / 2**1.2)  # future: age 0
    assert candidate(1, DAY, 10, 2, 0).score == pytest.approx(20 / 2**1.8)
    created = datetime(2024, 5, 5, 8, tzinfo=UTC)
    assert appeared_at(date(2024, 5, 6), created, created) == datetime(2024, 5, 6, tzinfo=UTC)
    assert appeared_at(None, created, T0) == created
    assert appeared_at(None, None, T0) == T0


def test_reason_line() -> None:
    assert describe(DAY, 312, 45, 80) == "+312 stars in 24 h · 45 upvotes · 3 days old"
    assert describe(WEEK, 1, 1, 30) == "+1 star in 7 days · 1 upvote · 1 day old"
    assert describe(MONTH, 2500, 0, 23.9) == "+2,500 stars in 30 days · new today"
    assert describe(WEEK, 0, 0, 24 * 90) == "3 months old"
    assert describe(WEEK, 0, 3, 24 * 800) == "3 upvotes · 2 years old"


# --- the real keploy history ----------------------------------------------------------


@pytest.fixture(scope="module")
def keploy(shared_data: Path) -> list[tuple[datetime, int]]:
    """Daily cumulative snapshots at 23:59 UTC, as a history backfill would write them."""
    events = json.loads((shared_data / "github" / "keploy-stargazers.json").read_text())
    per_day = Counter(date.fromisoformat(e["starred_at"][:10]) for e in events)
    day, last, total, history = min(per_day), max(per_day), 0, []
    while day <= last:
        total += per_day[day]
        history.append((datetime(day.year, day.month, day.day, 23, 59, tzinfo=UTC), total))
        day += timedelta(days=1)
    assert total == 6889
    return history


def test_keploy_spike_in_the_day_window(keploy: list[tuple[datetime, int]]) -> None:
    now = datetime(2024, 10, 1, 23, 59, tzinfo=UTC)
    assert stars_gained(keploy, now - WINDOWS[DAY], now) == 397
    assert stars_gained(keploy, now - WINDOWS[DAY], now + timedelta(days=1)) == 397 + 210
    feb = datetime(2025, 2, 18, 23, 59, tzinfo=UTC)
    assert stars_gained(keploy, feb - WINDOWS[DAY], feb) == 115
    # the quiet day before the burst
    assert stars_gained(keploy, now - 2 * WINDOWS[DAY], now - WINDOWS[DAY]) == 111


def test_keploy_outranks_a_similar_steady_paper(keploy: list[tuple[datetime, int]]) -> None:
    now = datetime(2024, 10, 1, 23, 59, tzinfo=UTC)
    until_now = [(at, n) for at, n in keploy if at <= now]
    # Same final count and same age, stars spread evenly over the same days.
    final, days = until_now[-1][1], len(until_now)
    steady = [(at, final * (i + 1) // days) for i, (at, _) in enumerate(until_now)]
    age = 72.0
    for window in (DAY, WEEK):
        start = now - WINDOWS[window]
        hot = candidate(1, window, stars_gained(keploy, start, now), 0, age)
        calm = candidate(2, window, stars_gained(steady, start, now), 0, age)
        assert hot.stars_gained > calm.stars_gained
        assert [c.paper_id for c in rank([calm, hot])] == [1, 2]
