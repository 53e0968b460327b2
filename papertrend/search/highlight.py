"""Query words marked in titles and abstracts, for search result pages.

A word is marked when the index would have matched it: its index term (the
same analyzer as the index: lowercase, ASCII folding, Snowball stemming, see
``search.querytext``) is one of the query's terms, so "networks" is marked for
the query "network"; or, for a query prefix such as ``transform*``, its folded
form or its term starts with the prefix. Stopwords are never marked.

Titles and abstracts come from arXiv submitters and are untrusted: every
character of the text is HTML-escaped, and the only markup in the result is
``<mark>``/``</mark>`` around whole words.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from papertrend.search.querytext import analyzed_words, query_terms, without_surrogates

ELLIPSIS = "\u2026"
_CHUNK = re.compile(r"\S+")


def match_spans(text: str, query: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each word of ``text`` the query matches, in order.

    Indices are into ``text`` (Python string indices); no two spans overlap.
    """
    terms = query_terms(query)
    exact = {t for t in terms if not t.endswith("*")}
    prefixes = tuple(t[:-1] for t in terms if t.endswith("*"))
    if not terms:
        return []
    spans = []
    for start, end, folded, term in analyzed_words(text):
        if term is None:
            continue  # stopwords are not searched
        if term in exact or folded.startswith(prefixes) or term.startswith(prefixes):
            spans.append((start, end))
    return spans


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    """``text[start:end]`` escaped, with the parts of ``spans`` inside it marked."""
    out: list[str] = []
    at = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        out.append(escape(text[at:span_start]))
        out.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        at = span_end
    out.append(escape(text[at:end]))
    return "".join(out)


def highlight(text: str, query: str) -> SafeString:
    """All of ``text``, HTML-escaped, with the words ``query`` matches in ``<mark>``.

    ``highlight("Deep <b>Networks</b>", "network")`` ->
    ``"Deep &lt;b&gt;<mark>Networks</mark>&lt;/b&gt;"``. Lone surrogates in
    ``text`` come out as U+FFFD; nothing else changes, so removing the marks and
    unescaping gives ``text`` back. Never raises on any text or query.
    """
    text = without_surrogates(text)
    html = _render(text, match_spans(text, query), 0, len(text))
    return mark_safe(html)  # noqa: S308 - every character of text is escaped


def _chunks(text: str, budget: int) -> list[tuple[int, int]]:
    """The whitespace-separated words of ``text``; one longer than ``budget``
    (a URL, CJK text without spaces) is cut into pieces of ``budget`` characters."""
    chunks = []
    for match in _CHUNK.finditer(text):
        start, end = match.span()
        while end - start > budget:
            chunks.append((start, start + budget))
            start += budget
        chunks.append((start, end))
    return chunks


def snippet(text: str, query: str, max_chars: int = 300) -> SafeString:
    """The part of ``text`` (at most ``max_chars`` characters, "…" included) with
    the most matched words, HTML-escaped and highlighted as by ``highlight``.

    The part starts and ends at whole words (whitespace boundaries; a single
    word longer than the window is cut), with "…" where text was cut off. With
    no match it is the start of the text; among equally good parts the earliest
    wins, begun a little before its first match when that keeps every match.
    Text that fits is returned whole. ``max_chars`` below 3 counts as 3.
    """
    text = without_surrogates(text)
    spans = match_spans(text, query)
    if len(text.strip()) <= max_chars:
        return mark_safe(_render(text, spans, 0, len(text)))  # noqa: S308 - escaped
    budget = max(1, max_chars - 2)  # room for an ellipsis at each end
    chunks = _chunks(text, budget)
    chunk_starts = [start for start, _ in chunks]
    starts = [start for start, _ in spans]

    def window(first: int) -> tuple[int, int]:
        """(index after the last chunk that fits from chunk ``first``, matches inside)."""
        last = first
        while last < len(chunks) and chunks[last][1] - chunks[first][0] <= budget:
            last += 1
        end = chunks[last - 1][1]
        return last, bisect_left(starts, end) - bisect_left(starts, chunks[first][0])

    best, (best_end, best_count) = 0, window(0)
    # The best window starts at a chunk holding a match (or at the start).
    for first in sorted({max(0, bisect_right(chunk_starts, s) - 1) for s in starts}):
        end, count = window(first)
        if count > best_count:
            best, best_end, best_count = first, end, count
    # Some words of context before the first match, as long as no match drops out.
    context = budget // 5
    while (
        best_count
        and best > 0
        and chunks[best][0] - chunks[best - 1][0] <= context
        and window(best - 1)[1] >= best_count
    ):
        context -= chunks[best][0] - chunks[best - 1][0]
        best -= 1
        best_end = window(best)[0]
    # A window reaching the end of the text takes in more text before it.
    while best_end == len(chunks) and best > 0 and window(best - 1)[0] == len(chunks):
        best -= 1
    best_end = window(best)[0]
    start, end = chunks[best][0], chunks[best_end - 1][1]
    html = _render(text, spans, start, end)
    before = ELLIPSIS if text[:start].strip() else ""
    after = ELLIPSIS if text[end:].strip() else ""
    return mark_safe(before + html + after)  # noqa: S308 - escaped
