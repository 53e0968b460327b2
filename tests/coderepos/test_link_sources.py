"""Every source's code URL is linked, with its source, whether the paper is new or stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertrend.coderepos.models import PaperRepository
from papertrend.papers.formats import iter_records
from papertrend.papers.ingest import ingest_records
from papertrend.papers.models import Paper
from papertrend.papers.records import KAGGLE, PaperRecord

pytestmark = pytest.mark.django_db

TITLE = "Sparse Mixtures of Experts Scale Retrieval"


def links() -> set[tuple[str, str, str, bool | None]]:
    return set(
        PaperRepository.objects.values_list(
            "paper__key", "repository__key", "found_in", "is_official"
        )
    )


def trending_page(tmp_path: Path, abstract: str) -> Path:
    page = tmp_path / "trending.txt"
    # A real page's abstracts are long; format detection looks for one of 200+ characters.
    filler = "We route each query to a few experts and keep the index small. " * 3
    page.write_text(f"Mar 14\n\n{TITLE}\n\n{filler}{abstract}\n", encoding="utf-8")
    return page


def test_trending_page_code_url_is_linked_to_an_already_stored_paper(tmp_path):
    stored = PaperRecord(
        KAGGLE, "snapshot.jsonl line 1", TITLE, arxiv_id="2403.00001", abstract="We scale MoE."
    )
    ingest_records([stored])
    assert links() == set()
    page = trending_page(
        tmp_path, "We scale MoE retrieval. Code: https://github.com/moe/retrieval."
    )

    summary = ingest_records(iter_records([page]))

    # The page changes nothing else on the stored paper, but its code link is kept.
    assert (summary.new, summary.unchanged + summary.updated) == (0, 1)
    assert Paper.objects.count() == 1
    assert links() == {("2403.00001", "github.com/moe/retrieval", "trending-page", None)}


def test_new_papers_code_sources_and_default_official_flag(tmp_path):
    ingest_records(
        [
            PaperRecord(
                KAGGLE,
                "snapshot.jsonl line 1",
                "Another Paper",
                arxiv_id="2403.00002",
                abstract="See https://github.com/a/b.",
                comments="Code at gitlab.com/g/c",
            )
        ]
    )
    ingest_records(iter_records([trending_page(tmp_path, "See https://github.com/t/page.")]))
    title_only = Paper.objects.get(arxiv_id__isnull=True).key
    assert links() == {
        ("2403.00002", "github.com/a/b", "abstract", True),
        ("2403.00002", "gitlab.com/g/c", "comments", True),
        (title_only, "github.com/t/page", "trending-page", None),
    }
