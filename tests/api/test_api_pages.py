"""Pages of the JSON API's listings: shallow pages as on Hugging Face, deep pages refused.

Every listing (daily papers, search, trending) reaches its first ``MAX_ROWS`` rows;
a page past them answers 400 ``page_too_deep`` in the API's error shape instead of
scanning an OFFSET (seconds at 200k papers) or, for search, an empty list that looks
like the end of the results. BibTeX exports of a period past their cap answer 400
with the reason instead of holding a worker for minutes.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from papertrend.api import bibtex, export_urls
from papertrend.search.indexing import sync
from tests.api.json_api_data import make_paper, seed

pytestmark = pytest.mark.django_db

# The documented cap (README, the OpenAPI schema), stated here rather than imported.
MAX_ROWS = 10_000

LISTINGS = [
    "/api/daily_papers?week=2025-W11",
    "/api/daily_papers?month=2025-03&sort=trending",
    "/api/papers/search?q=paper",
    "/api/papers/search?q=paper&mode=keyword",
    "/api/trending?window=week",
]


@pytest.fixture
def seeded(db: None) -> dict[str, Any]:
    return seed()


def ids(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [item["paper"]["id"] for item in response.json()]


@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize(
    ("p", "limit"), [(1000, 100), (MAX_ROWS // 100, 100), (MAX_ROWS // 2, 2), (1000, 10)]
)
def test_pages_past_the_row_cap_are_refused(
    client: Client, seeded: Any, listing: str, p: int, limit: int
) -> None:
    response = client.get(f"{listing}&p={p}&limit={limit}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400 and error["code"] == "page_too_deep"
    assert f"{MAX_ROWS}" in error["message"] and f"p={p}" in error["message"]
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize(("p", "limit"), [(MAX_ROWS // 100 - 1, 100), (MAX_ROWS - 1, 1)])
def test_the_last_page_inside_the_cap_answers(
    client: Client, seeded: Any, listing: str, p: int, limit: int
) -> None:
    sync()
    assert ids(client, f"{listing}&p={p}&limit={limit}") == []


def test_shallow_pages_walk_every_row_once(client: Client, seeded: Any) -> None:
    for n in range(5):
        make_paper(f"2503.0010{n}", f"Another paper {n}")
    sync()
    for listing in LISTINGS:
        everything = ids(client, f"{listing}&limit=100")
        walked = [key for p in range(4) for key in ids(client, f"{listing}&p={p}&limit=2")]
        assert walked == everything, listing
        assert len(everything) >= 2, listing


@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize(("p", "limit"), [(MAX_ROWS, 1), (1, MAX_ROWS)])
def test_parameters_outside_the_schema_bounds_are_invalid(
    client: Client, seeded: Any, listing: str, p: int, limit: int
) -> None:
    response = client.get(f"{listing}&p={p}&limit={limit}")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["status"] == 422
    assert ("query.p" if limit == 1 else "query.limit") in error["message"]


def test_schema_states_the_cap(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    for path in ("/api/daily_papers", "/api/papers/search", "/api/trending"):
        params = {x["name"]: x for x in schema["paths"][path]["get"]["parameters"]}
        page = params["p"]["schema"]
        assert (page["minimum"], page["maximum"]) == (0, MAX_ROWS - 1), path
        assert f"(p + 1) * limit may not exceed {MAX_ROWS}" in params["p"]["description"]
        assert params["limit"]["schema"]["maximum"] == 100
        assert "400" in schema["paths"][path]["get"]["responses"]
    assert "page_too_deep" in schema["info"]["description"]


@pytest.mark.parametrize("kind", ["week/2025-W11", "month/2025-03"])
def test_period_exports_past_the_cap_are_refused(
    client: Client, seeded: Any, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # The seeded week and month each list three visible papers (the hidden one is not counted).
    monkeypatch.setattr(export_urls, "MAX_EXPORT_PAPERS", 3)
    response = client.get(f"/export/bibtex/{kind}")
    assert response.status_code == 200
    assert response.content.decode().count("\n@") + response.content.startswith(b"@") == 3
    monkeypatch.setattr(export_urls, "MAX_EXPORT_PAPERS", 2)
    response = client.get(f"/export/bibtex/{kind}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Disposition" not in response
    text = response.content.decode()
    assert f"{kind.split('/')[1]} lists 3 papers" in text and "at most 2" in text


def test_export_keys_shared_by_a_whole_month_cost_linear_time() -> None:
    # 50,000 papers with one base key (no authors, the same first title word): the
    # quadratic suffix scan this replaces needed ~1.25e9 lookups; linear takes ~0.1 s.
    used: set[str] = set()
    tried: dict[str, int] = {}
    started = time.perf_counter()
    keys = [bibtex._unique("2025Paper", used, tried) for _ in range(50_000)]
    assert time.perf_counter() - started < 5
    assert keys[:3] == ["2025Paper", "2025Paperb", "2025Paperc"]
    assert keys[25:27] == ["2025Paperz", "2025Paper27"] and keys[-1] == "2025Paper50000"
    assert len(set(keys)) == 50_000
    # A base key that is another key plus a suffix still gets a free key.
    assert bibtex._unique("2025Paperb", used, tried) == "2025Paperbb"
