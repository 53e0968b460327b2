"""The trending score's pure functions: properties, the real keploy history, the reason line.

Issue #10 replaced the age decay (points / (age + 2)^g) by star velocity plus a fading
head start, and first-snapshot gains by high-water-mark gains; the tests that encoded
the old formula say below what changed and why.
"""

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
    HEAD_START_HOURS,
    HEAD_START_PER_DAY,
    MONTH,
    WEEK,
    WINDOWS,
    appeared_at,
    candidate,
    describe,
    describe_rate,
    head_start,
    rank,
    stars_gained,
    trending_score,
    window_days,
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


# Was test_older_with_the_same_points_scores_lower: the old formula divided by a power
# of age, so any older paper scored lower. Issue #10: age may only give a fading head
# start to new papers, never a penalty that grows with age.
@given(
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=100),
    st.floats(min_value=0, max_value=50_000),
    st.floats(min_value=0, max_value=50_000),
    window_names,
)
def test_age_never_costs_more_than_the_head_start(
    stars: int, upvotes: int, age: float, older_by: float, window: str
) -> None:
    young = candidate(1, window, stars, upvotes, age)
    old = candidate(2, window, stars, upvotes, age + older_by)
    assert 0 <= young.score - old.score <= HEAD_START_PER_DAY + 1e-9  # float rounding
    if age >= HEAD_START_HOURS:  # past the head start, age changes nothing
        assert old.score == young.score
        assert [c.paper_id for c in rank([old, young])] == [1, 2]  # the tie-break: newest


@given(
    st.integers(min_value=0, max_value=100_000),
    st.integers(min_value=1, max_value=100_000),
    st.integers(min_value=0, max_value=50),
    st.floats(min_value=0, max_value=24 * 365 * 30),
    st.floats(min_value=0, max_value=24 * 365 * 30),
    window_names,
)
def test_an_old_paper_with_a_large_burst_outranks_a_new_one_with_a_small_gain(
    small: int, margin: int, upvotes: int, new_age: float, old_age: float, window: str
) -> None:
    """Whatever the ages: more points than the new paper plus its whole head start wins."""
    large = small + int(HEAD_START_PER_DAY * window_days(window)) + margin
    new = candidate(1, window, small, upvotes, new_age)
    old = candidate(2, window, large, upvotes, max(new_age, old_age))
    assert [c.paper_id for c in rank([new, old])] == [2, 1]


def test_a_2022_paper_gaining_5012_stars_this_week_beats_yesterdays_paper_with_20() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    old_age = (now - datetime(2022, 3, 1, tzinfo=UTC)).total_seconds() / 3600
    old = candidate(1, WEEK, 5012, 0, old_age)
    new = candidate(2, WEEK, 20, 0, 20.0)
    assert old.score == pytest.approx(5012 / 7)
    assert new.score == pytest.approx(20 / 7 + 10 * (1 - 20 / 72))
    assert [c.paper_id for c in rank([new, old])] == [1, 2]
    assert (
        describe(WEEK, 5012, 0, old_age, now)
        == "+5,012 stars this week · 716/day · paper from 2022"
    )
    # today's paper without any star yet still comes before old papers with nothing
    quiet_old = candidate(3, WEEK, 0, 0, old_age)
    today = candidate(4, WEEK, 0, 0, 2.0)
    assert [c.paper_id for c in rank([quiet_old, today, new, old])] == [1, 2, 4, 3]


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


# --- robust gains: dips and recoveries are not gains -----------------------------

# Steps of a star count that also goes down: unstar waves, and transient zeros from the
# API or a transferred repository (a step to 0 followed by the recovery).
walk_steps = st.lists(st.one_of(st.integers(-300, 500), st.just("zero")), min_size=2, max_size=80)


def walk(steps: list[int | str], start: int = 1000) -> list[int]:
    count, real, out = start, start, []
    for step in steps:
        if step == "zero":  # a transient 0: the real count is unchanged
            out.append(0)
            continue
        real = max(0, real + int(step))
        count = real
        out.append(count)
    return out


