"""Daily, weekly and monthly feeds: membership, order, navigation, invalid periods, escaping."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from papertrend.accounts.models import Upvote
from papertrend.papers.models import Paper
from papertrend.trending.periods import InvalidPeriod, parse_period, period_containing
from papertrend.trending.views import shown_instead

pytestmark = pytest.mark.django_db


def paper(
    key: str,
    day: date | None,
    *,
    votes: int = 0,
    published: datetime | None = None,
    hidden: bool = False,
    title: str | None = None,
) -> Paper:
    """A paper in the feed of ``day`` with ``votes`` upvotes (from voters v0, v1, …)."""
    made = Paper.objects.create(
        key=key,
        arxiv_id=key,
        title_key=key,
        title=title or f"Paper {key}",
        feed_day=day,
        published=published or datetime(2025, 3, 1, tzinfo=UTC),
        hidden=hidden,
    )
    for i in range(votes):
        voter, _ = User.objects.get_or_create(username=f"v{i}")
        Upvote.objects.create(user=voter, paper=made)
    return made


def keys_on(page: str) -> list[str]:
    return re.findall(r'<a href="/papers/(2503\.\d{5})">', page)


@pytest.fixture
def march() -> None:
    paper("2503.00001", date(2025, 3, 14), votes=1)
    paper("2503.00002", date(2025, 3, 14), votes=3)
    paper("2503.00003", date(2025, 3, 14), published=datetime(2025, 3, 13, tzinfo=UTC))
    paper("2503.00004", date(2025, 3, 14), published=datetime(2025, 3, 12, tzinfo=UTC))
    paper("2503.00005", date(2025, 3, 14), hidden=True, votes=5)
    paper("2503.00006", date(2025, 3, 10), votes=2)  # Monday of 2025-W11
    paper("2503.00007", date(2025, 3, 16))  # Sunday of 2025-W11
    paper("2503.00008", date(2025, 3, 17), votes=4)  # 2025-W12
    paper("2503.00009", date(2025, 3, 31))
    paper("2503.00010", date(2025, 4, 1), votes=5)
    # No feed day given: it falls back to the v1 day, in February, outside March.
    paper("2503.00011", None, votes=5, published=datetime(2025, 2, 27, tzinfo=UTC))


def test_day_feed_membership_and_order(client: Client, march: None) -> None:
    page = client.get("/papers/date/2025-03-14").content.decode()
    # Upvotes first, then the newest v1 date; hidden and other days' papers are left out.
    assert keys_on(page) == ["2503.00002", "2503.00001", "2503.00003", "2503.00004"]
    assert "Daily papers" in page
    assert "Friday, 14 March 2025" in page


def test_ties_fall_back_to_published_then_id(client: Client) -> None:
    same = datetime(2025, 3, 1, tzinfo=UTC)
    paper("2503.00022", date(2025, 3, 14), published=same)
    paper("2503.00021", date(2025, 3, 14), published=same)
    paper("2503.00023", date(2025, 3, 14), published=datetime(2025, 3, 2, tzinfo=UTC))
    page = client.get("/papers/date/2025-03-14").content.decode()
    assert keys_on(page) == ["2503.00023", "2503.00022", "2503.00021"]


def test_week_feed_is_iso_week(client: Client, march: None) -> None:
    page = client.get("/papers/week/2025-W11").content.decode()
    assert keys_on(page) == [
        "2503.00002",
        "2503.00006",
        "2503.00001",
        "2503.00003",
        "2503.00004",
        "2503.00007",
    ]
    assert "Week 11 of 2025 (10 Mar to 16 Mar 2025)" in page


def test_month_feed(client: Client, march: None) -> None:
    page = client.get("/papers/month/2025-03").content.decode()
    assert keys_on(page) == [
        "2503.00008",
        "2503.00002",
        "2503.00006",
        "2503.00001",
        "2503.00003",
        "2503.00004",
        "2503.00007",
        "2503.00009",
    ]
    assert "March 2025" in page


@pytest.mark.parametrize(
    ("url", "previous", "following"),
    [
        ("/papers/date/2025-03-01", "/papers/date/2025-02-28", "/papers/date/2025-03-02"),
        ("/papers/date/2024-12-31", "/papers/date/2024-12-30", "/papers/date/2025-01-01"),
        ("/papers/week/2025-W01", "/papers/week/2024-W52", "/papers/week/2025-W02"),
        ("/papers/week/2020-W53", "/papers/week/2020-W52", "/papers/week/2021-W01"),
        ("/papers/month/2025-01", "/papers/month/2024-12", "/papers/month/2025-02"),
        ("/papers/month/2024-12", "/papers/month/2024-11", "/papers/month/2025-01"),
    ],
)
def test_previous_and_next_links(client: Client, url: str, previous: str, following: str) -> None:
    # Adjacent periods that list papers (item 15: links never lead to an empty period).
    for n, link in enumerate((previous, following)):
        slug = link.rsplit("/", 1)[1]
        start = parse_period(link.split("/")[2], slug).start
        paper(f"2503.{n + 90:05d}", start)
    page = client.get(url).content.decode()
    assert f'<a rel="prev" class="feed-previous" href="{previous}">' in page
    assert f'<a rel="next" class="feed-next" href="{following}">' in page


def test_no_next_link_into_the_future(client: Client) -> None:
    today = timezone.localdate()
    paper("2503.00001", today - timedelta(days=3))
    paper("2503.00002", today)
    paper("2503.00003", today + timedelta(days=2))  # a feed day in the future: never linked
    page = client.get("/papers/date/today", follow=True)
    assert page.redirect_chain[-1][0] == f"/papers/date/{today.isoformat()}?requested=today"
    body = page.content.decode()
    assert 'rel="next"' not in body
    assert f'href="/papers/date/{today - timedelta(days=3)}"' in body
    assert "shown-instead" not in body  # today's own papers: nothing to explain
    earlier = client.get(f"/papers/date/{today - timedelta(days=3)}").content.decode()
    assert f'<a rel="next" class="feed-next" href="/papers/date/{today}">' in earlier


@pytest.mark.parametrize(
    "url",
    [
        "/papers/date/2025-02-30",
        "/papers/date/2025-13-01",
        "/papers/date/2025-3-14",
        "/papers/date/20250314",
        "/papers/date/0000-01-01",
        "/papers/week/2025-W54",
        "/papers/week/2025-W53",  # 2025 has 52 ISO weeks
        "/papers/week/2025-W00",
        "/papers/week/2025-W1",
        "/papers/month/2025-13",
        "/papers/month/2025-00",
        "/papers/month/2025",
        "/papers/month/99999-01",
    ],
)
def test_invalid_periods_are_404(client: Client, url: str) -> None:
    assert client.get(url).status_code == 404


def test_edges_of_the_calendar_do_not_fail(client: Client) -> None:
    for url in ("/papers/date/0001-01-01", "/papers/week/0001-W01", "/papers/month/9999-11"):
        assert client.get(url).status_code == 200
    # The period would end on 10000-01-01, which Python's dates cannot hold.
    assert client.get("/papers/month/9999-12").status_code == 404


def test_pagination(settings, client: Client) -> None:
    settings.PAPERS_PER_PAGE = 2
    for n in range(1, 6):
        paper(f"2503.{n:05d}", date(2025, 3, 14), published=datetime(2025, 3, n, tzinfo=UTC))
    first = client.get("/papers/date/2025-03-14").content.decode()
    assert keys_on(first) == ["2503.00005", "2503.00004"]
    assert "Page 1 of 3" in first
    third = client.get("/papers/date/2025-03-14", {"page": 3}).content.decode()
    assert keys_on(third) == ["2503.00001"]
    assert client.get("/papers/date/2025-03-14", {"page": 4}).status_code == 404


def test_script_title_is_escaped(client: Client) -> None:
    paper("2503.00001", date(2025, 3, 14), title="<script>alert('x')</script> attack")
    for url in ("/papers/date/2025-03-14", "/papers/week/2025-W11", "/papers/month/2025-03"):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;" in page, url


def test_feed_urls_do_not_shadow_paper_pages(client: Client) -> None:
    paper("2503.00001", date(2025, 3, 14))
    assert client.get("/papers/2503.00001").status_code == 200
    assert client.post("/papers/date/2025-03-14").status_code == 405


def test_parse_period() -> None:
    week = parse_period("week", "2025-W11")
    assert (week.start, week.end, week.slug) == (date(2025, 3, 10), date(2025, 3, 17), "2025-W11")
    assert parse_period("week", "2026-W01").start == date(2025, 12, 29)
    month = parse_period("month", "2024-02")
    assert (month.start, month.end) == (date(2024, 2, 1), date(2024, 3, 1))
    assert parse_period("date", "2024-02-29").slug == "2024-02-29"
    assert parse_period("date", "0001-01-01").previous() is None
    assert parse_period("month", "9999-11").next() is None
    with pytest.raises(InvalidPeriod):
        parse_period("month", "9999-12")
    with pytest.raises(InvalidPeriod):
        parse_period("date", "2023-02-29")
    with pytest.raises(InvalidPeriod):
        parse_period("year", "2025")


def test_today_goes_to_the_latest_listed_period(client: Client, march: None) -> None:
    # Nothing is listed today; the latest listed day (not in the future) is 2025-04-01.
    assert client.get("/papers/date/today").url == "/papers/date/2025-04-01?requested=today"
    assert client.get("/papers/week/current").url == "/papers/week/2025-W14?requested=current"
    assert client.get("/papers/month/today").url == "/papers/month/2025-04?requested=today"


# --- item 15 of issue 15: say which day is shown, never lead to an empty day ---------------


def test_today_says_which_day_is_shown_and_why(client: Client, march: None) -> None:
    today = timezone.localdate()
    page = client.get("/papers/date/today", follow=True)
    body = page.content.decode()
    (notice,) = re.findall(r'<p class="notice shown-instead" role="note">(.*?)</p>', body)
    today_label = f"{today:%A}, {today.day} {today:%B %Y}"
    weekend = " arXiv announces no papers at weekends." if today.weekday() >= 5 else ""
    assert notice == (
        f"No papers are listed for today ({today_label}), so this page shows the latest day "
        f"with papers: Tuesday, 1 April 2025.{weekend}"
    )
    assert keys_on(body) == ["2503.00010"]
    assert '<time datetime="2025-04-01">Tuesday, 1 April 2025</time>' in body
    week = client.get("/papers/week/current", follow=True).content.decode()
    assert "the latest week with papers: Week 14 of 2025 (31 Mar to 6 Apr 2025)." in week
    # The dated URL itself, reached directly, needs no explanation.
    assert "shown-instead" not in client.get("/papers/date/2025-04-01").content.decode()


def test_previous_and_next_skip_empty_periods(client: Client, march: None) -> None:
    # Listed days: 10, 14, 16, 17, 31 March and 1 April (plus 27 Feb from the v1 day).
    def links(url: str) -> tuple[str, str]:
        body = client.get(url).content.decode()
        prev = re.search(r'<a rel="prev" class="feed-previous" href="([^"]+)">', body)
        nxt = re.search(r'<a rel="next" class="feed-next" href="([^"]+)">', body)
        return (prev[1] if prev else "", nxt[1] if nxt else "")

    assert links("/papers/date/2025-03-14") == (
        "/papers/date/2025-03-10",
        "/papers/date/2025-03-16",
    )
    assert links("/papers/date/2025-03-17") == (
        "/papers/date/2025-03-16",
        "/papers/date/2025-03-31",
    )
    # An empty day reached directly still links to the nearest days with papers.
    assert links("/papers/date/2025-03-20") == (
        "/papers/date/2025-03-17",
        "/papers/date/2025-03-31",
    )
    assert links("/papers/date/2025-03-10") == (
        "/papers/date/2025-02-27",
        "/papers/date/2025-03-14",
    )
    assert links("/papers/date/2025-02-27") == ("", "/papers/date/2025-03-10")
    assert links("/papers/date/2025-04-01")[1] == ""  # nothing later, up to today
    assert links("/papers/week/2025-W14") == ("/papers/week/2025-W12", "")
    assert links("/papers/month/2025-03") == ("/papers/month/2025-02", "/papers/month/2025-04")
    # A hidden paper does not make its day worth a link.
    paper("2503.00050", date(2025, 3, 12), hidden=True)
    assert links("/papers/date/2025-03-14")[0] == "/papers/date/2025-03-10"
    # Walking next from the first day visits only days with papers.
    url, seen = "/papers/date/2025-02-27", []
    while url:
        body = client.get(url).content.decode()
        assert "No papers on this day" not in body, url
        seen.append(url.rsplit("/", 1)[1])
        url = links(url)[1]
    assert seen == [
        "2025-02-27",
        "2025-03-10",
        "2025-03-14",
        "2025-03-16",
        "2025-03-17",
        "2025-03-31",
        "2025-04-01",
    ]


@pytest.mark.parametrize(
    ("today", "weekend_reason"),
    [(date(2026, 12, 5), True), (date(2026, 12, 6), True), (date(2026, 12, 7), False)],
)
def test_the_weekend_reason_is_given_only_at_weekends(today: date, weekend_reason: bool) -> None:
    # A site loaded from a file without years can have a Saturday as its latest day:
    # "no papers at weekends" beside it would contradict the page.
    saturday = period_containing("date", date(2026, 3, 14))
    why = shown_instead(saturday, today)
    assert why.startswith("No papers are listed for today")
    assert ("at weekends" in why) is weekend_reason
