"""HTML listings page through their first ``LISTING_MAX_ROWS`` papers and say so."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from tests.papers.test_views import make_paper, when

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten_papers(settings) -> None:
    settings.PAPERS_PER_PAGE = 2
    settings.LISTING_MAX_ROWS = 4
    for number in range(10):
        make_paper(
            f"2503.{number:05d}",
            f"Paper {number}",
            published=when(2025, 3, 14),
            feed_day=date(2025, 3, 14),
        )


@pytest.mark.parametrize("url", ["/new", "/papers/date/2025-03-14", "/papers/month/2025-03"])
def test_pages_past_the_cap_are_not_served(client: Client, ten_papers: None, url: str) -> None:
    last = client.get(url, {"page": 2})
    assert last.status_code == 200
    body = last.content.decode()
    assert "Page 2 of 2" in body
    assert "page=3" not in body
    assert "Pages stop at the first 4 of 10 papers" in body
    assert client.get(url, {"page": 3}).status_code == 404
    assert client.get(url, {"page": 5}).status_code == 404


def test_a_listing_inside_the_cap_says_nothing_about_it(client: Client, settings) -> None:
    settings.PAPERS_PER_PAGE = 2
    for number in range(3):
        make_paper(f"2503.{number:05d}", f"Paper {number}", feed_day=date(2025, 3, 14))
    body = client.get("/new", {"page": 2}).content.decode()
    assert "Page 2 of 2" in body
    assert "Pages stop" not in body
