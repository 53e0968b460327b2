"""``search.dense`` and ``search.related``: semantic search and related papers after
``papertrend index build``, on the paper page and ``/api/related``. Real ``minilm-static``
vectors over papers on three distinct topics."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from papertrend.papers.models import Paper
from papertrend.search import dense, indexing
from papertrend.search.related import related_papers

from .conftest import MakePaper

pytestmark = pytest.mark.django_db

PROTEIN = {
    "2403.00001": (
        "Predicting protein tertiary structure with deep residual networks",
        "We predict the three-dimensional fold of a protein from its amino acid sequence "
        "using inter-residue distance maps learned from multiple sequence alignments.",
    ),
    "2403.00002": (
        "Energy landscapes of protein folding",
        "Molecular dynamics simulations show how amino acid chains fold into their native "
        "conformation and which intermediates slow folding down.",
    ),
    "2403.00003": (
        "Contact maps for protein structure prediction",
        "Coevolution between residues in homologous protein sequences predicts contacts "
        "that constrain the folded structure of the protein.",
    ),
}
DIFFUSION = {
    "2403.00004": (
        "Denoising diffusion models for high-resolution image synthesis",
        "We generate photorealistic images by learning to reverse a gradual noising "
        "process, with a U-Net trained on pixels.",
    ),
    "2403.00005": (
        "Latent diffusion for text-to-image generation",
        "Running the diffusion process in the latent space of an autoencoder makes image "
        "generation from text prompts cheaper.",
    ),
    "2403.00006": (
        "Faster sampling for score-based image generative models",
        "We reduce the number of denoising steps needed to sample images from diffusion "
        "models without losing image quality.",
    ),
}
COMPILERS = {
    "2403.00007": (
        "Register allocation by graph coloring in optimizing compilers",
        "The compiler maps program variables to machine registers by coloring the "
        "interference graph, spilling to memory when needed.",
    ),
    "2403.00008": (
        "A verified compiler for a C subset",
        "We prove that the compiler's translation from source code to assembly preserves "
        "program semantics, pass by pass.",
    ),
    "2403.00009": (
        "Just-in-time compilation of dynamic languages",
        "Tracing JIT compilers record hot loops in the interpreter and emit specialised "
        "machine code for them.",
    ),
}
# Closer to the protein query than any visible paper: it must never be shown.
HIDDEN_KEY = "2403.00099"
PROTEIN_QUERY = "predicting the 3D structure of proteins"


@pytest.fixture
def topics(make_paper: MakePaper, settings: Any) -> dict[str, Paper]:
    """Nine visible papers on three topics and one hidden protein paper, not yet built."""
    settings.EMBEDDING_MODEL = "minilm-static"
    made = {
        key: make_paper(key, title, abstract)
        for key, (title, abstract) in {**PROTEIN, **DIFFUSION, **COMPILERS}.items()
    }
    make_paper(
        HIDDEN_KEY,
        "Predicting the 3D structure of proteins",
        "Predicting the three-dimensional structure of proteins from sequence.",
        hidden=True,
    )
    return made


def build() -> str:
    out = StringIO()
    call_command("index", "build", "--no-progress", stdout=out)
    return out.getvalue()


@pytest.fixture
def built(topics: dict[str, Paper]) -> dict[str, Paper]:
    assert "vector index rebuilt: 9 vectors (exact)" in build()
    return topics


def test_nothing_before_the_build(topics: dict[str, Paper]) -> None:
    assert dense.dense_search(PROTEIN_QUERY, k=5) == []
    assert dense.related_papers(topics["2403.00001"], k=5) == []
    status = dense.semantic_status()
    assert status == (
        "Search by meaning is not ready yet: papers are still being indexed for it, "
        "so these results match words only."
    )


def test_dense_search_ranks_the_topic_first(built: dict[str, Paper]) -> None:
    assert dense.semantic_status() is None
    hits = dense.dense_search(PROTEIN_QUERY, k=3)
    assert {h.key for h in hits} == set(PROTEIN)
    assert hits[0].key in PROTEIN
    similarities = [h.similarity for h in hits]
    assert similarities == sorted(similarities, reverse=True)
    assert 0 < hits[-1].similarity <= hits[0].similarity <= 1.0 + 1e-6

    everything = dense.dense_search(PROTEIN_QUERY, k=50)
    assert len(everything) == 9 and HIDDEN_KEY not in {h.key for h in everything}
    assert {h.key for h in everything[:3]} == set(PROTEIN)

    images = dense.dense_search("generating pictures with diffusion", k=3)
    assert {h.key for h in images} == set(DIFFUSION)
    code = dense.dense_search("code generation in compilers", k=3)
    assert {h.key for h in code} == set(COMPILERS)

    excluded = dense.dense_search(PROTEIN_QUERY, k=3, exclude_keys=[hits[0].key])
    assert hits[0].key not in {h.key for h in excluded} and len(excluded) == 3
    assert dense.dense_search("   ", k=3) == [] and dense.dense_search(PROTEIN_QUERY, k=0) == []


def test_related_papers_share_the_topic(built: dict[str, Paper]) -> None:
    for topic in (PROTEIN, DIFFUSION, COMPILERS):
        for key in topic:
            found = related_papers(built[key], k=5)
            keys = [r.paper.key for r in found]
            assert len(found) == 5 and key not in keys and HIDDEN_KEY not in keys
            assert set(keys[:2]) == set(topic) - {key}
            assert all(r.how == "embedding" and r.similarity is not None for r in found)
            similarities = [r.similarity for r in found if r.similarity is not None]
            assert similarities == sorted(similarities, reverse=True)
    assert len(related_papers(built["2403.00001"], k=20)) == 8


def test_papers_hidden_after_the_build_never_appear(built: dict[str, Paper]) -> None:
    Paper.objects.filter(key="2403.00002").update(hidden=True)  # no rebuild since
    assert "2403.00002" not in {h.key for h in dense.dense_search(PROTEIN_QUERY, k=9)}
    found = [r.paper.key for r in related_papers(built["2403.00001"], k=8)]
    assert "2403.00002" not in found and found[0] == "2403.00003" and len(found) == 7
    Paper.objects.filter(key="2403.00005").delete()
    assert "2403.00005" not in {h.key for h in dense.dense_search("diffusion images", k=9)}


def related_section(html: str) -> str:
    match = re.search(r'<section class="related".*?</section>', html, re.S)
    assert match, "no related papers section"
    return match.group(0)


def test_paper_page_and_api_show_embedding_neighbours(
    built: dict[str, Paper], client: Client
) -> None:
    paper = built["2403.00001"]
    response = client.get(paper.get_absolute_url())
    assert response.status_code == 200
    section = related_section(response.content.decode())
    assert "Related papers" in section and "Nearest papers by meaning" in section
    links = re.findall(r'<a href="([^"]+)"', section)
    assert links[:2] and {*links[:2]} == {
        built["2403.00002"].get_absolute_url(),
        built["2403.00003"].get_absolute_url(),
    }
    assert paper.get_absolute_url() not in links
    assert f"/papers/{HIDDEN_KEY}" not in section

    rows = client.get(f"/api/related/{paper.key}", {"limit": 3}).json()
    assert len(rows) == 3
    assert {row["paper"]["id"] for row in rows[:2]} == {"2403.00002", "2403.00003"}
    for row in rows:
        assert row["how"] == "embedding"
        assert isinstance(row["similarity"], float) and 0 < row["similarity"] <= 1.0 + 1e-6
    assert rows[0]["similarity"] >= rows[1]["similarity"] >= rows[2]["similarity"]
    assert client.get(f"/api/related/{HIDDEN_KEY}").status_code == 404


def test_keyword_fallback_before_the_build(topics: dict[str, Paper], client: Client) -> None:
    indexing.sync()  # the keyword index only: no vectors yet
    found = related_papers(topics["2403.00003"], k=3)
    assert found and all(r.how == "keywords" and r.similarity is None for r in found)
    keys = [r.paper.key for r in found]
    assert "2403.00003" not in keys and HIDDEN_KEY not in keys
    assert keys[0] in PROTEIN  # shares "protein structure prediction" with the title

    section = related_section(client.get(topics["2403.00003"].get_absolute_url()).content.decode())
    assert "papers related by meaning appear here once they are indexed" in section
    rows = client.get("/api/related/2403.00003").json()
    assert rows and {row["how"] for row in rows} == {"keywords"}
    assert all(row["similarity"] is None for row in rows)


def test_a_paper_without_a_vector_yet_falls_back(
    built: dict[str, Paper], make_paper: MakePaper
) -> None:
    late = make_paper("2403.00010", "Protein folding pathways", "Folding of small proteins.")
    indexing.sync()
    found = related_papers(late, k=3)
    assert found and {r.how for r in found} == {"keywords"}
    assert found[0].paper.key in PROTEIN
    build()
    found = related_papers(late, k=3)
    assert {r.how for r in found} == {"embedding"} and found[0].paper.key in PROTEIN
