"""Helpers for search tests: papers created the way the ingest code creates them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from papertrend.papers.models import Paper, PaperCategory
from papertrend.search.embedders import Embedder, get_embedder
from papertrend.search.models import enqueue

MakePaper = Callable[..., Paper]


@pytest.fixture
def make_paper() -> MakePaper:
    """``make_paper(key, title, abstract="", authors=(("Ada", "Lovelace"),), ...)``.

    Creates the row and its category rows and queues its key, as ingest does.
    """

    def make(
        key: str,
        title: str,
        abstract: str = "",
        authors: Sequence[tuple[str, str]] = (("Ada", "Lovelace"),),
        categories: Sequence[str] = ("cs.LG",),
        hidden: bool = False,
        arxiv_id: str | None = None,
    ) -> Paper:
        paper = Paper.objects.create(
            key=key,
            arxiv_id=arxiv_id if arxiv_id is not None else (None if key.startswith("t:") else key),
            title_key=key[:24],
            title=title,
            abstract=abstract,
            authors=[
                {"forenames": f, "keyname": k, "suffix": "", "affiliation": ""} for f, k in authors
            ],
            categories=list(categories),
            primary_category=categories[0] if categories else "",
            published=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            hidden=hidden,
        )
        PaperCategory.objects.bulk_create(
            PaperCategory(paper=paper, category=code, is_primary=i == 0)
            for i, code in enumerate(categories)
        )
        enqueue([key])
        return paper

    return make


@pytest.fixture
def embedder(settings: Any) -> Embedder:
    """The real static model (fast), made the site's model for the test."""
    settings.EMBEDDING_MODEL = "minilm-static"
    return get_embedder()
