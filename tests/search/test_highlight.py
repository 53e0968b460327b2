"""Highlighting and snippets: escaped untrusted text, marks on analyzed matches."""

from __future__ import annotations

import html
import re

from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from papertrend.search.highlight import ELLIPSIS, highlight, match_spans, snippet

MARKS = re.compile(r"</?mark>")


def _plain(rendered: str) -> str:
    """The text a reader sees: marks removed, entities unescaped."""
    return html.unescape(MARKS.sub("", rendered))


def _marked(rendered: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", rendered)]


def test_stemmed_forms_are_marked_and_stopwords_are_not() -> None:
    out = highlight("The Networks of a network, networking.", "network the")
    assert isinstance(out, SafeString)
    assert out == "The <mark>Networks</mark> of a <mark>network</mark>, <mark>networking</mark>."


def test_accents_fold_like_the_index() -> None:
    assert _marked(highlight("Über-Nets by Balázs", "uber balazs")) == ["Über", "Balázs"]


def test_text_is_escaped_and_only_marks_are_markup() -> None:
    out = highlight('<script>alert("x")</script> & <b>attention</b>', "script attention")
    assert "<script>" not in out and "<b>" not in out
    assert out == (
        "&lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt;"
        " &amp; &lt;b&gt;<mark>attention</mark>&lt;/b&gt;"
    )


def test_query_markup_is_never_echoed() -> None:
    out = highlight("plain text", "<mark>plain</mark> <script>")
    assert out == "<mark>plain</mark> text"


def test_prefix_marks_words_starting_with_it() -> None:
    text = "Transformers, transformation, TransformerXL; trans and transit."
    expected = ["Transformers", "transformation", "TransformerXL"]
    assert _marked(highlight(text, "transform*")) == expected
    # The stem of "transformer" is "transform": its forms are marked as the index matches them.
    assert _marked(highlight(text, "Transformer*")) == expected
    assert _marked(highlight(text, "t*")) == []  # one letter is a word, not a prefix


def test_phrases_and_field_words_are_marked() -> None:
    out = highlight("Geoffrey Hinton studies deep belief nets", '"deep belief" author:hinton')
    assert _marked(out) == ["Hinton", "deep", "belief"]


def test_empty_and_operator_only_queries_mark_nothing() -> None:
    for query in ("", '"', "AND OR NOT", "*", "title:", "()"):
        assert highlight("a <b> c", query) == "a &lt;b&gt; c"


def test_match_spans_are_string_indices() -> None:
    text = "🙂 naïve networks"
    assert [text[s:e] for s, e in match_spans(text, "naive network")] == ["naïve", "networks"]


def test_lone_surrogates_become_replacement_characters() -> None:
    assert highlight("a\ud800b net", "net") == "a\ufffdb <mark>net</mark>"


FILLER = "Some filler words about other matters. "


def test_snippet_picks_the_window_with_most_matches() -> None:
    text = (
        FILLER * 10
        + "One mention of diffusion here. "
        + FILLER * 10
        + "Diffusion models and diffusion processes, diffusion everywhere. "
        + FILLER * 10
    )
    out = snippet(text, "diffusion", max_chars=120)
    visible = _plain(out)
    assert len(visible) <= 120
    assert visible.startswith(ELLIPSIS) and visible.endswith(ELLIPSIS)
    assert _marked(out) == ["Diffusion", "diffusion", "diffusion"]
    assert visible.strip(ELLIPSIS) in text


def test_snippet_cuts_at_whole_words() -> None:
    text = FILLER * 20
    out = snippet(text, "nothing matches", max_chars=100)
    visible = _plain(out)
    assert visible.endswith("…") and not visible.startswith("…")  # no match: the start
    body = visible.removesuffix(ELLIPSIS)
    assert text.startswith(body)
    assert text[len(body)] == " "  # the cut falls between words


def test_snippet_of_short_text_is_the_whole_highlighted_text() -> None:
    assert snippet("Short <i>title</i>", "title") == "Short &lt;i&gt;<mark>title</mark>&lt;/i&gt;"


def test_snippet_cuts_a_word_longer_than_the_window() -> None:
    text = "x" * 1000 + " network"
    out = snippet(text, "network", max_chars=50)
    assert len(_plain(out)) <= 50
    assert _marked(out) == ["network"]


def test_snippet_escapes_what_it_shows() -> None:
    text = FILLER * 10 + "attention <script>alert(1)</script> " + FILLER * 10
    out = snippet(text, "attention", max_chars=80)
    assert "<script>" not in out
    assert "&lt;script&gt;" in out and "<mark>attention</mark>" in out


words = st.sampled_from(["network", "Networks", "the", "transformer", "<b>", "&amp;", "é"])
texts = st.lists(st.one_of(words, st.text(max_size=12)), max_size=30).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(text=texts, query=st.one_of(st.text(max_size=30), words, st.just("transf* network")))
def test_highlight_escapes_everything_and_loses_nothing(text: str, query: str) -> None:
    out = highlight(text, query)
    assert "<" not in MARKS.sub("", out) and ">" not in MARKS.sub("", out)
    assert _plain(out) == text


@settings(max_examples=200, deadline=None)
@given(
    text=texts,
    query=st.one_of(st.text(max_size=30), words),
    max_chars=st.integers(min_value=3, max_value=200),
)
def test_snippet_is_an_escaped_excerpt_within_the_limit(
    text: str, query: str, max_chars: int
) -> None:
    out = snippet(text, query, max_chars=max_chars)
    assert "<" not in MARKS.sub("", out)
    visible = _plain(out)
    if len(text.strip()) <= max_chars:
        assert visible == text
    else:
        assert len(visible) <= max_chars
        # The excerpt, with "…" added at one or both ends (the text may hold "…" too).
        assert any(v in text for v in (visible, visible[1:], visible[:-1], visible[1:-1]))
