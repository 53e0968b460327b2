"""Official vs community code, framework and source: shown on paper pages and in the API,
and the ``has_code`` / ``official_code`` filters on listings, search, feeds and the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from django.test import Client

from papertrend.coderepos.pwc import import_files
from papertrend.papers.ingest import ingest_records
from papertrend.papers.records import KAGGLE, PaperRecord, VersionInfo
from papertrend.search import indexing

pytestmark = pytest.mark.django_db

DAY = "2024-02-05"
OFFICIAL = "Retrieval With Official Code"
COMMUNITY = "Retrieval With Community Code"
NONE = "Retrieval Without Any Code"


@pytest.fixture
def papers(tmp_path: Path) -> None:
    submitted = datetime(2024, 2, 5, 10, tzinfo=UTC)
    ingest_records(
        [
            PaperRecord(
                KAGGLE,
                f"seed line {n}",
                title,
                arxiv_id=f"2402.0000{n}",
                abstract=f"We study dense retrieval, paper {n}.",
                categories=["cs.IR"],
                versions=[VersionInfo(1, submitted)],
                announced=submitted.date(),
            )
            for n, title in enumerate((OFFICIAL, COMMUNITY, NONE), 1)
        ]
    )
    rows = [
        {
            "paper_url": "https://paperswithcode.com/paper/x",
            "paper_title": title,
            "paper_arxiv_id": arxiv_id,
            "paper_url_abs": f"https://arxiv.org/abs/{arxiv_id}v1",
            "repo_url": repo,
            "is_official": official,
            "mentioned_in_paper": official,
            "mentioned_in_github": False,
            "framework": framework,
        }
        for title, arxiv_id, repo, official, framework in (
            (OFFICIAL, "2402.00001", "https://github.com/auth/official", True, "pytorch"),
            (COMMUNITY, "2402.00002", "https://github.com/fan/reimpl", False, "tf"),
        )
    ]
    path = tmp_path / "links.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    import_files([path])
    indexing.sync()


def shown(html: str) -> list[str]:
    """The test papers a page lists, in page order of the fixture (by their page links;
    search highlights words inside titles)."""
    return [
        title
        for n, title in enumerate((OFFICIAL, COMMUNITY, NONE), 1)
        if f'href="/papers/2402.0000{n}"' in html
    ]


def test_paper_page_shows_official_or_community_framework_and_source(client: Client, papers):
    official = client.get("/papers/2402.00001").content.decode()
    assert "official code · PyTorch · from Papers with Code" in official
    community = client.get("/papers/2402.00002").content.decode()
    assert "community code · TensorFlow · from Papers with Code" in community


def test_api_paper_repositories_carry_official_framework_and_source(client: Client, papers):
    official = client.get("/api/papers/2402.00001").json()["repositories"]
    community = client.get("/api/papers/2402.00002").json()["repositories"]
    assert [(r["name"], r["is_official"], r["framework"], r["source"]) for r in official] == [
        ("official", True, "pytorch", "pwc")
    ]
    assert [(r["name"], r["is_official"], r["framework"], r["source"]) for r in community] == [
        ("reimpl", False, "tf", "pwc")
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, [OFFICIAL, COMMUNITY, NONE]),
        ({"has_code": "1"}, [OFFICIAL, COMMUNITY]),
        ({"official_code": "1"}, [OFFICIAL]),
    ],
)
def test_listings_and_feeds_filter_by_code(client: Client, papers, query, expected):
    notes = {
        "has_code": "Only papers with code are shown.",
        "official_code": "Only papers with their authors' own code are shown.",
    }
    for url in ("/new", f"/papers/date/{DAY}"):
        body = client.get(url, query).content.decode()
        assert shown(body) == expected, url
        for flag, note in notes.items():  # a filtered listing says so
            assert (note in body) is (flag in query), (url, flag)
    for url in ("/feeds/new.rss", f"/feeds/date/{DAY}.atom", "/feeds/category/cs.IR.rss"):
        entries = feedparser.parse(client.get(url, query).content).entries
        assert sorted(e.title for e in entries) == sorted(expected), url
    search = {"q": "retrieval", "mode": "keyword", **query}
    assert sorted(shown(client.get("/search", search).content.decode())) == sorted(expected)
    feed = feedparser.parse(client.get("/feeds/search.rss", search).content)
    assert sorted(e.title for e in feed.entries) == sorted(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"has_code": "true"}, [OFFICIAL, COMMUNITY]), ({"official_code": "true"}, [OFFICIAL])],
)
def test_api_listings_and_search_filter_by_code(client: Client, papers, query, expected):
    daily = client.get("/api/daily_papers", {"date": DAY, **query}).json()
    assert sorted(item["title"] for item in daily) == sorted(expected)
    found = client.get("/api/papers/search", {"q": "retrieval", "mode": "keyword", **query})
    assert sorted(item["title"] for item in found.json()) == sorted(expected)
