"""The database pass and the trending page: order from the documented formula, cards, queries."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from papertrend.accounts.models import Upvote
from papertrend.coderepos.models import PaperRepository, Repository, StarSnapshot
from papertrend.papers.formats import iter_records
from papertrend.papers.ingest import ingest_records
from papertrend.papers.models import Paper
from papertrend.trending.models import TrendingScore
from papertrend.trending.score import compute_scores

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
CARD = re.compile(r'<article class="card.*?</article>', re.S)
CARD_LINK = re.compile(r'class="card-title"><a href="/papers/([^"]+)"')
# The formula of docs/trending.md, written out again. (Issue #10: star velocity plus a
# fading head start replaced the age decay points / (age + 2)^GRAVITY, and gains are
# measured against the high-water mark instead of the window's first snapshot.)
SPANS = {"day": timedelta(hours=24), "week": timedelta(days=7), "month": timedelta(days=30)}
DAYS = {"day": 1.0, "week": 7.0, "month": 30.0}


@dataclass
class World:
    histories: dict[int, list[tuple[datetime, int]]]  # repository id -> snapshots
    upvotes: list[tuple[int, datetime]]  # paper id, created_at
    no_visible_code: set[str]  # keys of papers whose only repository is gone (404)


def _history(rng: random.Random, kind: str) -> list[tuple[datetime, int]]:
    if kind == "none":
        return []
    if kind == "one":
        return [(NOW - timedelta(hours=rng.randint(1, 900)), rng.randint(0, 5000))]
    days = rng.randint(2, 45)
    total, rows = rng.randint(0, 3000), []
    for d in range(days, -1, -1):
        if kind == "gaps" and rng.random() < 0.6:
            continue
        total += rng.choice([0, 0, 1, 3, 10, 50, 400]) if rng.random() < 0.9 else -1
        rows.append((NOW - timedelta(days=d, hours=rng.randint(0, 5)), max(total, 0)))
    return rows


@pytest.fixture
def world(shared_data: Path) -> World:
    summary = ingest_records(iter_records([shared_data / "trending-page" / "trending-page.txt"]))
    assert summary.read == 62
    for i in range(8):
        day = (NOW - timedelta(days=i * 3)).date()
        Paper.objects.create(
            key=f"2501.{i:05d}",
            arxiv_id=f"2501.{i:05d}",
            title_key=f"k{i}",
            title=f"Extra paper {i}",
            published=NOW - timedelta(days=i * 3 + 1),
            feed_day=day if i % 3 else None,
        )
    Paper.objects.create(key="2501.99999", title_key="hidden", title="Hidden", hidden=True)
    rng = random.Random(2024)
    histories: dict[int, list[tuple[datetime, int]]] = {}
    no_visible_code = set()
    for n, paper in enumerate(Paper.objects.order_by("pk")):
        for r in range(1 + (n % 5 == 0)):
            repo = Repository.objects.create(
                host="github.com",
                owner=f"o{n}",
                name=f"r{r}",
                key=f"github.com/o{n}/r{r}",
                hidden=n == 7 and r == 1,
                missing=n == 11,
            )
            PaperRepository.objects.create(paper=paper, repository=repo, found_in="abstract")
            # Seeded by position, not by primary key: PostgreSQL's sequences move with
            # every earlier test, and some seeds leave the day window without any gain.
            rows = _history(
                random.Random(n * 10 + r), ["full", "gaps", "one", "none", "full"][n % 5]
            )
            StarSnapshot.objects.bulk_create(
                StarSnapshot(repository=repo, observed_at=at, stars=s) for at, s in rows
            )
            if not repo.hidden and not repo.missing:
                histories[repo.pk] = rows
            elif repo.missing:
                no_visible_code.add(paper.key)
    users = [get_user_model().objects.create_user(f"u{i}") for i in range(4)]
    upvotes = []
    for paper in rng.sample(list(Paper.objects.filter(hidden=False)), 12):
        for user in rng.sample(users, rng.randint(1, 4)):
            created = NOW - timedelta(hours=rng.randint(1, 24 * 40))
            Upvote.objects.create(user=user, paper=paper)
            Upvote.objects.filter(user=user, paper=paper).update(created_at=created)
            upvotes.append((paper.pk, created))
    return World(histories, upvotes, no_visible_code)


def expected_order(world: World, window: str) -> list[tuple[str, int, int, float]]:
    """(key, stars, upvotes, age) of every visible paper in page order, from first principles."""
    start = NOW - SPANS[window]
    rows = []
    for paper in Paper.objects.filter(hidden=False):
        stars = 0
        for link in PaperRepository.objects.filter(paper=paper):
            history = world.histories.get(link.repository_id, [])
            inside = sorted(x for x in history if start <= x[0] <= NOW)
            if inside:
                record = max([s for at, s in history if at < start] + [inside[0][1]])
                stars += max(0, max(s for _, s in inside) - record)
        votes = sum(1 for pk, at in world.upvotes if pk == paper.pk and start < at <= NOW)
        if paper.feed_day:
            appeared = datetime(*paper.feed_day.timetuple()[:3], tzinfo=UTC)
        else:
            appeared = paper.published or paper.created_at
        age = max(0.0, (NOW - appeared).total_seconds() / 3600)
        score = (stars * 1.0 + votes * 5.0) / DAYS[window] + 10.0 * max(0.0, 1.0 - age / 72.0)
        rows.append(((-score, -stars, -votes, age, paper.pk), (paper.key, stars, votes, age)))
    return [facts for _, facts in sorted(rows)]


@pytest.mark.parametrize("window", ["day", "week", "month"])
def test_page_order_matches_the_documented_formula(
    client: Client, settings: Any, world: World, window: str
) -> None:
    settings.PAPERS_PER_PAGE = 100
    stats = compute_scores(NOW)
    assert stats.papers == 70
    assert TrendingScore.objects.filter(window=window).count() == 70
    expected = expected_order(world, window)
    assert any(stars for _, stars, _, _ in expected)  # the fixture has real gains
    body = client.get(f"/?window={window}").content.decode()
    cards = CARD.findall(body)
    assert [CARD_LINK.search(c).group(1) for c in cards] == [k for k, *_ in expected]  # type: ignore[union-attr]
    label = {"day": "today", "week": "this week", "month": "this month"}[window]
    assert len(world.no_visible_code) == 1
    for card, (key, stars, votes, _) in zip(cards, expected, strict=True):
        assert 'class="trend-reason"' in card
        assert ("<svg" in card) == (key not in world.no_visible_code)
        assert (f" stars {label}" in card or f" star {label}" in card) == (stars > 0)
        assert ("upvote" in card.split("trend-reason")[1]) == (votes > 0)
    assert f'href="?window={window}" aria-current="page"' in body


def test_hidden_and_missing_repositories_do_not_count(world: World) -> None:
    compute_scores(NOW)
    hidden_paper = Paper.objects.get(key="2501.99999")
    assert not TrendingScore.objects.filter(paper=hidden_paper).exists()
    for repo in Repository.objects.filter(hidden=True) | Repository.objects.filter(missing=True):
        assert repo.pk not in world.histories  # the expectation already leaves them out


def test_trending_page_query_count_is_fixed(
    client: Client, settings: Any, world: World, django_assert_max_num_queries: Any
) -> None:
    compute_scores(NOW)
    for per_page in (5, 60):
        settings.PAPERS_PER_PAGE = per_page
        # exists, count, rows + papers, repositories, snapshots, upvote counts
        with django_assert_max_num_queries(6):
            response = client.get("/?window=day")
        assert len(CARD.findall(response.content.decode())) == per_page


def test_rerun_replaces_rows_and_pagination_keeps_the_window(
    client: Client, settings: Any, world: World
) -> None:
    compute_scores(NOW - timedelta(days=2))
    compute_scores(NOW)
    assert TrendingScore.objects.count() == 3 * 70
    assert set(TrendingScore.objects.values_list("computed_at", flat=True)) == {NOW}
    settings.PAPERS_PER_PAGE = 30
    body = client.get("/?window=month&page=2").content.decode()
    assert 'href="?window=month&amp;page=3"' in body
    assert 'href="?window=month&amp;page=1"' in body


def test_unknown_window_means_week(client: Client, world: World) -> None:
    compute_scores(NOW)
    assert CARD_LINK.findall(client.get("/?window=<x>").content.decode()) == CARD_LINK.findall(
        client.get("/").content.decode()
    )
    assert 'href="?window=week" aria-current="page"' in client.get("/?window=year").content.decode()


def test_without_scores_the_page_falls_back_and_says_so(
    client: Client, admin_client: Client, world: World
) -> None:
    body = client.get("/?window=day").content.decode()
    assert "Trending scores have not been computed yet" in body
    assert "papertrend trending compute" not in body  # no command names for readers
    assert "papertrend trending compute" in admin_client.get("/?window=day").content.decode()
    assert len(CARD.findall(body)) == 30
    assert "trend-reason" not in body


def test_paper_page_shows_a_star_chart_per_repository(client: Client, world: World) -> None:
    repo = Repository.objects.filter(hidden=False, missing=False, snapshots__isnull=False).first()
    assert repo is not None
    paper = repo.papers.get()
    body = client.get(paper.get_absolute_url()).content.decode()
    section = body.split('id="stars-heading"')[1]
    assert f'href="https://github.com/{repo.owner}/{repo.name}"' in section
    assert '<svg class="star-chart"' in section
    last = StarSnapshot.objects.filter(repository=repo).order_by("-observed_at").first()
    assert f"{last.stars} star" in section  # type: ignore[union-attr]


def test_command(world: World) -> None:
    from io import StringIO

    out = StringIO()
    call_command("trending", "compute", "--now", NOW.isoformat(), stdout=out)
    assert "papers: 70" in out.getvalue()
    assert TrendingScore.objects.filter(computed_at=NOW).count() == 210
