"""What a feed reader shows: feedparser's value read as its declared type, and live elements.

Test modules use :func:`shown` to compare a parsed field with the literal characters
a reader must display, and :func:`live_tags` to list the elements a reader that
renders a field as HTML would create.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

# Structure the feeds may use around escaped text; anything else is someone's markup.
HARMLESS_TAGS = frozenset({"p", "br"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})


class _Reader(HTMLParser):
    """Collects the text an HTML renderer shows and every element it would create."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "p" and self.text:
            self.text.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def render(html: str) -> tuple[str, list[str]]:
    """``html`` as a browser would take it: (the text shown, the element names created)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return "".join(reader.text), reader.tags


def live_tags(html: str) -> list[str]:
    """Elements other than ``<p>``/``<br>`` that rendering ``html`` would create."""
    return [tag for tag in render(html)[1] if tag not in HARMLESS_TAGS]


def shown(detail: Any) -> str:
    """The characters a reader displays for a feedparser ``*_detail`` (value + type)."""
    if detail.get("type") in HTML_TYPES:
        text, tags = render(detail["value"])
        assert not [t for t in tags if t not in HARMLESS_TAGS], detail
        return text
    return str(detail["value"])
