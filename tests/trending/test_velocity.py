"""Star velocity through the database pass and the page (issue #10, items 1, 2 and 7).

An old paper whose code bursts now tops the page with an exact reason line; a star
count that dips and recovers gains nothing; the real keploy history makes its 2022
paper trend on the day of its 2024-10-01 burst.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from papertrend.coderepos.models import PaperRepository, Repository, StarSnapshot
from papertrend.papers.models import Paper
from papertrend.trending.models import TrendingScore
from papertrend.trending.score import compute_scores

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
CARD = re.compile(r'<article class="card.*?</article>', re.S)
CARD_LINK = re.compile(r'class="card-title"><a href="/papers/([^"]+)"')
REASON = re.compile(r'class="trend-reason"[^>]*>([^<]*)<')


def paper_with_history(key: str, appeared: datetime, history: list[tuple[datetime, int]]) -> Paper:
    """A paper that appeared at ``appeared`` (feed day and v1), one repository, its snapshots."""
    paper = Paper.objects.create(
        key=key,
        arxiv_id=key,
        title_key=key,
        title=f"Paper {key}",
        published=appeared,
        feed_day=appeared.date(),
    )
    repo = Repository.objects.create(
        host="github.com", owner="o", name=key, key=f"github.com/o/{key}"
    )
    PaperRepository.objects.create(paper=paper, repository=repo, found_in="abstract")
    StarSnapshot.objects.bulk_create(
        StarSnapshot(repository=repo, observed_at=at, stars=stars) for at, stars in history
    )
    return paper


def reasons_on_page(client: Client, window: str) -> list[tuple[str, str]]:
    body = client.get(f"/?window={window}").content.decode()
    cards = CARD.findall(body)
    found = []
    for card in cards:
        link, reason = CARD_LINK.search(card), REASON.search(card)
        assert link is not None and reason is not None
        found.append((link.group(1), " ".join(reason.group(1).split())))
    return found


def test_an_old_paper_with_a_large_burst_outranks_a_new_one_with_a_small_gain(
    client: Client, settings: Any
) -> None:
    settings.PAPERS_PER_PAGE = 100
    today = datetime.combine(NOW.date(), datetime.min.time(), tzinfo=UTC)
    old = paper_with_history(
        "2203.00001",
        datetime(2022, 3, 1, tzinfo=UTC),
        # a transient 0 opens the window: measured from the record, not from that 0
        [(NOW - timedelta(days=10), 10_000), (NOW - timedelta(days=6), 0), (NOW, 15_012)],
    )
    new = paper_with_history("2612.00002", today, [(NOW - timedelta(hours=30), 5), (NOW, 25)])
    quiet = paper_with_history(
        "2401.00003", datetime(2024, 1, 5, tzinfo=UTC), [(NOW - timedelta(days=3), 50), (NOW, 50)]
    )
    compute_scores(NOW)
    row = TrendingScore.objects.get(paper=old, window="week")
    assert (row.stars_gained, row.score) == (5012, pytest.approx(5012 / 7))
    new_age = (NOW - today).total_seconds() / 3600
    assert new_age < 24  # so "new today" below
    assert reasons_on_page(client, "week") == [
        (old.key, "+5,012 stars this week · 716/day · paper from 2022"),
        (new.key, "+20 stars this week · 2.9/day · new today"),
        (quiet.key, "paper from 2024"),
    ]
    # the day window: the old paper's burst is older than 24 h; the new paper's head
    # start and 20 stars put it first, the old paper's age costs it nothing
    assert [k for k, _ in reasons_on_page(client, "day")] == [new.key, quiet.key, old.key]
    assert TrendingScore.objects.get(paper=old, window="day").score == 0
    assert TrendingScore.objects.get(paper=quiet, window="day").score == 0


def test_a_dip_and_recover_history_gains_nothing(client: Client) -> None:
    dipped = paper_with_history(
        "2301.00004",
        datetime(2023, 1, 2, tzinfo=UTC),
        [
            (NOW - timedelta(days=40), 700),
            (NOW - timedelta(days=20), 1000),
            (NOW - timedelta(days=3), 0),  # a transient 0 from the API
            (NOW - timedelta(days=2), 400),  # a transferred repository, read mid-move
            (NOW - timedelta(hours=12), 1000),
            (NOW, 1000),
        ],
    )
    compute_scores(NOW)
    rows = TrendingScore.objects.filter(paper=dipped).order_by("window")
    assert [(r.window, r.stars_gained, r.score) for r in rows] == [
        ("day", 0, 0),
        ("month", 0, 0),
        ("week", 0, 0),
    ]
    assert reasons_on_page(client, "week") == [(dipped.key, "paper from 2023")]


@pytest.fixture
def keploy_events(shared_data: Path) -> Counter[date]:
    events = json.loads((shared_data / "github" / "keploy-stargazers.json").read_text())
    return Counter(date.fromisoformat(e["starred_at"][:10]) for e in events)


def test_keploy_history_makes_its_2022_paper_trend_on_its_burst_day(
    client: Client, keploy_events: Counter[date], settings: Any
) -> None:
    """Daily end-of-day counts from the real stargazer events, as a backfill writes them."""
    day, total, history = min(keploy_events), 0, []
    while day <= date(2025, 3, 26):
        total += keploy_events[day]
        history.append((datetime(day.year, day.month, day.day, 23, 59, tzinfo=UTC), total))
        day += timedelta(days=1)
    now = datetime(2024, 10, 1, 23, 59, tzinfo=UTC)
    keploy = paper_with_history("2201.00005", datetime(2022, 1, 19, tzinfo=UTC), history)
    fresh = paper_with_history(
        "2409.00006",
        datetime(2024, 10, 1, tzinfo=UTC),
        [(now - timedelta(hours=20), 3), (now, 43)],
    )
    compute_scores(now)
    week_gain = sum(keploy_events[date(2024, 10, 1) - timedelta(days=d)] for d in range(7))
    expected = {
        "day": (397, "+397 stars today · paper from 2022"),
        "week": (
            week_gain,
            f"+{week_gain:,} stars this week · {week_gain / 7:.0f}/day · paper from 2022",
        ),
    }
    for window, (gain, reason) in expected.items():
        row = TrendingScore.objects.get(paper=keploy, window=window)
        assert row.stars_gained == gain
        assert TrendingScore.objects.get(paper=fresh, window=window).stars_gained == 40
        # the page's reason lines are computed for the stored computed_at, not today
        assert [k for k, _ in reasons_on_page(client, window)] == [keploy.key, fresh.key]
        assert reasons_on_page(client, window)[0][1] == reason