@given(walk_steps, st.data())
def test_random_walks_with_dips_never_gain_more_than_the_new_maximum(
    steps: list[int | str], data: st.DataObject
) -> None:
    values = walk(steps)
    history = daily(values)
    first = data.draw(st.integers(0, len(values) - 1), label="first day in window")
    last = data.draw(st.integers(first, len(values) - 1), label="last day in window")
    start, end = history[first][0], history[last][0]
    gained = stars_gained(history, start, end)
    window, before = values[first : last + 1], values[:first]
    # never more than how far the window raised the all-time record ...
    record = max(before) if before else window[0]
    assert 0 <= gained <= max(0, max(window) - record)
    # ... and exactly the rise of the running maximum from the window's first snapshot
    running = [max(values[: i + 1]) for i in range(len(values))]
    assert gained == running[last] - running[first]
    # snapshots after the window, however high, change nothing
    later = [*history, (end + timedelta(hours=1), 10**6)]
    assert stars_gained(later, start, end) == gained


@given(increments, st.data())
def test_transient_dips_never_add_to_a_gain(steps: list[int], data: st.DataObject) -> None:
    """A real count that never decreases, observed with missing snapshots and dips."""
    truth = daily(cumulative(steps))
    first = data.draw(st.integers(0, len(truth) - 1))
    last = data.draw(st.integers(first, len(truth) - 1))
    start, end = truth[first][0], truth[last][0]
    kept = data.draw(st.lists(st.sampled_from(truth), unique=True, max_size=len(truth)))
    inside = sorted(x for x in kept if start <= x[0] <= end)
    # any snapshot but the window's first may read low (0 or anything below the truth)
    dipped = []
    for at, stars in kept:
        if data.draw(st.booleans()) and (not inside or (at, stars) != inside[0]):
            stars = data.draw(st.integers(0, stars))
        dipped.append((at, stars))
    clean = stars_gained(kept, start, end)
    assert 0 <= stars_gained(dipped, start, end) <= clean <= truth[last][1] - truth[first][1]


def test_dip_and_recover_gains_nothing() -> None:
    now = T0 + timedelta(days=30)
    week = now - WINDOWS[WEEK]
    before = [(T0, 800), (T0 + timedelta(days=20), 1000)]
    # a transient 0 from the API, then the count again
    assert stars_gained([*before, (week, 0), (now, 1000)], week, now) == 0
    # a transferred repository read as another count for a while, then recovered
    moved = [*before, (week + timedelta(days=1), 12), (week + timedelta(days=3), 1000)]
    assert stars_gained([*moved, (now, 1000)], week, now) == 0
    # an unstar wave that is won back is not a gain; only the new record counts
    wave = [*before, (week, 1000), (week + timedelta(days=2), 700), (now, 1040)]
    assert stars_gained(wave, week, now) == 40
    # the last snapshot reading 0 does not erase a real gain seen earlier in the window
    assert (
        stars_gained([*before, (week, 1000), (now - timedelta(hours=1), 1300), (now, 0)], week, now)
        == 300
    )


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


# Was: trending_score(100, 22, WEEK) == 100 / 24**1.5 and the like (age decay). Now the
# score is points per day of the window plus the head start.
def test_formula_values() -> None:
    assert trending_score(0, 100, DAY) == 0  # no points, past the head start
    assert trending_score(100, 0, DAY) == pytest.approx(100 + 10)
    assert trending_score(100, 36, WEEK) == pytest.approx(100 / 7 + 5)
    assert trending_score(300, 72, MONTH) == pytest.approx(10)  # head start gone at 72 h
    assert trending_score(100, -5, MONTH) == pytest.approx(100 / 30 + 10)  # future: age 0
    assert trending_score(100, 24 * 365 * 4, WEEK) == trending_score(100, 24 * 4, WEEK)
    assert candidate(1, DAY, 10, 2, 100).score == pytest.approx(20)
    assert [head_start(h) for h in (0, 18, 72, 10_000)] == [10, 7.5, 0, 0]
    assert [window_days(w) for w in (DAY, WEEK, MONTH)] == [1, 7, 30]
    created = datetime(2024, 5, 5, 8, tzinfo=UTC)
    assert appeared_at(date(2024, 5, 6), created, created) == datetime(2024, 5, 6, tzinfo=UTC)
    assert appeared_at(None, created, T0) == created
    assert appeared_at(None, None, T0) == T0


