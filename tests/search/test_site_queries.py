"""Search as users meet it, through the site's own query parsing: the /search page,
``/api/papers/search``, the search feeds and the BibTeX search export.

Real parts throughout: papers in the database, the tantivy index, the static
embedding model and the vector index built by ``papertrend index build``.

* Nothing matches -> nothing shown: a word no paper has, or an author no paper
  has, lists no papers in any mode; papers found by meaning alone must pass the
  similarity floor and the query's ``field:`` parts; counts say what they count.
* An exact title is the top result in hybrid mode too.
* Quotes and ``AND``/``OR``/``NOT`` as people type them.
* ``papertrend eval`` ranks exactly as the search page does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import feedparser
import pytest
from django.core.management import call_command
from django.test import Client

from papertrend.papers.models import Paper
from papertrend.search.embedders import Embedder
from papertrend.search.evaluation import runner
from papertrend.search.evaluation.smart import Document, EvalCollection, Query
from papertrend.search.ranking import min_similarity
from papertrend.search.service import search_papers

from .conftest import MakePaper

pytestmark = pytest.mark.django_db

MODES = ("hybrid", "keyword", "semantic")

# key, title, abstract, author surname, category
PAPERS = [
    (
        "2401.00001",
        "Predicting protein structures from sequences",
        "We fold proteins from their amino acid sequences with a deep network.",
        "Curie",
        "q-bio.BM",
    ),
    (
        "2401.00002",
        "Protein language models",
        "Amino acid sequences read as text by a transformer.",
        "Curie",
        "q-bio.BM",
    ),
    (
        "2401.00003",
        "Image synthesis with diffusion",
        "Denoising diffusion generates images from noise.",
        "Noether",
        "cs.CV",
    ),
    (
        "2401.00004",
        "Register allocation by graph colouring",
        "Compilers map program variables to machine registers.",
        "Hopper",
        "cs.PL",
    ),
    (
        "2401.00005",
        "Video generation with latent diffusion",
        "A diffusion model in a latent space generates video frames.",
        "Noether",
        "cs.CV",
    ),
]


@pytest.fixture
def corpus(make_paper: MakePaper, embedder: Embedder) -> dict[str, Paper]:
    papers = {}
    for day, (key, title, abstract, surname, category) in enumerate(PAPERS, start=1):
        paper = make_paper(key, title, abstract, authors=(("A.", surname),), categories=(category,))
        Paper.objects.filter(pk=paper.pk).update(published=datetime(2024, 1, day, tzinfo=UTC))
        papers[key] = paper
    call_command("index", "build", "--no-progress", stdout=StringIO())
    return papers


def page_keys(client: Client, **params: str) -> list[str]:
    """Paper keys of the cards on the /search page, in order."""
    html = client.get("/search", params).content.decode()
    return re.findall(r'<h2 class="card-title"><a href="/papers/([^"]+)"', html)


def api_keys(client: Client, **params: str) -> list[str]:
    response = client.get("/api/papers/search", params)
    assert response.status_code == 200, response.content
    return [item["paper"]["id"] for item in response.json()]


def feed_keys(client: Client, ext: str = "rss", **params: str) -> list[str]:
    response = client.get(f"/feeds/search.{ext}", params)
    assert response.status_code == 200
    return [
        entry.link.rsplit("/papers/", 1)[1] for entry in feedparser.parse(response.content).entries
    ]


# --- nothing matches -> nothing shown ----------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_word_no_paper_has_shows_no_papers(
    client: Client, corpus: dict[str, Paper], mode: str
) -> None:
    html = client.get("/search", {"q": "xyzzyqwerty", "mode": mode}).content.decode()
    assert page_keys(client, q="xyzzyqwerty", mode=mode) == []
    assert "5 papers" not in html and "No pap" in html
    assert api_keys(client, q="xyzzyqwerty", mode=mode) == []
    assert feed_keys(client, q="xyzzyqwerty", mode=mode) == []


@pytest.mark.parametrize("mode", MODES)
def test_an_author_filter_filters_in_every_mode(
    client: Client, corpus: dict[str, Paper], mode: str
) -> None:
    assert page_keys(client, q="author:hinton", mode=mode) == []
    assert api_keys(client, q="author:hinton protein", mode=mode) == []
    # An author who is there: only her papers, however close the others are in meaning.
    found = api_keys(client, q="author:noether generating pictures and films", mode=mode)
    assert found and set(found) <= {"2401.00003", "2401.00005"}, found
    assert set(page_keys(client, q="author:curie proteins", mode=mode)) <= {
        "2401.00001",
        "2401.00002",
    }


def test_meaning_only_results_need_the_similarity_floor(
    corpus: dict[str, Paper], settings: Any
) -> None:
    related = search_papers("generating pictures by removing noise", mode="semantic")
    assert related.papers and related.papers[0].key == "2401.00003"
    floor = min_similarity(settings.EMBEDDING_MODEL)
    assert floor > 0
    assert all(m.similarity >= floor for m in related.matches.values())  # type: ignore[operator]
    settings.SEARCH_MIN_SIMILARITY = 0.99
    assert search_papers("generating pictures by removing noise", mode="semantic").papers == []


def test_counts_say_what_they_count(client: Client, corpus: dict[str, Paper]) -> None:
    results = search_papers("diffusion pictures from noise", mode="hybrid")
    by_keywords = sum(1 for m in results.matches.values() if m.keyword_rank)
    assert results.keyword_count == by_keywords
    assert results.meaning_count == results.total - by_keywords
    html = client.get("/search", {"q": "diffusion pictures from noise"}).content.decode()
    words = f"{by_keywords} keyword match{'es' if by_keywords != 1 else ''}"
    assert words in html
    if results.meaning_count:
        assert f"+ {results.meaning_count} related by meaning" in html


def test_search_feed_and_export_honour_the_page_parameters(
    client: Client, corpus: dict[str, Paper]
) -> None:
    for ext in ("rss", "atom"):
        assert feed_keys(client, ext, q="diffusion", mode="keyword", sort="date") == [
            "2401.00005",
            "2401.00003",
        ]
        in_cv = feed_keys(client, ext, q="protein diffusion", category="cs.CV")
        assert set(in_cv) == {"2401.00003", "2401.00005"}
    bib = client.get("/export/bibtex/search", {"q": "protein diffusion", "category": "q-bio"})
    text = bib.content.decode()
    assert "2401.00001" in text and "2401.00002" in text
    assert "2401.00003" not in text and "2401.00005" not in text
    bib = client.get("/export/bibtex/search", {"q": "xyzzyqwerty"}).content.decode()
    assert "@" not in bib


# --- an exact title first ------------------------------------------------------------


def test_an_exact_title_ranks_first_in_hybrid_mode(
    client: Client, make_paper: MakePaper, embedder: Embedder
) -> None:
    # The paper with the exact title says little about its topic; four others say
    # much, two of them with the title's words in their own titles.
    make_paper("2402.00001", "Sparse attention for long documents", "A spreadsheet storage format.")
    topical = "Sparse attention lets transformers read long documents: efficient attention " * 3
    make_paper("2402.00002", "Long documents with sparse attention", topical)
    make_paper("2402.00003", "Efficient transformers for long documents", topical)
    make_paper("2402.00004", "Attention patterns for long document reading", topical)
    make_paper("2402.00005", "Reading long texts with sparse transformers", topical)
    call_command("index", "build", "--no-progress", stdout=StringIO())
    for query in ("Sparse attention for long documents", "sparse attention for long documents."):
        assert page_keys(client, q=query)[0] == "2402.00001", query
        assert api_keys(client, q=query, mode="hybrid")[0] == "2402.00001", query


# --- quotes and operators ------------------------------------------------------------


@pytest.mark.parametrize("mode", ("hybrid", "keyword"))
def test_a_quoted_phrase_nobody_wrote_does_not_empty_the_results(
    client: Client, corpus: dict[str, Paper], mode: str
) -> None:
    found = page_keys(client, q='"protein folding sequences"', mode=mode)
    assert {"2401.00001", "2401.00002"} <= set(found)
    assert {"2401.00001", "2401.00002"} <= set(
        api_keys(client, q='"deep protein" OR "folded sequence"', mode=mode)
    )


def test_a_quoted_phrase_ranks_papers_containing_it_first(
    client: Client, corpus: dict[str, Paper]
) -> None:
    # "amino acid sequences" is in both protein abstracts; "language models" only in one.
    assert page_keys(client, q='"language models" protein', mode="keyword")[0] == "2401.00002"
    assert page_keys(client, q='protein "structures from sequences"', mode="keyword")[0] == (
        "2401.00001"
    )


@pytest.mark.parametrize("mode", MODES)
def test_and_or_are_loose_and_not_excludes(
    client: Client, corpus: dict[str, Paper], mode: str
) -> None:
    either = set(api_keys(client, q="protein AND compilers", mode="keyword"))
    assert {"2401.00001", "2401.00002", "2401.00004"} <= either
    assert set(api_keys(client, q="protein OR compilers", mode="keyword")) == either
    without = page_keys(client, q="protein NOT language", mode=mode)
    assert "2401.00002" not in without
    if mode != "semantic":
        assert "2401.00001" in without


# --- the eval command runs queries as the site does ----------------------------------


def test_eval_ranks_like_the_search_page(corpus: dict[str, Paper], embedder: Embedder) -> None:
    collection = EvalCollection(
        "site",
        {
            key: Document(key, paper.title, paper.author_names(), paper.abstract)
            for key, paper in corpus.items()
        },
        {str(i): Query(str(i), text) for i, text in enumerate(SITE_QUERIES)},
        {},
    )
    qids = list(collection.queries)
    runs = runner.system_rankings(collection, qids, ["bm25", "dense", "hybrid"], embedder)
    for qid in qids:
        text = collection.queries[qid].text
        for system, mode in (("bm25", "keyword"), ("dense", "semantic"), ("hybrid", "hybrid")):
            site = search_papers(text, mode=mode, per_page=100)
            assert [p.key for p in site.papers] == runs[system][qid], (text, mode)


SITE_QUERIES = [
    '"protein folding sequences"',  # a phrase nobody wrote: words still count
    'protein "amino acid"',
    "protein NOT language",
    "Image synthesis with diffusion",  # a title
    "generating pictures by removing noise",  # meaning only
    "xyzzyqwerty",  # nothing
]


@pytest.mark.parametrize("mode", MODES)
def test_an_arxiv_link_shows_that_paper_alone(
    client: Client, corpus: dict[str, Paper], mode: str
) -> None:
    # The link's words (https, abs, arxiv) would match papers only by accident.
    link = "https://arxiv.org/abs/2401.00003v1"
    assert page_keys(client, q=link, mode=mode) == ["2401.00003"]
    results = search_papers(link, mode=mode)
    assert results.total == 1 and "keyword" not in results.summary


def test_a_query_that_only_leaves_words_out_says_so(
    client: Client, corpus: dict[str, Paper]
) -> None:
    html = client.get("/search", {"q": "NOT diffusion"}).content.decode()
    assert "only leaves words out" in html
    assert "only very common words" not in html
