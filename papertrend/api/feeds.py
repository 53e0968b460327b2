"""RSS 2.0 and Atom feeds of papers, built with Django's syndication framework.

Feeds (see ``feed_urls``): trending per window, new papers, one day / ISO week /
month, one arXiv category, and any search query. Specs: RSS 2.0
(https://www.rssboard.org/rss-specification), Atom (RFC 4287,
https://www.rfc-editor.org/rfc/rfc4287).

Every item links to the paper's page on this site (absolute, from
``settings.SITE_URL``) and uses that URL as its GUID (``isPermaLink="true"``), so a
GUID depends only on the paper's key and never changes between requests. Titles,
abstracts and names are untrusted TeX: they are turned into plain text with
``tex_to_text`` and stripped of characters XML 1.0 forbids (Django's serializer
refuses control characters), then escaped by the XML writer.

Every reader must show that text as the literal characters, never as markup. The
fields readers render as HTML carry HTML built from the HTML-escaped text
(:func:`text_html`), so ``<script>`` in an abstract is ``&amp;lt;script&amp;gt;`` in
the XML and reads "<script>" after the one unescape an HTML renderer does: RSS
``<description>`` (HTML by the spec) and ``<title>`` (many readers, feedparser
among them, treat it as HTML when it looks like HTML), channel and item alike;
Atom ``<summary type="html">``. Atom titles (``type="text"`` by default, RFC 4287
§3.1) and person names (plain text in both formats) stay plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import feedgenerator

from papertrend.coderepos.codeinfo import code_flags, filter_code
from papertrend.papers.models import Paper, PaperCategory
from papertrend.papers.text import tex_to_text
from papertrend.papers.views import new_papers, ordered_categories, trending_papers, visible_papers
from papertrend.search.forms import SearchForm, search_parameters
from papertrend.search.service import search_papers
from papertrend.trending.page import ranked_scores
from papertrend.trending.periods import period_or_404
from papertrend.trending.score import WINDOWS, reasons
from papertrend.trending.views import HEADINGS, feed_papers
from papertrend.trending.views import feed_url as period_page_url

MAX_ITEMS = 50
MAX_AUTHORS = 30  # a feed reader shows one line; collaborations list thousands
# XML 1.0 Char production (https://www.w3.org/TR/xml/#charsets), negated.
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CATEGORY = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[A-Za-z]+)*)?")


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot hold (C0 controls but tab/LF/CR,
    lone surrogates, U+FFFE, U+FFFF)."""
    return _XML_INVALID.sub("", value)


def _clean(value: Any) -> Any:
    """Strip XML-invalid characters from a string, or from each string of a list."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class _CleanMixin:
    """Feed generator that cleans every text argument, feed-level and per item."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*_clean(list(args)), **{k: _clean(v) for k, v in kwargs.items()})  # type: ignore[call-arg]

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(*_clean(list(args)), **{k: _clean(v) for k, v in kwargs.items()})  # type: ignore[misc]


def text_html(text: str) -> str:
    """HTML that shows ``text`` literally: escaped, one ``<p>`` per blank-line-separated
    paragraph when there are several (a single paragraph stays bare)."""
    paragraphs = [html.escape(p.strip(), quote=False) for p in re.split(r"\n\s*\n", text)]
    paragraphs = [p for p in paragraphs if p]
    if len(paragraphs) <= 1:
        return "".join(paragraphs)
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _as_html(fields: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """``fields`` with the plain-text values of ``names`` turned into :func:`text_html`."""
    return {k: text_html(v) if k in names and isinstance(v, str) else v for k, v in fields.items()}


class CleanRssFeed(_CleanMixin, feedgenerator.Rss201rev2Feed):
    """RSS 2.0 with XML-invalid characters removed; titles and descriptions (plain text
    in) written as escaped HTML, since RSS readers render them as HTML."""

    _HTML_FIELDS = ("title", "description")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **_as_html(kwargs, self._HTML_FIELDS))

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(*args, **_as_html(kwargs, self._HTML_FIELDS))


class CleanAtomFeed(_CleanMixin, feedgenerator.Atom1Feed):
    """Atom 1.0 with XML-invalid characters removed; the item description (plain text
    in) written as escaped HTML into ``<summary type="html">``."""

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(*args, **_as_html(kwargs, ("description",)))


FEED_TYPES: dict[str, type[feedgenerator.SyndicationFeed]] = {
    "rss": CleanRssFeed,
    "atom": CleanAtomFeed,
}


def site_url(path: str) -> str:
    """``settings.SITE_URL`` + ``path`` (``path`` starts with ``/``)."""
    return f"{settings.SITE_URL}{path}"


@dataclass
class FeedSpec:
    """What one feed shows: texts, the site page it mirrors, its own URL, its papers.

    ``papers`` may carry ``trending_reason`` (str) for the description.
    """

    title: str
    description: str
    link: str
    self_url: str
    papers: Sequence[Paper] = field(default_factory=list)


def _self_url(request: HttpRequest) -> str:
    return site_url(request.get_full_path())


def trending_spec(request: HttpRequest, window: str) -> FeedSpec:
    """Papers by trending score in ``window`` (day, week, month); the fallback order
    while no scores exist (as on ``/``).

    Raises:
        Http404: unknown window.
    """
    if window not in WINDOWS:
        raise Http404(f"no such window: {window!r}")
    flags = code_flags(request.GET)  # ?has_code=1, ?official_code=1, as on the page
    rows = list(filter_code(ranked_scores(window), via="paper_id", **flags)[:MAX_ITEMS])
    papers: list[Paper] = []
    for row in rows:
        row.paper.trending_reason = reasons(row)  # type: ignore[attr-defined]
        papers.append(row.paper)
    if not rows:
        papers = list(filter_code(trending_papers(), **flags)[:MAX_ITEMS])
    return FeedSpec(
        title=f"papertrend: trending papers ({window})",
        description=f"Papers trending on papertrend over the last {window}.",
        link=site_url(f"/?window={window}"),
        self_url=_self_url(request),
        papers=papers,
    )


