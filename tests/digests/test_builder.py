"""The digest builder: candidates, ranking per preference, the outbox rows, exactly once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from papertrend.accounts.models import Upvote
from papertrend.digests.builder import build_due, candidates, preview_items, rank
from papertrend.digests.models import Digest, SentPaper, Subscriber
from papertrend.papers.models import Paper
from papertrend.search.indexing import sync
from papertrend.search.models import enqueue
from papertrend.trending.models import TrendingScore

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday
DUE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)

MakePaper = Callable[..., Paper]


@pytest.fixture
def paper() -> MakePaper:
    def make(
        key: str,
        title: str,
        abstract: str = "",
        authors: Sequence[tuple[str, str]] = (("Ada", "Lovelace"),),
        categories: Sequence[str] = ("cs.LG",),
        feed_day: date = TODAY,
        hidden: bool = False,
    ) -> Paper:
        created = Paper.objects.create(
            key=key,
            arxiv_id=key,
            title_key=key,
            title=title,
            abstract=abstract,
            authors=[
                {"forenames": f, "keyname": k, "suffix": "", "affiliation": ""} for f, k in authors
            ],
            categories=list(categories),
            primary_category=categories[0],
            published=datetime.combine(feed_day, datetime.min.time(), tzinfo=UTC),
            feed_day=feed_day,
            hidden=hidden,
        )
        enqueue([key])
        return created

    return make


def subscriber(email: str = "a@example.org", **prefs: Any) -> Subscriber:
    fields: dict[str, Any] = {
        "confirmed_at": DUE - timedelta(days=10),
        "next_digest_at": DUE,
        "top_trending": 0,
        "hour": 8,
    }
    fields.update(prefs)
    return Subscriber.objects.create(email=email, **fields)


def trend(p: Paper, stars: int, window: str = "day", upvotes: int = 0) -> TrendingScore:
    return TrendingScore.objects.create(
        paper=p,
        window=window,
        score=float(stars + 5 * upvotes),
        stars_gained=stars,
        upvotes=upvotes,
        age_hours=50.0,
        computed_at=NOW,
    )


def items(sub: Subscriber) -> list[tuple[str, str]]:
    digest = Digest.objects.get(subscriber=sub)
    keys = dict(Paper.objects.values_list("id", "key"))
    return [(keys[i["paper"]], i["reason"]) for i in digest.items]


def test_empty_period_records_a_skipped_digest(paper: MakePaper) -> None:
    paper("2611.00001", "Old news", feed_day=date(2026, 11, 20))
    sub = subscriber(top_trending=10)
    stats = build_due(NOW)
    digest = Digest.objects.get(subscriber=sub)
    assert digest.status == Digest.SKIPPED
    assert digest.items == []
    assert digest.period == "daily:2026-12-01"
    assert SentPaper.objects.count() == 0
    assert (stats.pending, stats.skipped) == (0, 1)
    sub.refresh_from_db()
    assert sub.last_digest_at == DUE
    assert sub.next_digest_at == datetime(2026, 12, 2, 8, tzinfo=UTC)


def test_categories_and_trending_reasons(paper: MakePaper) -> None:
    lg = paper("2612.00001", "Learning things", categories=("cs.LG", "stat.ML"))
    paper("2612.00002", "Pure maths", categories=("math.CO",))
    hot = paper("2611.00003", "Hot repo", feed_day=date(2026, 11, 1))
    trend(hot, 420)
    sub = subscriber(categories=["stat.ML"], top_trending=5)
    build_due(NOW)
    assert items(sub) == [
        (lg.key, "new in stat.ML"),
        (hot.key, "+420 stars today · 2 days old"),  # issue #10: the tabs' window words
    ]
    assert Digest.objects.get(subscriber=sub).status == Digest.PENDING
    assert set(SentPaper.objects.values_list("paper__key", flat=True)) == {lg.key, hot.key}


def test_weekly_uses_the_week_window(paper: MakePaper) -> None:
    hot = paper("2611.00003", "Weekly star", feed_day=date(2026, 11, 1))
    trend(hot, 7, window="week")
    day_only = paper("2611.00004", "Daily star", feed_day=date(2026, 11, 1))
    trend(day_only, 9, window="day")
    sub = subscriber(frequency="weekly", weekday=1, top_trending=3)
    build_due(NOW)
    assert [k for k, _ in items(sub)] == [hot.key]
    assert Digest.objects.get(subscriber=sub).period == "weekly:2026-W49"


def test_query_uses_the_search_index_in_bm25_order(paper: MakePaper) -> None:
    best = paper("2612.00001", "Test-time adaptation for vision", "test-time adaptation")
    other = paper("2612.00002", "A survey", "we mention adaptation once")
    paper("2612.00003", "Unrelated graphs", "graphs")
    old = paper("2611.00004", "Test-time adaptation, old", feed_day=date(2026, 10, 1))
    sync()
    sub = subscriber(query="test-time adaptation")
    build_due(NOW)
    got = items(sub)
    assert got[0] == (best.key, "matches 'test-time adaptation'")
    assert [k for k, _ in got] == [best.key, other.key]
    assert old.key not in dict(got)


def test_authors_case_and_accent_insensitive(paper: MakePaper) -> None:
    by = paper("2612.00001", "Graph limits", authors=(("Bal\\'azs", "Szegedy"),))
    paper("2612.00002", "Other", authors=(("Laszlo", "Lovasz"),))
    sub = subscriber(authors=["balazs szegedy"])
    other = subscriber("b@example.org", authors=["SZEGEDY"])
    build_due(NOW)
    assert items(sub) == [(by.key, "by balazs szegedy")]
    assert items(other) == [(by.key, "by SZEGEDY")]


def test_similar_to_saved_uses_upvoted_titles(paper: MakePaper) -> None:
    saved = paper("2611.00001", "Diffusion models for protein design", feed_day=date(2026, 11, 1))
    like = paper("2612.00002", "Protein design with diffusion", "diffusion protein")
    paper("2612.00003", "Tax law", "taxes")
    sync()
    user = get_user_model().objects.create_user("reader", password="x" * 12)
    Upvote.objects.create(user=user, paper=saved)
    sub = subscriber(similar_to_saved=True, user=user)
    lonely = subscriber("b@example.org", similar_to_saved=True)
    build_due(NOW)
    assert items(sub) == [(like.key, "like 'Diffusion models for protein design'")]
    assert Digest.objects.get(subscriber=lonely).status == Digest.SKIPPED


def test_order_dedupe_and_cap(paper: MakePaper) -> None:
    papers = [paper(f"2612.{i:05d}", f"Adaptation paper {i}", "adaptation") for i in range(30)]
    trend(papers[0], 100)
    sync()
    sub = subscriber(query="adaptation", categories=["cs.LG"], top_trending=5)
    build_due(NOW)
    got = items(sub)
    assert len(got) == 20
    assert len({k for k, _ in got}) == 20
    assert all(r == "matches 'adaptation'" for _, r in got)


def test_empty_preferences_mean_top_trending(paper: MakePaper) -> None:
    hot = paper("2611.00003", "Hot", feed_day=date(2026, 11, 1))
    trend(hot, 3)
    sub = subscriber()
    build_due(NOW)
    assert [k for k, _ in items(sub)] == [hot.key]


def test_paper_announced_twice_is_sent_once(paper: MakePaper) -> None:
    # New today AND trending, then still trending tomorrow, then ingested again.
    p = paper("2612.00001", "Twice", categories=("cs.LG",))
    trend(p, 50)
    sub = subscriber(categories=["cs.LG"], top_trending=5)
    build_due(NOW)
    assert items(sub) == [(p.key, "new in cs.LG")]
    Paper.objects.filter(pk=p.pk).update(feed_day=date(2026, 12, 2))  # re-announced
    build_due(NOW + timedelta(days=1))
    second = Digest.objects.get(subscriber=sub, period="daily:2026-12-02")
    assert second.status == Digest.SKIPPED
    assert SentPaper.objects.filter(subscriber=sub, paper=p).count() == 1


def test_inactive_subscribers_get_nothing(paper: MakePaper) -> None:
    hot = paper("2611.00003", "Hot", feed_day=date(2026, 11, 1))
    trend(hot, 3)
    subscriber("unconfirmed@example.org", confirmed_at=None)
    subscriber("gone@example.org", unsubscribed_at=NOW - timedelta(days=1))
    subscriber("bounced@example.org", disabled_at=NOW - timedelta(days=1))
    subscriber("later@example.org", next_digest_at=NOW + timedelta(hours=1))
    assert build_due(NOW).subscribers == 0
    assert Digest.objects.count() == 0


def test_first_schedule_from_confirmation(paper: MakePaper) -> None:
    sub = subscriber(next_digest_at=None, confirmed_at=datetime(2026, 11, 30, 12, tzinfo=UTC))
    build_due(NOW)
    assert Digest.objects.get(subscriber=sub).period == "daily:2026-12-01"
    sub = subscriber("b@example.org", next_digest_at=None, confirmed_at=NOW)
    build_due(NOW)
    sub.refresh_from_db()
    assert sub.next_digest_at == datetime(2026, 12, 2, 8, tzinfo=UTC)
    assert not Digest.objects.filter(subscriber=sub).exists()


def test_rerun_creates_nothing_new(paper: MakePaper) -> None:
    p = paper("2612.00001", "Once", categories=("cs.LG",))
    sub = subscriber(categories=["cs.LG"])
    build_due(NOW)
    # A rerun at the same instant, and one where the schedule was reset (a crashed
    # builder that wrote the rows but not the schedule): nothing new either way.
    assert build_due(NOW).subscribers == 0
    Subscriber.objects.filter(pk=sub.pk).update(next_digest_at=DUE, last_digest_at=None)
    stats = build_due(NOW)
    assert (stats.subscribers, stats.existing, stats.pending) == (1, 1, 0)
    assert Digest.objects.count() == 1
    assert SentPaper.objects.filter(paper=p).count() == 1


def test_hidden_papers_are_never_candidates(paper: MakePaper) -> None:
    paper("2612.00001", "Hidden", hidden=True)
    sub = subscriber(categories=["cs.LG"])
    build_due(NOW)
    assert Digest.objects.get(subscriber=sub).status == Digest.SKIPPED


def test_candidates_rank_and_preview_write_nothing(paper: MakePaper) -> None:
    p = paper("2612.00001", "Preview me", categories=("cs.LG",))
    sent = paper("2612.00002", "Already sent", categories=("cs.LG",))
    sub = subscriber(categories=["cs.LG"])
    digest = Digest.objects.create(subscriber=sub, period="daily:2026-11-01", due_at=DUE)
    SentPaper.objects.create(subscriber=sub, paper=sent, digest=digest)
    found = candidates(sub, DUE - timedelta(days=1), DUE)
    assert [c.key for c in found] == [p.key]
    assert [(x.key, r) for x, r in rank(sub, found)] == [(p.key, "new in cs.LG")]
    assert [(x.key, r) for x, r in preview_items(sub, NOW)] == [(p.key, "new in cs.LG")]
    assert Digest.objects.count() == 1
    assert SentPaper.objects.count() == 1


def test_time_zone_due_and_period(paper: MakePaper) -> None:
    sub = subscriber(
        timezone="Asia/Kolkata", hour=8, next_digest_at=datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    )
    build_due(NOW)
    sub.refresh_from_db()
    assert Digest.objects.get(subscriber=sub).period == "daily:2026-12-01"
    assert sub.next_digest_at == datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
