"""``papers.summary``: sentence splitting of TeX abstracts and choosing the card's sentence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from papertrend.papers.summary import (
    CENTRAL,
    FIRST,
    SHORT_SENTENCE,
    card_summary,
    central_span,
    first_sentence,
    is_pointer,
    sentence_spans,
)

TRICKY = (
    "We study the $(k,\\ell)$-pebble game, e.g. for graphs with $n=3.5$ vertices and "
    "more. Results of Smith et al. show a 2.3x speed-up (p < 0.05) over prior work, "
    "i.e. the method of Fig. 2 in Sec. 3.1 of their paper! Is it good? "
    "Yes, and it runs in $O(n \\log n)$ time on inputs of $10^{5}$ vertices."
)


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_abbreviations_decimals_and_math_do_not_end_sentences() -> None:
    assert sentences(TRICKY) == [
        "We study the $(k,\\ell)$-pebble game, e.g. for graphs with $n=3.5$ vertices and more.",
        "Results of Smith et al. show a 2.3x speed-up (p < 0.05) over prior work, "
        "i.e. the method of Fig. 2 in Sec. 3.1 of their paper!",
        "Is it good?",
        "Yes, and it runs in $O(n \\log n)$ time on inputs of $10^{5}$ vertices.",
    ]


def test_spans_are_trimmed_substrings_and_blank_text_has_none() -> None:
    text = "  First one here.\n\n  Second\tone here.  "
    assert sentences(text) == ["First one here.", "Second\tone here."]
    assert sentence_spans("") == [] and sentence_spans(" \n ") == []


def test_a_break_inside_math_is_joined_back() -> None:
    text = "We set $x = 1. Then y = 2$ in the model. It works."
    for sentence in sentences(text):
        assert (sentence.count("$") - sentence.count("\\$")) % 2 == 0, sentence
    assert sentences(text)[-1] == "It works."
    # An unpaired $ (a typo in the source) does not swallow the sentences after it.
    typo = "Order \\cal{O}(\\alpha^2)$ holds here. Next one. Another one. And a last one."
    assert sentences(typo)[-1] == "And a last one."


def test_first_sentence_extends_a_short_one() -> None:
    text = "We propose X. It beats everything on all the benchmarks we tried. Done."
    assert len("We propose X.") < SHORT_SENTENCE
    assert (
        first_sentence(text) == "We propose X. It beats everything on all the benchmarks we tried."
    )
    assert first_sentence(TRICKY) == sentences(TRICKY)[0]
    assert first_sentence("") == ""


def test_central_span_is_the_sentence_nearest_the_mean() -> None:
    text = (
        "An opening sentence that is long enough not to be extended by the next one. "
        "A middle sentence that is long enough not to be extended by the next one either. "
        "A closing sentence that is long enough not to be extended by anything at all."
    )
    spans = sentence_spans(text)
    vectors = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    assert central_span(spans, vectors) == spans[1]
    with pytest.raises(ValueError):
        central_span(spans, vectors[:2])


def test_card_summary_uses_the_stored_sentence_only_while_it_is_in_the_abstract() -> None:
    stored = sentences(TRICKY)[1]
    assert card_summary(TRICKY, stored) == type(card_summary(TRICKY, stored))(stored, CENTRAL)
    fallback = card_summary("A different abstract now. With two sentences in it.", stored)
    assert fallback is not None and fallback.kind == FIRST
    assert fallback.text == "A different abstract now. With two sentences in it."
    assert card_summary("", "") is None
    assert "no text is generated" in card_summary(TRICKY, stored).how  # type: ignore[union-attr]


@pytest.mark.shared_data
def test_real_abstracts_split_into_whole_sentences(shared_data: Path) -> None:
    """200 arXiv abstracts (Kaggle snapshot): no sentence ends on an abbreviation, every
    span is trimmed, math stays closed, and the spans cover the text in order."""
    path = shared_data / "arxiv" / "kaggle-snapshot-head.jsonl"
    abstracts = [json.loads(line)["abstract"] for line in path.read_text().splitlines()]
    assert len(abstracts) == 200
    ends_on_abbreviation = re.compile(r"(?:\be\.g\.|\bi\.e\.|\bet al\.|\bFig\.|\bEq\.)$")
    total = 0
    for abstract in abstracts:
        spans = sentence_spans(abstract)
        assert spans, abstract
        previous_end = 0
        for start, end in spans:
            sentence = abstract[start:end]
            assert start >= previous_end and sentence == sentence.strip()
            assert not ends_on_abbreviation.search(sentence), sentence
            if (abstract.count("$") - abstract.count("\\$")) % 2 == 0:  # no typo in the source
                assert (sentence.count("$") - sentence.count("\\$")) % 2 == 0, sentence
            previous_end = end
        assert abstract[previous_end:].strip() == ""
        total += len(spans)
    assert 900 < total < 1200  # about five sentences an abstract


def test_a_sentence_that_only_points_to_code_is_never_the_key_sentence() -> None:
    text = (
        "We train a small model that tracks the stars of code repositories over many years. "
        "Code: https://github.com/example-lab/small-tool. "
        "It ranks papers by how fast their code gains stars, whatever their age may be."
    )
    spans = sentence_spans(text)
    assert is_pointer(text[spans[1][0] : spans[1][1]])
    assert not is_pointer(text[spans[0][0] : spans[0][1]])
    # The pointer is nearest the mean, yet the next best sentence is chosen.
    vectors = np.array([[1.0, 0.0, 0.0], [0.7, 0.7, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    assert central_span(spans, vectors)[0] == spans[1][0]  # without the text: the URL
    start, _ = central_span(spans, vectors, text)
    assert start in (spans[0][0], spans[2][0])
    # An abstract that is nothing but pointers still gets one.
    only = "Code: https://github.com/a/b. Data: https://example.org/data."
    only_spans = sentence_spans(only)
    assert central_span(only_spans, np.eye(len(only_spans), dtype=np.float32), only)
