"""The JSON API on ORM-made papers: contents, visibility, caching, CORS, errors, rate limit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.api.json_api_data import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db: None) -> dict[str, Any]:
    return seed()


def get(client: Client, url: str, **headers: str) -> Any:
    return client.get(url, headers=headers)


def test_daily_papers_latest_day_in_hugging_face_shape(client: Client, seeded: Any) -> None:
    response = client.get("/api/daily_papers")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    items = response.json()
    # Latest listed day is 2025-03-14: the new paper and the <script> one; hidden excluded.
    assert [item["paper"]["id"] for item in items] == ["2503.01234", "2503.05555"]
    first = items[0]
    assert first["title"] == "Attention Is Still All You Need"
    assert first["paper"]["title"] == first["title"]
    assert first["paper"]["authors"] == [{"name": "Ada Lovelace"}, {"name": "Kurt Gödel"}]
    assert first["paper"]["summary"] == first["summary"]
    assert "\\emph" not in first["summary"] and "things" in first["summary"]
    assert first["paper"]["publishedAt"] == "2025-03-13T18:00:00.000Z"
    assert first["publishedAt"] == "2025-03-14T00:00:00.000Z"
    # The hidden repository is linked first; the visible one is reported.
    assert first["paper"]["githubRepo"] == "https://github.com/Acme/Attn"
    assert first["paper"]["githubStars"] == 1234
    assert first["paper"]["upvotes"] == 0
    assert first["numComments"] == 0 and first["thumbnail"] is None
    assert items[1]["paper"]["upvotes"] == 1
    assert items[1]["paper"]["githubRepo"] is None and items[1]["paper"]["githubStars"] is None


def test_daily_papers_filters_sort_and_pages(client: Client, seeded: Any) -> None:
    by_day = client.get("/api/daily_papers?date=2025-03-13").json()
    assert [i["paper"]["id"] for i in by_day] == ["hep-th/9901001"]
    week = client.get("/api/daily_papers?week=2025-W11").json()
    assert {i["paper"]["id"] for i in week} == {"2503.01234", "2503.05555", "hep-th/9901001"}
    month = client.get("/api/daily_papers?month=2025-03&sort=trending").json()
    assert month[0]["paper"]["id"] == "2503.05555"  # the only upvoted one
    pages = [client.get(f"/api/daily_papers?week=2025-W11&limit=2&p={p}").json() for p in (0, 1, 2)]
    assert [len(page) for page in pages] == [2, 1, 0]
    assert client.get("/api/daily_papers?date=2024-01-01").json() == []


def test_untrusted_title_is_data_not_html(client: Client, seeded: Any) -> None:
    response = client.get("/api/papers/2503.05555")
    assert response.json()["title"] == "<script>alert(1)</script> Robust parsing"
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "raw", ["2503.01234", "2503.01234v2", "2503.01234v9", "arXiv:2503.01234", "2503.01234v1"]
)
def test_paper_by_any_version(client: Client, seeded: Any, raw: str) -> None:
    body = client.get(f"/api/papers/{raw}").json()
    assert body["id"] == "2503.01234"
    assert body["categories"] == ["cs.LG"] and body["latestVersion"] == 2
    assert body["arxivUrl"] == "https://arxiv.org/abs/2503.01234"
    assert [r["url"] for r in body["repositories"]] == ["https://github.com/Acme/Attn"]


def test_old_style_and_hidden_papers(client: Client, seeded: Any) -> None:
    old = client.get("/api/papers/hep-th/9901001v3")
    assert old.status_code == 200 and old.json()["id"] == "hep-th/9901001"
    assert old["Last-Modified"]
    hidden = client.get("/api/papers/2503.09999")
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"


def test_trending_rows(client: Client, seeded: Any) -> None:
    rows = client.get("/api/trending?window=week").json()
    assert [r["paper"]["id"] for r in rows] == ["2503.01234", "2503.05555"]  # hidden left out
    assert rows[0]["rank"] == 1 and rows[0]["score"] == 5.0 and rows[0]["stars_gained"] == 234
    assert "+234 stars" in rows[0]["reason"]
    assert client.get("/api/trending?window=day").json() == []
    assert client.get("/api/trending?window=week&p=1&limit=1").json()[0]["rank"] == 2


def test_search_goes_through_the_index(client: Client, seeded: Any) -> None:
    from papertrend.search.indexing import sync

    sync()
    hits = client.get("/api/papers/search?q=attention").json()
    assert [h["paper"]["id"] for h in hits] == ["2503.01234"]
    assert client.get("/api/papers/search?q=hidden").json() == []
    assert client.get("/api/papers/search?q=").json() == []


def test_repository_with_star_history(client: Client, seeded: Any) -> None:
    body = client.get("/api/repos/acme/ATTN").json()
    assert body["url"] == "https://github.com/Acme/Attn"
    assert body["history"] == [
        {"date": "2025-03-01", "stars": 1000},
        {"date": "2025-03-02", "stars": 1100},
        {"date": "2025-03-03", "stars": 1234},
    ]
    assert body["papers"] == ["2503.01234"]  # the hidden paper is not listed
    assert client.get("/api/repos/evil/spam").status_code == 404


def test_etag_and_conditional_get(client: Client, seeded: Any) -> None:
    first = client.get("/api/daily_papers")
    assert first["Cache-Control"] == "public, max-age=60"
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get("/api/daily_papers", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    other = client.get("/api/daily_papers?date=2025-03-13", headers={"If-None-Match": etag})
    assert other.status_code == 200
    paper = client.get("/api/papers/2503.01234")
    since = client.get(
        "/api/papers/2503.01234", headers={"If-Modified-Since": paper["Last-Modified"]}
    )
    assert since.status_code == 304


def test_cors(client: Client, seeded: Any) -> None:
    for url in ("/api/daily_papers", "/api/papers/nope", "/api/openapi.json"):
        assert client.get(url)["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/daily_papers",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]


ERROR_CASES = [
    ("get", "/api/daily_papers?date=2025-02-30", 400),
    ("get", "/api/daily_papers?date=2025-03-14&week=2025-W11", 400),
    ("get", "/api/papers/0000.00000", 404),
    ("get", "/api/papers/not-a-paper", 404),
    ("get", "/api/no/such/endpoint", 404),
    ("get", "/api/repos/nobody/nothing", 404),
    ("post", "/api/daily_papers", 405),
    ("delete", "/api/papers/2503.01234", 405),
    ("get", "/api/daily_papers?limit=101", 422),
    ("get", "/api/daily_papers?p=-1", 422),
    ("get", "/api/trending?window=year", 422),
    ("get", "/api/daily_papers?sort=upvotes", 422),
]


@pytest.mark.parametrize(("method", "url", "status"), ERROR_CASES)
def test_one_error_shape(client: Client, seeded: Any, method: str, url: str, status: int) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message"}
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert response["Access-Control-Allow-Origin"] == "*"


def test_server_error_has_the_shape(client: Client, seeded: Any, monkeypatch: Any) -> None:
    from papertrend.api import json_api

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(json_api, "ranked_scores", boom)
    response = client.get("/api/trending")
    assert response.status_code == 500
    assert response.json()["error"] == {
        "status": 500,
        "code": "server_error",
        "message": "The server failed to answer; the error was logged.",
    }


def test_rate_limit(client: Client, seeded: Any, settings: Any) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl"}
    }
    settings.API_RATE = "3/m"
    statuses = [client.get("/api/trending").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    body = client.get("/api/daily_papers").json()
    assert body["error"]["status"] == 429 and body["error"]["code"] == "rate_limited"


def test_newline_in_a_path_still_gets_the_error_shape(client: Client, seeded: Any) -> None:
    response = client.get("/api/papers/2503.01234%0Ax")
    assert response.status_code == 404 and response.json()["error"]["status"] == 404


def test_head_is_get_without_body(client: Client, seeded: Any) -> None:
    response = client.head("/api/trending")
    assert response.status_code == 200 and response.content == b""
    assert response["ETag"] == client.get("/api/trending")["ETag"]


@pytest.mark.django_db
def test_api_docs_page_loads_nothing_from_other_hosts(client) -> None:
    html = client.get("/api/docs").content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn." not in html and "jsdelivr" not in html and "django-ninja.dev" not in html
