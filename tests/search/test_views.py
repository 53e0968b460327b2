"""``/search`` through the test client: always 200, escaped, paged, GET only."""

from __future__ import annotations

import pytest
from django.test import Client

from papertrend.search import indexing

from .conftest import MakePaper
from .test_backend import HOSTILE

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(make_paper: MakePaper) -> None:
    make_paper("2401.00001", "<script>alert(1)</script> attention", "An abstract.")
    for i in range(2, 30):
        make_paper(f"2401.{i:05d}", f"Graph paper {i}", "Graph neural networks.")
    indexing.sync()


@pytest.mark.parametrize("query", [*HOSTILE, "2401.00001", "https://arxiv.org/pdf/2401.00001v1"])
def test_hostile_queries_return_200(client: Client, seeded: None, query: str) -> None:
    response = client.get("/search", {"q": query, "page": "2"})
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["", "0", "-3", "abc", "1e9", "99999999999999999999"])
def test_odd_page_numbers_return_200(client: Client, seeded: None, page: str) -> None:
    assert client.get("/search", {"q": "graph", "page": page}).status_code == 200


def test_title_with_markup_is_escaped(client: Client, seeded: None) -> None:
    html = client.get("/search", {"q": "attention"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_query_is_kept_escaped_in_the_search_box(client: Client, seeded: None) -> None:
    html = client.get("/search", {"q": '"><b>graph'}).content.decode()
    assert 'value="&quot;&gt;&lt;b&gt;graph"' in html
    assert "<b>graph" not in html


def test_total_and_pagination_links(client: Client, seeded: None) -> None:
    html = client.get("/search", {"q": "graph networks"}).content.decode()
    # Issue 15, item 6: the count says what it counts (no vectors: keyword matches only).
    assert "28 keyword matches" in html
    assert 'href="?q=graph+networks&amp;page=2"' in html
    page2 = client.get("/search", {"q": "graph networks", "page": "2"}).content.decode()
    assert 'href="?q=graph+networks&amp;page=1"' in page2


def test_empty_query_shows_message(client: Client) -> None:
    response = client.get("/search")
    assert response.status_code == 200
    assert "Type some words" in response.content.decode()


def test_post_is_not_allowed(client: Client) -> None:
    assert client.post("/search", {"q": "graph"}).status_code == 405
