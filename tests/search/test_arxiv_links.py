"""An arXiv id or link typed into ``/search`` puts that paper first, in every form.

Issue 15, item 10: the forms are the ones ``/submit`` takes (one parser,
``papers.identifiers.parse``), sent through the page as a browser would.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from papertrend.papers.identifiers import ArxivId
from papertrend.search import indexing
from tests.papers.test_identifiers import LINK_FORMS

from .conftest import MakePaper

pytestmark = pytest.mark.django_db

# Every result card's title links to the paper's page.
_CARD_LINK = re.compile(r'<h2 class="card-title"><a href="(?P<url>[^"]+)"')


@pytest.fixture
def seeded(make_paper: MakePaper) -> None:
    # Titles without the ids, so only the id lookup (not keyword search) finds them.
    for key, title in (
        ("2101.00001", "Sparse attention"),
        ("astro-ph/0112020", "Dark matter halos"),
        ("math/0309136", "Knot invariants"),
    ):
        make_paper(key, title, "Links to papers pasted in search boxes.")
    for i in range(2, 12):
        make_paper(f"2101.{i:05d}", f"Another paper {i}", "Links to papers pasted in search.")
    indexing.sync()


@pytest.mark.parametrize(("raw", "expected"), LINK_FORMS)
def test_search_puts_the_linked_paper_first(
    client: Client, seeded: None, raw: str, expected: ArxivId
) -> None:
    response = client.get("/search", {"q": raw})
    assert response.status_code == 200
    urls = _CARD_LINK.findall(response.content.decode())
    assert urls, raw
    assert urls[0] == f"/papers/{expected.base}", raw
    assert urls.count(f"/papers/{expected.base}") == 1