# Was: "+312 stars in 24 h · 45 upvotes · 3 days old", "3 months old", "2 years old".
# Issue #10 asks for the rate and the paper's year ("+5,012 stars this week · 2.1 k/day
# · paper from 2022"); the window words are the tabs' (Today, This week, This month).
def test_reason_line() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    assert describe(DAY, 312, 45, 80, now) == "+312 stars today · 45 upvotes · 3 days old"
    assert describe(WEEK, 1, 1, 30, now) == "+1 star this week · 0.1/day · 1 upvote · 1 day old"
    assert describe(WEEK, 14_700, 0, 23.9, now) == "+14,700 stars this week · 2.1 k/day · new today"
    assert describe(MONTH, 2500, 0, 23.9, now) == "+2,500 stars this month · 83/day · new today"
    assert describe(WEEK, 0, 0, 24 * 59, now) == "59 days old"
    assert describe(WEEK, 0, 0, 24 * 90, now) == "paper from 2026"
    assert describe(WEEK, 0, 3, 24 * 800, now) == "3 upvotes · paper from 2024"
    assert [describe_rate(r) for r in (0.14, 9.9, 9.96, 716.0, 999.94, 999.96, 2142.9)] == [
        "0.1/day",
        "9.9/day",
        "10/day",
        "716/day",
        "1,000/day",
        "1.0 k/day",
        "2.1 k/day",
    ]


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


def test_keploy_from_2022_outranks_a_new_paper_in_its_burst(
    keploy: list[tuple[datetime, int]],
) -> None:
    """keploy's repository dates from 2022-01; on 2024-10-01 it outranks yesterday's paper."""
    now = datetime(2024, 10, 1, 23, 59, tzinfo=UTC)
    old_age = age_of(keploy[0][0], now)
    assert old_age > 24 * 365 * 2
    new_history = [(now - timedelta(days=2), 0), (now - timedelta(hours=12), 20), (now, 35)]
    for window in (DAY, WEEK, MONTH):
        start = now - WINDOWS[window]
        old = candidate(1, window, stars_gained(keploy, start, now), 0, old_age)
        new = candidate(2, window, stars_gained(new_history, start, now), 0, 20.0)
        assert [c.paper_id for c in rank([new, old])] == [1, 2], window
    assert describe(DAY, 397, 0, old_age, now) == "+397 stars today · paper from 2022"


def test_keploy_with_a_transient_zero_gains_the_same(keploy: list[tuple[datetime, int]]) -> None:
    """A refresh reading 0 between two daily backfill points, as the window's first snapshot."""
    now = datetime(2024, 10, 2, 12, tzinfo=UTC)  # the day window holds only 2024-10-01 23:59
    start = now - WINDOWS[DAY]
    glitched = [*keploy, (start + timedelta(minutes=30), 0), (now - timedelta(hours=1), 0)]
    assert stars_gained(keploy, start, now) == 0  # daily history only: no two points inside
    # Measured from the record before the window (2024-09-30's count), not from the 0
    # (which would count keploy's whole total): at most the gap's stars are early.
    assert stars_gained(glitched, start, now) == 397
    week = now - WINDOWS[WEEK]
    assert stars_gained(glitched, week, now) == stars_gained(keploy, week, now)


def age_of(appeared: datetime, now: datetime) -> float:
    return (now - appeared).total_seconds() / 3600


def test_the_worked_examples_of_the_docs() -> None:
    """docs/trending.md, "Worked examples": the same facts give the same scores and lines."""
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    week = now - WINDOWS[WEEK]
    before = now - timedelta(days=10)
    a_history = [(before, 10_000), (week + timedelta(hours=1), 0), (now, 15_012)]
    c_history = [(before, 1000), (week, 0), (now - timedelta(days=2), 400), (now, 1000)]
    facts = {
        "A": (stars_gained(a_history, week, now), 0, age_of(datetime(2022, 3, 1, tzinfo=UTC), now)),
        "B": (stars_gained([(week, 5), (now, 25)], week, now), 0, 12.0),
        "C": (stars_gained(c_history, week, now), 0, age_of(datetime(2024, 5, 1, tzinfo=UTC), now)),
        "D": (0, 3, 48.0),
    }
    cands = {k: candidate(i, WEEK, *f) for i, (k, f) in enumerate(facts.items())}
    assert {k: round(c.score, 2) for k, c in cands.items()} == {
        "A": 716.0,
        "B": 11.19,
        "C": 0,
        "D": 5.48,
    }
    assert [c.paper_id for c in rank(cands.values())] == [0, 1, 3, 2]
    assert [describe(WEEK, *f, now) for f in facts.values()] == [
        "+5,012 stars this week · 716/day · paper from 2022",
        "+20 stars this week · 2.9/day · new today",
        "paper from 2024",
        "3 upvotes · 2 days old",
    ]
