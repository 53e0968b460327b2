"""Untrusted text in feeds reads as the literal characters in every reader, and is never markup.

Readers are modelled two ways: feedparser with and without its HTML sanitizer (each
field read as the type feedparser decides, see ``feed_reader.shown``), and a naive
reader that renders every HTML-bearing field (RSS title/description, Atom
``type="html"``) as HTML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from typing import Any

import feedparser
import pytest
from django.test import Client

from papertrend.papers.models import Paper
from tests.api.feed_reader import live_tags, shown

pytestmark = pytest.mark.django_db

SITE = "https://papertrend.example"
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<b onmouseover="alert(1)">bold</b>',
    "Fish &amp; chips",
    "a < b > c",
    "\"double\" and 'single' quotes",
    "AT&T",
]
EXTS = ("rss", "atom")


@pytest.fixture(autouse=True)
def _site_url(settings: Any) -> None:
    settings.SITE_URL = SITE


@pytest.fixture
def hostile_papers() -> dict[str, str]:
    """One paper per hostile string, in its title, abstract and author name; key -> string."""
    made = {}
    for n, text in enumerate(HOSTILE, start=1):
        key = f"2503.{n:05d}"
        Paper.objects.create(
            key=key,
            arxiv_id=key,
            title_key=key,
            title=f"T {text}",
            abstract=f"A {text}",
            authors=[{"forenames": "Ann", "keyname": text}],
            published=datetime(2025, 3, 14, 9, tzinfo=UTC),
            feed_day=date(2025, 3, 14),
        )
        made[key] = text
    return made


def parse(content: bytes, sanitize: bool) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(content, sanitize_html=sanitize)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


@pytest.mark.parametrize("sanitize", [True, False], ids=["sanitizing", "raw"])
@pytest.mark.parametrize("ext", EXTS)
def test_feedparser_shows_the_literal_characters(
    client: Client, hostile_papers: dict[str, str], ext: str, sanitize: bool
) -> None:
    parsed = parse(client.get(f"/feeds/new.{ext}").content, sanitize)
    assert len(parsed.entries) == len(HOSTILE)
    for entry in parsed.entries:
        text = hostile_papers[entry.link.removeprefix(f"{SITE}/papers/")]
        assert shown(entry.title_detail) == f"T {text}"
        assert shown(entry.summary_detail) == f"A {text}"
        assert entry.author == f"Ann {text}"


@pytest.mark.parametrize("ext", EXTS)
def test_no_field_a_reader_renders_as_html_holds_markup(
    client: Client, hostile_papers: dict[str, str], ext: str
) -> None:
    root = ET.fromstring(client.get(f"/feeds/new.{ext}").content)
    if ext == "rss":
        # RSS readers commonly render titles as HTML as well as descriptions.
        fields = root.findall("./channel/title") + root.findall("./channel/description")
        fields += root.findall("./channel/item/title") + root.findall("./channel/item/description")
        assert len(fields) == 2 + 2 * len(HOSTILE)
    else:
        fields = [e for e in root.iter() if e.get("type") == "html"]
        assert len(fields) == len(HOSTILE)
    for field in fields:
        assert live_tags(field.text or "") == [], (field.tag, field.text)


@pytest.mark.parametrize("sanitize", [True, False], ids=["sanitizing", "raw"])
@pytest.mark.parametrize("ext", EXTS)
def test_search_query_in_feed_title_is_text(client: Client, ext: str, sanitize: bool) -> None:
    query = '<img src=x onerror=alert(1)> & "x"'
    response = client.get(f"/feeds/search.{ext}", {"q": query})
    parsed = parse(response.content, sanitize)
    assert query in shown(parsed.feed.title_detail)
    if ext == "rss":
        assert query in shown(parsed.feed.subtitle_detail)
        channel = ET.fromstring(response.content).find("./channel")
        assert channel is not None
        for name in ("title", "description"):
            assert live_tags(channel.findtext(name) or "") == []
