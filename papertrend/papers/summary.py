"""Card summaries: one or two sentences of a paper's own abstract, never generated text.

A card shows the abstract's *most central* sentence: the abstract is split into
sentences (Bling Fire's sentence breaker, docs/dependencies.md), each sentence is
embedded with the site's model, and the sentence whose vector is closest (cosine)
to the mean of all the sentence vectors wins: centroid-based extractive
summarization (Radev et al. 2004; with sentence embeddings, Rossiello et al. 2017).
A winner shorter than :data:`SHORT_SENTENCE` characters ("We propose X.") is
extended with the sentence after it, so the summary is always one contiguous span
of the abstract. ``papertrend index build`` stores it on the paper
(``search.summaries``); until then, or when the abstract has changed since, the card
shows the abstract's first sentence instead and says so (:func:`card_summary`).

Spans are character offsets into the TeX source. A break inside math (``$a. B$``)
would leave a ``$`` unpaired, so such a span is joined with the next one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import blingfire
import numpy as np
from django.utils.safestring import SafeString

from papertrend.papers.text import tex_to_html

SHORT_SENTENCE = 80  # characters of TeX source
# Cards render the same papers for every visitor of a page: a process keeps the
# rendered sentences of recent pages (a few MB) instead of converting TeX each time.
RENDER_CACHE = 4096
# The first-sentence fallback runs while a page renders: a sentence ends long before this.
FIRST_SENTENCE_SCAN = 1500
MAX_MATH_JOIN = 2  # sentences joined to close math that a break left open
CENTRAL = "central"
FIRST = "first"

Span = tuple[int, int]


@dataclass(frozen=True)
class CardSummary:
    """What a card shows: ``text`` (TeX source, a span of the abstract) and how it was
    chosen: ``kind`` is :data:`CENTRAL` (by sentence embeddings) or :data:`FIRST`."""

    text: str
    kind: str

    @property
    def label(self) -> str:
        """The words before the sentence, saying it is quoted and how it was picked."""
        if self.kind == CENTRAL:
            return "Key sentence of the abstract"
        return "First sentence of the abstract"

    @property
    def html(self) -> SafeString:
        """The sentence as safe HTML (escaped text, math as MathML); cached per text."""
        return _sentence_html(self.text)

    @property
    def how(self) -> str:
        """A longer explanation (the label's tooltip)."""
        if self.kind == CENTRAL:
            return (
                "Extractive summary: quoted from the abstract, the sentence closest in "
                "meaning to the whole abstract by sentence embeddings; no text is generated."
            )
        return (
            "Quoted from the abstract: its key sentence has not been chosen yet, "
            "so the first one is shown."
        )


def _unpaired_dollar(text: str) -> bool:
    """True when ``text`` has an odd number of unescaped ``$`` (math left open)."""
    return (text.count("$") - text.count("\\$")) % 2 == 1


def sentence_spans(text: str) -> list[Span]:
    """The sentences of ``text`` as ``(start, end)`` character offsets, whitespace trimmed.

    Empty for blank text. A sentence that leaves math open is joined with the next
    one or two when that closes it (a break inside ``$...$``); an unpaired ``$`` that
    nothing closes (a typo in the source) is left alone rather than swallow the rest.
    """
    if not text.strip():
        return []
    _, offsets = blingfire.text_to_sentences_and_offsets(text)
    trimmed: list[Span] = []
    for raw_start, raw_end in offsets:
        start, end = raw_start, min(raw_end, len(text))
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            trimmed.append((start, end))
    spans: list[Span] = []
    i = 0
    while i < len(trimmed):
        start, end = trimmed[i]
        step = 1
        if _unpaired_dollar(text[start:end]):
            for k in range(1, MAX_MATH_JOIN + 1):
                if i + k < len(trimmed) and not _unpaired_dollar(text[start : trimmed[i + k][1]]):
                    end, step = trimmed[i + k][1], k + 1
                    break
        spans.append((start, end))
        i += step
    return spans


def _extended(spans: Sequence[Span], index: int) -> Span:
    start, end = spans[index]
    if end - start < SHORT_SENTENCE and index + 1 < len(spans):
        end = spans[index + 1][1]
    return start, end


_URL = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|org|io|net)/\S*", re.IGNORECASE)
POINTER_WORDS = 12  # a sentence with a URL and fewer other words points, it doesn't say


def is_pointer(sentence: str) -> bool:
    """True for a sentence that only points somewhere ("Code: https://github.com/a/b.",
    "Our code is at https://..."): it names no finding, so it never is the key sentence."""
    if not _URL.search(sentence):
        return False
    return len(_URL.sub(" ", sentence).split()) < POINTER_WORDS


def central_span(spans: Sequence[Span], vectors: Any, text: str | None = None) -> Span:
    """The span of the most central sentence (extended when short).

    ``vectors`` are the sentences' unit vectors, shape ``(len(spans), dim)``; the
    winner has the highest dot product with their mean (ties: the earlier sentence).
    With ``text`` (the abstract the spans index), sentences that only point to a URL
    (:func:`is_pointer`) are passed over unless every sentence does.

    Raises:
        ValueError: no spans, or not one vector per span.
    """
    array = np.asarray(vectors, dtype=np.float32)
    if not spans or array.shape[0] != len(spans):
        raise ValueError(f"{len(spans)} sentences but {array.shape[0]} vectors")
    scores = array @ array.mean(axis=0)
    if text is not None:
        pointers = np.array([is_pointer(text[a:b]) for a, b in spans])
        if not pointers.all():
            scores = np.where(pointers, -np.inf, scores)
    return _extended(spans, int(np.argmax(scores)))


@functools.lru_cache(maxsize=RENDER_CACHE)
def _sentence_html(text: str) -> SafeString:
    return tex_to_html(text)


@functools.lru_cache(maxsize=RENDER_CACHE)
def first_sentence(abstract: str) -> str:
    """The abstract's first sentence (extended when short), or "" for a blank abstract."""
    head = abstract[:FIRST_SENTENCE_SCAN]
    spans = sentence_spans(head)
    if not spans:
        return ""
    if len(spans) == 1 and len(abstract) > len(head):
        return head.strip()  # one sentence longer than the scan: show what was scanned
    start, end = _extended(spans, 0)
    return head[start:end]


def card_summary(abstract: str, stored: str) -> CardSummary | None:
    """What a card shows for an abstract: the stored central sentence when it is still
    a span of the abstract (the abstract may have changed since it was chosen), else
    the first sentence; None for a blank abstract."""
    if stored and stored in abstract:
        return CardSummary(stored, CENTRAL)
    text = first_sentence(abstract)
    return CardSummary(text, FIRST) if text else None
