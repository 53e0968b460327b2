"""``search_papers``: ranking on seed papers, direct id hits, paging, messages."""

from __future__ import annotations

import pytest

from papertrend.search import indexing
from papertrend.search.service import MAX_QUERY_CHARS, search_papers

from .conftest import MakePaper

pytestmark = pytest.mark.django_db

SEED_TITLES = [
    "Attention is all you need",
    "Deep residual learning for image recognition",
    "Adam: a method for stochastic optimization",
    "Generative adversarial networks",
    "Batch normalization: accelerating deep network training",
    "Dropout: a simple way to prevent neural networks from overfitting",
    "Neural machine translation by jointly learning to align and translate",
    "Sequence to sequence learning with neural networks",
    "Distributed representations of words and phrases",
    "Playing Atari with deep reinforcement learning",
    "Auto-encoding variational Bayes",
    "Graph attention networks",
    "Semi-supervised classification with graph convolutional networks",
    "Language models are few-shot learners",
    "BERT: pre-training of deep bidirectional transformers for language understanding",
    "Denoising diffusion probabilistic models",
    "Quantum supremacy using a programmable superconducting processor",
    "Observation of gravitational waves from a binary black hole merger",
    "Surface codes: towards practical large-scale quantum computation",
    "Mastering the game of Go without human knowledge",
]
SHARED_ABSTRACT = "We study deep neural networks, learning, attention and graph models."


@pytest.fixture
def seeded(make_paper: MakePaper) -> None:
    for i, title in enumerate(SEED_TITLES):
        make_paper(f"2401.{i + 1:05d}", title, SHARED_ABSTRACT)
    make_paper("2401.09999", "Graph attention networks, hidden copy", hidden=True)
    indexing.sync()


@pytest.mark.parametrize("index", range(len(SEED_TITLES)))
def test_title_phrase_ranks_its_paper_first(seeded: None, index: int) -> None:
    words = SEED_TITLES[index].replace(":", "").split()
    phrase = " ".join(words[:6])
    results = search_papers(phrase)
    assert results.papers[0].key == f"2401.{index + 1:05d}", phrase


def test_hidden_papers_never_appear(seeded: None) -> None:
    keys = [p.key for p in search_papers("graph attention networks hidden copy").papers]
    assert "2401.09999" not in keys


def test_arxiv_id_and_url_put_the_paper_first(seeded: None) -> None:
    for query in ("2401.00012", "arXiv:2401.00012v2", "https://arxiv.org/abs/2401.00012"):
        results = search_papers(query)
        assert results.papers[0].key == "2401.00012", query
        assert results.total >= 1
        assert [p.key for p in results.papers].count("2401.00012") == 1


def test_unknown_arxiv_id_says_so(seeded: None) -> None:
    results = search_papers("2312.99999")
    assert results.message and "2312.99999" in results.message


def test_pages_partition_the_results(seeded: None) -> None:
    first = search_papers("deep networks", per_page=7)
    second = search_papers("deep networks", page=2, per_page=7)
    third = search_papers("deep networks", page=3, per_page=7)
    assert first.total == 20  # every seed shares the abstract
    assert (first.has_previous, first.has_next) == (False, True)
    assert (third.has_previous, third.has_next) == (True, False)
    keys = [p.key for r in (first, second, third) for p in r.papers]
    assert len(keys) == len(set(keys)) == 20
    assert (second.start_index, second.end_index) == (8, 14)


def test_direct_hit_shifts_paging(seeded: None) -> None:
    first = search_papers("2401.00003", per_page=1)
    assert [p.key for p in first.papers] == ["2401.00003"]


def test_page_past_the_end_is_empty_with_message(seeded: None) -> None:
    results = search_papers("deep networks", page=1000)
    assert results.papers == [] and results.message
    assert search_papers("deep networks", page=10**12).papers == []


@pytest.mark.parametrize("query", ["", "   ", "\x00"])
def test_empty_query_has_message(query: str) -> None:
    results = search_papers(query)
    assert results.papers == [] and results.total == 0 and results.message


def test_stopwords_only_has_message(seeded: None) -> None:
    results = search_papers("the of and")
    assert results.total == 0 and results.message and "common words" in results.message


def test_no_results_has_message(seeded: None) -> None:
    results = search_papers("xylophone")
    assert results.total == 0 and results.message and "No papers" in results.message


def test_long_query_is_truncated_with_note(seeded: None) -> None:
    results = search_papers("graph attention networks " + "x" * 20_000)
    assert len(results.query) == MAX_QUERY_CHARS
    assert results.message and "long" in results.message
    assert results.papers[0].key == "2401.00012"
