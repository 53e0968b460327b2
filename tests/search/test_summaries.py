"""``index build`` chooses each abstract's key sentence for the cards (``search.summaries``)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from papertrend.papers.models import Paper
from papertrend.papers.summary import sentence_spans
from papertrend.search.embedders import Embedder
from papertrend.search.summaries import choose_summaries, pending_summaries

from .conftest import MakePaper

pytestmark = pytest.mark.django_db

ABSTRACTS = [
    (
        "Graph neural networks for molecules",
        "This work was funded by a grant from the national science agency. "
        "We predict molecular properties with a graph neural network that passes messages "
        "between atoms along chemical bonds. The graph network is trained on molecules "
        "with known properties, e.g. solubility and toxicity, and generalizes to new ones.",
    ),
    ("Single sentence", "Only one sentence here, with $x_1 < 3.5$ and no more."),
    ("No abstract", ""),
]


def _run(*args: str) -> str:
    out = StringIO()
    call_command("index", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def papers(make_paper: MakePaper, embedder: Embedder, settings: Any) -> list[Paper]:
    return [
        make_paper(f"2402.{i:05d}", title, abstract)
        for i, (title, abstract) in enumerate(ABSTRACTS, start=1)
    ]


def test_build_stores_a_sentence_of_each_abstract_and_resumes(papers: list[Paper]) -> None:
    out = _run("build", "--no-progress")
    assert "summaries: 3 chosen from 3 sentences" in out
    stored = {p.key: p for p in Paper.objects.all()}
    graph = stored["2402.00001"]
    spans = [graph.abstract[a:b] for a, b in sentence_spans(graph.abstract)]
    assert graph.summary in spans[1:]  # about the paper, not the funding line
    assert stored["2402.00002"].summary == ABSTRACTS[1][1]
    assert stored["2402.00003"].summary == ""
    assert all(p.summary_modified == p.modified_at for p in stored.values())
    assert pending_summaries().count() == 0
    # Nothing pending: the model is not even loaded.
    assert "nothing pending" in _run("build", "--no-progress")


def test_papers_embedded_before_summaries_existed_get_one(papers: list[Paper]) -> None:
    _run("build", "--no-progress")
    Paper.objects.filter(key="2402.00001").update(summary="", summary_modified=None)
    out = _run("build", "--no-progress")
    assert "embedded: 0 new or changed" in out
    assert "summaries: 1 chosen from 3 sentences" in out
    assert Paper.objects.get(key="2402.00001").summary


def test_choose_summaries_batches_sentences_in_one_model_call(embedder: Embedder) -> None:
    calls: list[int] = []
    real = embedder.embed

    class Counting(Embedder):
        name, identity, dim = embedder.name, embedder.identity, embedder.dim

        def embed(self, texts: Any, *, batch_size: int = 32) -> Any:
            calls.append(len(texts))
            return real(texts)

    summaries, count = choose_summaries(Counting(), [a for _, a in ABSTRACTS] * 2)
    assert calls == [6] and count == 6  # one-sentence and blank abstracts need no model
    assert summaries[1] == ABSTRACTS[1][1] and summaries[2] == ""
    assert summaries[:3] == summaries[3:]