def new_spec(request: HttpRequest) -> FeedSpec:
    """The newest papers by feed day, as on ``/new``."""
    return FeedSpec(
        title="papertrend: new papers",
        description="The newest papers on papertrend.",
        link=site_url("/new"),
        self_url=_self_url(request),
        papers=list(filter_code(new_papers(), **code_flags(request.GET))[:MAX_ITEMS]),
    )


def period_spec(request: HttpRequest, kind: str, value: str) -> FeedSpec:
    """The papers of one day, ISO week or month, in the order of its page.

    Raises:
        Http404: ``value`` is not a valid period of ``kind``.
    """
    period = period_or_404(kind, value)
    return FeedSpec(
        title=f"papertrend: {HEADINGS[period.kind].lower()}, {period.label}",
        description=f"Papers listed on papertrend for {period.label}.",
        link=site_url(period_page_url(period)),
        self_url=_self_url(request),
        papers=list(filter_code(feed_papers(period, None), **code_flags(request.GET))[:MAX_ITEMS]),
    )


def category_spec(request: HttpRequest, category: str) -> FeedSpec:
    """The newest papers in one arXiv category (any of its categories, primary or not).

    Raises:
        Http404: ``category`` does not look like an arXiv category code.
    """
    if not _CATEGORY.fullmatch(category):
        raise Http404(f"not an arXiv category: {category!r}")
    in_rows = Exists(PaperCategory.objects.filter(paper=OuterRef("pk"), category=category))
    papers = visible_papers().filter(Q(primary_category=category) | in_rows)
    return FeedSpec(
        title=f"papertrend: new papers in {category}",
        description=f"The newest papers on papertrend in the arXiv category {category}.",
        link=site_url("/new"),
        self_url=_self_url(request),
        papers=list(
            filter_code(papers, **code_flags(request.GET)).order_by("-feed_day", "-id")[:MAX_ITEMS]
        ),
    )


def search_spec(request: HttpRequest) -> FeedSpec:
    """The first ``MAX_ITEMS`` results of the search page for the same parameters
    (``q``, ``mode``, ``sort``, ``category``, ``from``, ``to``, ``has_code``,
    ``official_code``; empty for
    an empty query), via ``search_papers``."""
    form = SearchForm(request.GET)
    results = search_papers(per_page=MAX_ITEMS, **form.search_arguments())
    if not results.query:  # a feed reader given the bare URL: say what it needs
        return FeedSpec(
            title="papertrend: search (no query)",
            description="Add ?q=words to this feed's address to follow a search.",
            link=site_url("/search"),
            self_url=_self_url(request),
            papers=[],
        )
    return FeedSpec(
        title=f"papertrend: search for {results.query}",
        description=f"Papers on papertrend matching {results.query!r}: {results.summary}.",
        link=site_url("/search?" + urlencode(search_parameters(request.GET))),
        self_url=_self_url(request),
        papers=results.papers,
    )


def _appeared(paper: Paper) -> datetime:
    """v1 date, else 00:00 UTC of the feed day, else first seen: never None."""
    if paper.published is not None:
        return paper.published
    if paper.feed_day is not None:
        return datetime.combine(paper.feed_day, dtime.min, tzinfo=UTC)
    return paper.created_at


def _text(tex: str) -> str:
    """Plain text of untrusted TeX; invalid characters go first so no gap is left."""
    return tex_to_text(xml_text(tex))


def _author_line(paper: Paper) -> str:
    names = [_text(name) for name in paper.author_names()]
    shown = ", ".join(names[:MAX_AUTHORS])
    return shown + (" et al." if len(names) > MAX_AUTHORS else "")


class PaperFeed(Feed):  # type: ignore[type-arg]
    """One feed of papers; ``build(request, **url_kwargs)`` gives its :class:`FeedSpec`."""

    def __init__(self, feed_type: str, build: Callable[..., FeedSpec]) -> None:
        self.feed_type = FEED_TYPES[feed_type]
        self.build = build

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FeedSpec:
        return self.build(request, **kwargs)

    def title(self, obj: FeedSpec) -> str:
        return obj.title

    def description(self, obj: FeedSpec) -> str:
        return obj.description

    def link(self, obj: FeedSpec) -> str:
        return obj.link

    def feed_url(self, obj: FeedSpec) -> str:
        return obj.self_url

    def items(self, obj: FeedSpec) -> Iterable[Paper]:
        return obj.papers

    def item_title(self, item: Paper) -> str:
        return _text(item.title)

    def item_description(self, item: Paper) -> str:
        text = _text(item.abstract)
        reason = getattr(item, "trending_reason", "")
        if reason:
            text = f"Why it is trending: {reason}\n\n{text}".strip()
        return text

    def item_link(self, item: Paper) -> str:
        return site_url(item.get_absolute_url())

    def item_guid(self, item: Paper) -> str:
        return site_url(item.get_absolute_url())

    def item_guid_is_permalink(self, item: Paper) -> bool:
        return True

    def item_author_name(self, item: Paper) -> str | None:
        return _author_line(item) or None

    def item_categories(self, item: Paper) -> list[str]:
        return ordered_categories(item)

    def item_pubdate(self, item: Paper) -> datetime:
        return _appeared(item)

    def item_updateddate(self, item: Paper) -> datetime:
        return item.updated or _appeared(item)
