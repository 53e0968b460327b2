"""Pages readers see name no commands and show no raw backticks (issue 15, item 12).

Operators read commands in the docs, the CLI and ``papertrend index status``; a
reader who searches for a paper that is not here yet, or searches before the
papers are indexed by meaning, gets plain sentences. Every page is fetched as an
anonymous reader, in the states where such notes appear.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from papertrend.search import indexing

from .conftest import MakePaper

pytestmark = pytest.mark.django_db

# A papertrend command, a shell path to one, or Markdown code quotes.
_OPERATOR_TEXT = re.compile(
    r"`|\bpapertrend (?:ingest|harvest|index|serve|trending|stars|digests|eval)\b"
    r"|\.venv/bin|\bmanage\.py\b|\bmake run\b"
)
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it: tags, scripts and styles removed, entities decoded."""
    return " ".join(unescape(_TAGS.sub(" ", html)).split())


def operator_text(client: Client, url: str) -> list[str]:
    """Commands and backticks in the visible text of ``url`` (followed to its last page)."""
    response = client.get(url, follow=True)
    assert response.status_code in (200, 404, 414), (url, response.status_code)
    text = visible_text(response.content.decode())
    return [text[max(0, m.start() - 60) : m.end() + 60] for m in _OPERATOR_TEXT.finditer(text)]


def test_empty_site_names_no_commands(client: Client) -> None:
    for url in ("/", "/new", "/search?q=attention", "/papers/date/today"):
        assert operator_text(client, url) == [], url


@pytest.fixture
def papers(make_paper: MakePaper) -> None:
    # Keyword index only: no vectors, no trending scores yet.
    make_paper("2401.00001", "Sparse attention for long documents", "Attention, made sparse.")
    make_paper("2401.00002", "Graph networks", "Graph neural networks for molecules.")
    indexing.sync()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/new",
        "/papers/2401.00001",
        "/search?q=attention",
        "/search?q=attention&mode=semantic",
        "/search?q=2501.99999",  # an arXiv id that is not here yet
        "/search?q=https://arxiv.org/abs/2501.99999v2",
        "/papers/date/today",
        "/subscribe",
        "/accounts/login",
        "/accounts/signup",
        "/submit",
        "/papers/9999.99999",
        "/search?q=" + "a" * 20_000,
    ],
)
def test_reader_pages_name_no_commands(client: Client, papers: None, url: str) -> None:
    assert operator_text(client, url) == []


def test_notes_that_replaced_commands_are_shown(client: Client, papers: None) -> None:
    # The same notes, in words a reader can act on.
    missing = visible_text(client.get("/search", {"q": "arXiv:2501.99999"}).content.decode())
    assert "arXiv:2501.99999 is not in papertrend yet; signed-in readers can add it" in missing
    semantic = visible_text(client.get("/search", {"q": "attention"}).content.decode())
    assert "Search by meaning is not ready yet" in semantic
