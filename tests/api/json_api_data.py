"""Papers, repositories and scores made through the ORM, for the JSON API tests.

Test modules wrap :func:`seed` in a ``seeded`` fixture.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.contrib.auth.models import User

from papertrend.accounts.models import Upvote
from papertrend.coderepos.models import PaperRepository, Repository, StarSnapshot
from papertrend.papers.models import Paper
from papertrend.search.models import enqueue
from papertrend.trending.models import TrendingScore

DAY = date(2025, 3, 14)


def make_paper(key: str, title: str, **fields: Any) -> Paper:
    """A visible paper listed on :data:`DAY` unless ``fields`` say otherwise."""
    values: dict[str, Any] = {
        "arxiv_id": None if key.startswith("t:") else key,
        "title_key": key[:24],
        "abstract": "We study $x^2$ and \\emph{things}.",
        "authors": [{"forenames": "Ada", "keyname": "Lovelace", "suffix": "", "affiliation": ""}],
        "categories": ["cs.LG"],
        "primary_category": "cs.LG",
        "published": datetime(2025, 3, 13, 18, 0, tzinfo=UTC),
        "feed_day": DAY,
        "latest_version": 2,
    }
    values.update(fields)
    paper = Paper.objects.create(key=key, title=title, **values)
    enqueue([key])
    return paper


def seed() -> dict[str, Any]:
    """Four visible papers (one old-style, one with code), one hidden; scores; a star history."""
    new = make_paper(
        "2503.01234",
        "Attention Is \\emph{Still} All You Need",
        authors=[
            {"forenames": "Ada", "keyname": "Lovelace", "suffix": "", "affiliation": ""},
            {"forenames": "Kurt", "keyname": 'G\\"odel', "suffix": "", "affiliation": ""},
        ],
    )
    old = make_paper(
        "hep-th/9901001",
        "Strings, old style",
        published=datetime(1999, 1, 4, tzinfo=UTC),
        feed_day=date(2025, 3, 13),
    )
    script = make_paper(
        "2503.05555",
        "<script>alert(1)</script> Robust parsing",
        published=datetime(2025, 3, 12, 9, 0, tzinfo=UTC),
    )
    hidden = make_paper("2503.09999", "Hidden paper", hidden=True)
    repo = Repository.objects.create(
        host="github.com", owner="Acme", name="Attn", key="github.com/acme/attn", stars=1234
    )
    hidden_repo = Repository.objects.create(
        host="github.com", owner="evil", name="spam", key="github.com/evil/spam", hidden=True
    )
    PaperRepository.objects.create(paper=new, repository=hidden_repo, found_in="abstract")
    PaperRepository.objects.create(paper=new, repository=repo, found_in="abstract")
    PaperRepository.objects.create(paper=hidden, repository=repo, found_in="abstract")
    for day, stars in ((1, 1000), (2, 1100), (3, 1234)):
        StarSnapshot.objects.create(
            repository=repo, observed_at=datetime(2025, 3, day, 12, tzinfo=UTC), stars=stars
        )
    voter = User.objects.create_user("voter", password="x")
    Upvote.objects.create(user=voter, paper=script)
    now = datetime(2025, 3, 14, 12, tzinfo=UTC)
    for paper, score in ((new, 5.0), (script, 1.0), (hidden, 9.0)):
        TrendingScore.objects.create(
            paper=paper,
            window="week",
            score=score,
            stars_gained=234 if paper is new else 0,
            upvotes=0,
            age_hours=18.0,
            computed_at=now,
        )
    return {"new": new, "old": old, "script": script, "hidden": hidden, "repo": repo}
