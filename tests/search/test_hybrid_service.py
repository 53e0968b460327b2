"""``search_papers`` in hybrid and semantic modes: fusion, filters, sorts, fallbacks.

Real parts throughout: papers in the database, the tantivy index, the static
embedding model and the vector index built by ``papertrend index build``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from papertrend.coderepos.models import PaperRepository, Repository
from papertrend.papers.models import Paper
from papertrend.search.embedders import Embedder
from papertrend.search.service import SearchFilters, search_papers

from .conftest import MakePaper

pytestmark = pytest.mark.django_db

PAPERS = [
    ("2401.00001", "Predicting protein structures from sequences", "Folding proteins.", "q-bio.BM"),
    ("2401.00002", "Protein language models", "Amino acid sequences as text.", "q-bio.BM"),
    ("2401.00003", "Image synthesis with diffusion", "Denoising generates images.", "cs.CV"),
    ("2401.00004", "Register allocation by graph colouring", "Compilers map variables.", "cs.PL"),
]


@pytest.fixture
def corpus(make_paper: MakePaper, embedder: Embedder) -> dict[str, Paper]:
    papers = {}
    for day, (key, title, abstract, category) in enumerate(PAPERS, start=1):
        paper = make_paper(key, title, abstract, categories=(category,))
        paper.published = datetime(2024, 1, day, 12, tzinfo=UTC)
        paper.save()
        papers[key] = paper
    # A paper known only from a trending page: no v1 date, listed on 2024-03-14.
    listed = make_paper(
        "t:0123456789abcdef",
        "Folding proteins with attention",
        "Proteins.",
        categories=("q-bio.BM",),
    )
    Paper.objects.filter(pk=listed.pk).update(published=None, feed_day=date(2024, 3, 14))
    papers[listed.key] = listed
    repo = Repository.objects.create(
        host="github.com", owner="o", name="fold", key="github.com/o/fold", stars=50
    )
    PaperRepository.objects.create(paper=papers["2401.00002"], repository=repo, found_in="abstract")
    call_command("index", "build", "--no-progress", stdout=StringIO())
    return papers


def keys(results: object) -> list[str]:
    return [paper.key for paper in results.papers]  # type: ignore[attr-defined]


def test_hybrid_finds_by_meaning_and_says_what_matched(corpus: dict[str, Paper]) -> None:
    results = search_papers("how amino acid chains fold in three dimensions", mode="hybrid")
    assert keys(results)[0] in {"2401.00001", "2401.00002", "t:0123456789abcdef"}
    first = results.matches[keys(results)[0]]
    assert first.dense_rank is not None and first.similarity is not None
    assert results.message is None
    semantic = search_papers("generating pictures by removing noise", mode="semantic")
    assert keys(semantic)[0] == "2401.00003"
    assert semantic.matches["2401.00003"].label in {"meaning", "keywords + meaning"}


def test_filters_apply_in_every_mode(corpus: dict[str, Paper]) -> None:
    for mode in ("hybrid", "keyword", "semantic"):
        only_cs = search_papers(
            "protein image synthesis register allocation", mode=mode, filters=SearchFilters(("cs",))
        )
        assert set(keys(only_cs)) == {"2401.00003", "2401.00004"}, mode
        exact = search_papers("image synthesis", mode=mode, filters=SearchFilters(("cs.CV",)))
        assert keys(exact) == ["2401.00003"], mode
        coded = search_papers("protein", mode=mode, filters=SearchFilters(has_code=True))
        assert keys(coded) == ["2401.00002"], mode


def test_date_filter_uses_the_listing_day_when_there_is_no_v1_date(
    corpus: dict[str, Paper],
) -> None:
    march = SearchFilters(published_from=date(2024, 3, 1), published_to=date(2024, 3, 31))
    for mode in ("hybrid", "keyword"):
        assert keys(search_papers("protein", mode=mode, filters=march)) == ["t:0123456789abcdef"]
    january_2 = SearchFilters(published_from=date(2024, 1, 2), published_to=date(2024, 1, 2))
    assert keys(search_papers("protein", mode="hybrid", filters=january_2)) == ["2401.00002"]


def test_sorts_by_date_and_stars(corpus: dict[str, Paper]) -> None:
    newest = keys(search_papers("protein", mode="keyword", sort="date"))
    assert newest[0] == "t:0123456789abcdef"  # listed in March, after January's v1 dates
    assert newest.index("2401.00002") < newest.index("2401.00001")
    assert keys(search_papers("protein", mode="hybrid", sort="stars"))[0] == "2401.00002"


def test_no_match_with_filters_blames_the_filters(corpus: dict[str, Paper]) -> None:
    results = search_papers("compilers", mode="keyword", filters=SearchFilters(("q-bio",)))
    assert results.papers == []
    assert results.message is not None and "filters" in results.message


def test_semantic_mode_before_any_build_gives_labelled_keyword_results(
    make_paper: MakePaper, embedder: Embedder
) -> None:
    make_paper("2402.00001", "Protein folding", "Structures.")
    call_command("index", "sync", stdout=StringIO())
    results = search_papers("protein", mode="semantic")
    assert keys(results) == ["2402.00001"]
    assert results.message is not None and "not ready yet" in results.message
    assert "keyword results" in results.message


def test_search_page_shows_match_labels_highlights_and_keeps_options(
    client: Client, corpus: dict[str, Paper]
) -> None:
    html = client.get(
        "/search", {"q": "protein", "mode": "hybrid", "category": "q-bio", "sort": "date"}
    ).content.decode()
    assert "Matched by" in html and "<mark>Protein</mark>" in html
    assert 'value="q-bio"' in html and '<option value="date" selected>' in html
    assert "Register allocation" not in html
