"""``search.ranking``: reciprocal rank fusion, checked against hand-computed scores."""

from __future__ import annotations

from typing import Any

import pytest

from papertrend.search import ranking
from papertrend.search.ranking import RRF_K, hybrid_fuse, reciprocal_rank_fusion


def test_hand_computed_scores_with_k_60() -> None:
    fused = reciprocal_rank_fusion({"keyword": ["a", "b", "c"], "dense": ["c", "a", "d"]})
    assert RRF_K == 60
    assert [f.key for f in fused] == ["a", "c", "b", "d"]
    scores = {f.key: f.score for f in fused}
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["b"] == pytest.approx(1 / 62)
    assert scores["d"] == pytest.approx(1 / 63)
    ranks = {f.key: f.ranks for f in fused}
    assert ranks == {
        "a": {"keyword": 1, "dense": 2},
        "c": {"keyword": 3, "dense": 1},
        "b": {"keyword": 2},
        "d": {"dense": 3},
    }


def test_other_k() -> None:
    fused = reciprocal_rank_fusion({"x": [1, 2], "y": [2]}, k=1)
    assert [(f.key, f.score) for f in fused] == [
        (2, pytest.approx(1 / 3 + 1 / 2)),
        (1, pytest.approx(1 / 2)),
    ]


def test_weights_scale_each_run() -> None:
    runs = {"keyword": ["kw-top", "both"], "dense": ["dense-top", "both"]}
    fused = reciprocal_rank_fusion(runs, weights={"keyword": 0.5, "dense": 2.0})
    scores = {f.key: f.score for f in fused}
    assert scores["kw-top"] == pytest.approx(0.5 / 61)
    assert scores["dense-top"] == pytest.approx(2.0 / 61)
    assert scores["both"] == pytest.approx(0.5 / 62 + 2.0 / 62)
    assert [f.key for f in fused] == ["both", "dense-top", "kw-top"]
    # A run missing from ``weights`` counts 1.0; a weight of 0 keeps its keys, scored 0.
    partial = reciprocal_rank_fusion(runs, weights={"keyword": 0.0})
    assert {f.key: f.score for f in partial} == {
        "kw-top": 0.0,
        "both": pytest.approx(1 / 62),
        "dense-top": pytest.approx(1 / 61),
    }
    assert [f.key for f in partial] == ["dense-top", "both", "kw-top"]


def test_a_duplicate_in_a_run_counts_once_at_its_first_rank() -> None:
    fused = reciprocal_rank_fusion({"keyword": ["a", "b", "a", "a"], "dense": ["b"]})
    scores = {f.key: f.score for f in fused}
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert {f.key: f.ranks for f in fused} == {
        "a": {"keyword": 1},
        "b": {"keyword": 2, "dense": 1},
    }


def test_ties_keep_first_seen_order() -> None:
    # x and y score the same (1/61 + 1/62): x was seen first.
    fused = reciprocal_rank_fusion({"keyword": ["x", "y"], "dense": ["y", "x"]})
    assert fused[0].score == fused[1].score
    assert [f.key for f in fused] == ["x", "y"]
    # Keys only at rank 1 of different runs tie too: run order decides.
    assert [f.key for f in reciprocal_rank_fusion({"a": ["p"], "b": ["q"]})] == ["p", "q"]
    assert [f.key for f in reciprocal_rank_fusion({"b": ["q"], "a": ["p"]})] == ["q", "p"]
    # The same input always gives the same output.
    runs = {"keyword": [f"k{i}" for i in range(50)], "dense": [f"k{49 - i}" for i in range(50)]}
    first = [f.key for f in reciprocal_rank_fusion(runs)]
    assert all([f.key for f in reciprocal_rank_fusion(runs)] == first for _ in range(5))


def test_empty_runs() -> None:
    assert reciprocal_rank_fusion({}) == []
    assert reciprocal_rank_fusion({"keyword": [], "dense": []}) == []
    assert [f.key for f in reciprocal_rank_fusion({"keyword": [], "dense": ["d"]})] == ["d"]


def test_hybrid_fuse_reads_the_settings(settings: Any) -> None:
    keyword, dense = ["k1", "both", "k3"], ["d1", "both"]
    settings.SEARCH_RRF_K = 60
    settings.SEARCH_KEYWORD_WEIGHT = settings.SEARCH_DENSE_WEIGHT = 1.0
    fused = hybrid_fuse(keyword, dense)
    assert [f.key for f in fused] == ["both", "k1", "d1", "k3"]
    assert fused[0].score == pytest.approx(2 / 62)
    assert fused[0].ranks == {"keyword": 2, "dense": 2}

    settings.SEARCH_RRF_K = 1
    fused = hybrid_fuse(keyword, dense)
    # k = 1: two second places (1/3 + 1/3) still beat one first place (1/2).
    assert fused[0].key == "both" and fused[0].score == pytest.approx(2 / 3)
    assert {f.key: f.score for f in fused}["k1"] == pytest.approx(1 / 2)

    settings.SEARCH_RRF_K = 60
    settings.SEARCH_DENSE_WEIGHT = 3.0
    fused = hybrid_fuse(keyword, dense)
    assert [f.key for f in fused][:2] == ["both", "d1"]
    assert {f.key: f.score for f in fused}["d1"] == pytest.approx(3 / 61)

    settings.SEARCH_DENSE_WEIGHT = 0.0
    fused = hybrid_fuse(keyword, dense)
    assert [f.key for f in fused][:3] == ["k1", "both", "k3"]
    assert {f.key: f.score for f in fused}["d1"] == 0.0


def test_a_repeated_key_takes_no_rank_of_its_own() -> None:
    fused = reciprocal_rank_fusion({"keyword": ["a", "a", "b"]})
    assert [(f.key, f.ranks["keyword"]) for f in fused] == [("a", 1), ("b", 2)]
    assert fused[1].score == pytest.approx(1 / 62)


# --- an exact title first (issue 15, item 7) ---------------------------------------


@pytest.mark.parametrize(
    ("query", "title", "level"),
    [
        ("Sparse attention for long documents", "Sparse Attention for Long Documents", 2),
        ("sparse attention for long documents.", "Sparse attention for long documents", 2),
        ("BERT pre-training", "BERT: Pretraining", 2),
        (r"Bal\'azs networks", "Balázs networks", 2),
        ("Sparse atention for long documents", "Sparse attention for long documents", 1),
        ("Book Selection of Censorship", "Book Selection and Censorship", 1),
        ("sparse attention", "Sparse attention for long documents", 0),
        ("", "Sparse attention", 0),
    ],
)
def test_title_match_levels(query: str, title: str, level: int) -> None:
    assert ranking.title_match(query, title) == level
    assert ranking.is_title_match(query, title) == (level > 0)


def test_promote_puts_exact_titles_first_then_near_ones_then_the_rest() -> None:
    fused = reciprocal_rank_fusion({"keyword": ["near", "other", "exact"], "dense": ["dense-only"]})
    titles = {
        "exact": "Book Selection and Censorship",
        "near": "Book Selection of Censorship",
        "other": "Censorship in libraries",
        "dense-only": "Book Selection and Censorship",  # not a keyword match: not promoted
    }
    order = ranking.promote_title_matches("book selection and censorship", fused, titles)
    assert [e.key for e in order][:2] == ["exact", "near"]
    assert {e.key for e in order} == set(titles)
    assert ranking.promote_title_matches("x" * 1001, fused, titles) == fused
