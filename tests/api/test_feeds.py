"""RSS and Atom feeds: every feed parses, items, links, stable GUIDs, dates, hostile text, 404s."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import Any

import feedparser
import pytest
from django.db import connection
from django.test import Client, RequestFactory

from papertrend.api.feeds import FeedSpec, PaperFeed
from papertrend.papers.models import Paper, PaperCategory
from papertrend.search import indexing
from papertrend.search.models import enqueue
from papertrend.trending.models import TrendingScore
from tests.api.feed_reader import shown

pytestmark = pytest.mark.django_db

SITE = "https://papertrend.example"
HOSTILE = 'Fish & <chips> \x00\x0b\x1f "quoted"'
# PostgreSQL text cannot hold NUL at all; the unsaved-paper test covers it there.
STORABLE_HOSTILE = HOSTILE if connection.vendor != "postgresql" else HOSTILE.replace("\x00", "")
EXTS = ("rss", "atom")


@pytest.fixture(autouse=True)
def _site_url(settings: Any) -> None:
    settings.SITE_URL = SITE


def make(
    key: str,
    day: date,
    *,
    title: str | None = None,
    categories: tuple[str, ...] = ("cs.LG",),
    hidden: bool = False,
    abstract: str = "We study $\\alpha$-stable things.",
) -> Paper:
    paper = Paper.objects.create(
        key=key,
        arxiv_id=key,
        title_key=key,
        title=title or f"Paper {key}",
        abstract=abstract,
        authors=[
            {"keyname": "Bal\\'azs", "forenames": "J\\'anos"},
            {"keyname": "Lovelace", "forenames": "Ada"},
        ],
        categories=list(categories),
        primary_category=categories[0],
        published=datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC),
        updated=datetime(day.year, day.month, day.day + 1, 10, 0, tzinfo=UTC),
        feed_day=day,
        hidden=hidden,
    )
    PaperCategory.objects.bulk_create(
        PaperCategory(paper=paper, category=c, is_primary=i == 0) for i, c in enumerate(categories)
    )
    enqueue([key])
    return paper


@pytest.fixture
def papers() -> list[Paper]:
    made = [
        make("2503.00001", date(2025, 3, 14), title="Deep nets for $\\mathcal{O}(n)$ sorting"),
        make(
            "2503.00002",
            date(2025, 3, 14),
            title=STORABLE_HOSTILE,
            categories=("math.GT", "cs.LG"),
        ),
        make("2503.00003", date(2025, 3, 10), categories=("astro-ph.CO",)),
        make("2503.00004", date(2025, 3, 20)),
        make("2503.00005", date(2025, 3, 14), hidden=True, title="Secret"),
    ]
    now = datetime(2025, 3, 15, tzinfo=UTC)
    for paper, score in ((made[1], 3.0), (made[0], 2.0), (made[4], 9.0)):
        TrendingScore.objects.create(
            paper=paper,
            window="week",
            score=score,
            stars_gained=12,
            upvotes=3,
            age_hours=30.0,
            computed_at=now,
        )
    indexing.sync()
    return made


def fetch(client: Client, url: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200, url
    kind = "application/atom+xml" if ".atom" in url else "application/rss+xml"
    assert response["Content-Type"].startswith(kind)
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    return parsed


def keys(parsed: feedparser.FeedParserDict) -> list[str]:
    return [entry.link.removeprefix(f"{SITE}/papers/") for entry in parsed.entries]


ALL_FEEDS = [
    "/feeds/trending/day",
    "/feeds/trending/week",
    "/feeds/trending/month",
    "/feeds/new",
    "/feeds/date/2025-03-14",
    "/feeds/week/2025-W11",
    "/feeds/month/2025-03",
    "/feeds/category/cs.LG",
    "/feeds/category/astro-ph.CO",
    "/feeds/search",
]


@pytest.mark.parametrize("ext", EXTS)
@pytest.mark.parametrize("base", ALL_FEEDS)
def test_every_feed_parses_and_never_shows_hidden(
    client: Client, papers: list[Paper], base: str, ext: str
) -> None:
    url = f"{base}.{ext}" + ("?q=paper" if base.endswith("search") else "")
    parsed = fetch(client, url)
    assert "2503.00005" not in keys(parsed)
    assert parsed.feed.title.startswith("papertrend")
    assert parsed.feed.updated_parsed is not None


@pytest.mark.parametrize("ext", EXTS)
def test_items_links_guids_and_dates(client: Client, papers: list[Paper], ext: str) -> None:
    first = fetch(client, f"/feeds/date/2025-03-14.{ext}")
    second = fetch(client, f"/feeds/date/2025-03-14.{ext}")
    assert sorted(keys(first)) == ["2503.00001", "2503.00002"]
    entry = next(e for e in first.entries if e.link.endswith("2503.00001"))
    assert entry.link == f"{SITE}/papers/2503.00001"
    assert entry.id == f"{SITE}/papers/2503.00001"
    assert [e.id for e in first.entries] == [e.id for e in second.entries]
    assert entry.title == "Deep nets for \U0001d4aa(n) sorting"
    assert entry.summary == "We study \u03b1-stable things."
    assert "János Balázs" in entry.author and "Ada Lovelace" in entry.author
    assert [t.term for t in entry.tags] == ["cs.LG"]
    assert calendar.timegm(entry.published_parsed) == calendar.timegm(
        (2025, 3, 14, 9, 30, 0, 0, 0, 0)
    )
    if ext == "atom":
        assert calendar.timegm(entry.updated_parsed) == calendar.timegm(
            (2025, 3, 15, 10, 0, 0, 0, 0, 0)
        )
        # The feed is as new as its newest item.
        assert calendar.timegm(first.feed.updated_parsed) == calendar.timegm(
            (2025, 3, 15, 10, 0, 0, 0, 0, 0)
        )
    else:
        assert 'isPermaLink="true"' in client.get("/feeds/date/2025-03-14.rss").text


@pytest.mark.parametrize("ext", EXTS)
def test_hostile_title_gives_a_valid_feed(client: Client, papers: list[Paper], ext: str) -> None:
    parsed = fetch(client, f"/feeds/category/math.GT.{ext}")
    assert [shown(e.title_detail) for e in parsed.entries] == ['Fish & <chips> "quoted"']


@pytest.mark.parametrize("ext", EXTS)
def test_control_characters_in_every_field(client: Client, ext: str) -> None:
    paper = make("2503.00009", date(2025, 3, 14), abstract="a\x01b\x0bc\ufffed")
    paper.authors = [{"keyname": "Nul\x02l", "forenames": "Con\x1ftrol"}]
    paper.save()
    parsed = fetch(client, f"/feeds/new.{ext}")
    entry = parsed.entries[0]
    assert entry.summary == "abcd"
    assert entry.author == "Control Null"


@pytest.mark.parametrize("ext", EXTS)
def test_nul_and_friends_in_unsaved_papers(ext: str) -> None:
    hostile = Paper(
        key="2503.00042",
        title=HOSTILE,
        abstract="x\x00y & <z>",
        authors=[{"keyname": "A\x00b", "forenames": "\x1f"}],
        categories=["cs.\x00LG"],
        published=datetime(2025, 3, 14, tzinfo=UTC),
    )
    spec = FeedSpec("t\x00", "d\x0b", f"{SITE}/", f"{SITE}/feed", [hostile])
    response = PaperFeed(ext, lambda request: spec)(RequestFactory().get("/feed"))
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    entry = parsed.entries[0]
    assert shown(entry.title_detail) == 'Fish & <chips> "quoted"'
    assert shown(entry.summary_detail) == "xy & <z>"
    assert entry.author == "Ab"
    assert [t.term for t in entry.tags] == ["cs.LG"]


def test_trending_feed_order_and_reason(client: Client, papers: list[Paper]) -> None:
    parsed = fetch(client, "/feeds/trending/week.rss")
    assert keys(parsed) == ["2503.00002", "2503.00001"]
    assert shown(parsed.entries[0].summary_detail) == (
        "Why it is trending: +12 stars this week · 1.7/day · 3 upvotes · 1 day old\n\n"
        "We study \u03b1-stable things."
    )
    # No scores for the day window yet: the fallback order, all visible papers.
    assert sorted(keys(fetch(client, "/feeds/trending/day.rss"))) == [
        "2503.00001",
        "2503.00002",
        "2503.00003",
        "2503.00004",
    ]


def test_period_feeds_hold_their_period(client: Client, papers: list[Paper]) -> None:
    assert sorted(keys(fetch(client, "/feeds/week/2025-W11.atom"))) == [
        "2503.00001",
        "2503.00002",
        "2503.00003",
    ]
    assert len(fetch(client, "/feeds/month/2025-03.rss").entries) == 4
    assert fetch(client, "/feeds/month/2025-04.rss").entries == []


def test_category_feed_uses_primary_and_cross_lists(client: Client, papers: list[Paper]) -> None:
    assert keys(fetch(client, "/feeds/category/cs.LG.rss")) == [
        "2503.00004",
        "2503.00002",
        "2503.00001",
    ]
    assert keys(fetch(client, "/feeds/category/astro-ph.CO.atom")) == ["2503.00003"]
    assert fetch(client, "/feeds/category/q-bio.NC.rss").entries == []


def test_search_feed(client: Client, papers: list[Paper]) -> None:
    parsed = fetch(client, "/feeds/search.rss?q=sorting")
    assert keys(parsed) == ["2503.00001"]
    assert fetch(client, "/feeds/search.atom?q=secret").entries == []
    bare = fetch(client, "/feeds/search.rss")
    assert bare.entries == []
    assert bare.feed.title == "papertrend: search (no query)"
    assert bare.feed.link.endswith("/search")
    hostile = fetch(client, "/feeds/search.rss?q=%00%3Cx%3E%26")
    assert hostile.entries == []


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/trending/year.rss",
        "/feeds/trending/week.json",
        "/feeds/date/2025-02-30.rss",
        "/feeds/date/2025-3-14.atom",
        "/feeds/week/2025-W54.rss",
        "/feeds/month/2025-13.atom",
        "/feeds/month/9999-12.rss",
        "/feeds/category/cs LG.rss",
        "/feeds/category/<x>.rss",
    ],
)
def test_invalid_feeds_are_404(client: Client, papers: list[Paper], url: str) -> None:
    assert client.get(url).status_code == 404
