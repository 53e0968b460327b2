"""End to end on the real files: every format ingested, twice, into pages and search."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertrend.coderepos.models import Repository
from papertrend.papers import formats
from papertrend.papers.ingest import ingest_records
from papertrend.papers.models import Paper, Version
from papertrend.search.indexing import sync
from papertrend.search.service import search_papers

pytestmark = pytest.mark.django_db

EXPECTED_BY_FORMAT = {
    "abs": 1191,
    "atom": 245,
    "kaggle": 200,
    "oai-arXiv": 30,
    "oai-arXivRaw": 7,
    "oai_dc": 4777,
    "trending-page": 62,
}


def _paths(shared_data: Path) -> list[Path]:
    return [shared_data / "arxiv", shared_data / "trending-page" / "trending-page.txt"]


def test_real_files_end_to_end(shared_data, client):
    """One load (about 7 s) checked many ways: counts, idempotence, pages, search."""
    first = ingest_records(formats.iter_records(_paths(shared_data)))
    sync()
    _every_well_formed_record_loads(first)
    _second_pass_changes_nothing(first, shared_data)
    _paper_page_shows_latest_title_and_every_version_date(client)
    _newest_version_wins_across_abs_orig_files()
    _withdrawn_papers_are_marked(client)
    _trending_page_papers_and_their_repositories_are_shown(client)
    _a_phrase_from_a_seed_title_ranks_that_paper_first()


def _every_well_formed_record_loads(first):
    assert dict(first.by_format) == EXPECTED_BY_FORMAT
    # The six skipped: one empty .abs file, the API's HTTP 400 error feed, four OAI errors.
    assert first.skipped == 6
    assert first.new == Paper.objects.count()


def _second_pass_changes_nothing(first, shared_data):
    before = list(Paper.objects.order_by("key").values())
    versions = Version.objects.count()
    second = ingest_records(formats.iter_records(_paths(shared_data)))
    assert (second.new, second.updated) == (0, 0)
    assert second.unchanged == first.read - first.skipped
    assert list(Paper.objects.order_by("key").values()) == before
    assert Version.objects.count() == versions


def _paper_page_shows_latest_title_and_every_version_date(client):
    page = client.get("/papers/0704.0002").content.decode()
    assert "Sparsity-certifying Graph Decompositions" in page
    assert "Sat, 31 Mar 2007" in page and "Sat, 13 Dec 2008" in page


def _newest_version_wins_across_abs_orig_files():
    # ftp/ lists v1-v3 (v3 a withdrawal); orig/0704.0615v4.abs restores the paper.
    paper = Paper.objects.get(key="0704.0615")
    assert paper.latest_version == 4
    assert paper.withdrawn is False
    assert paper.comments == "Published version of article"


def _withdrawn_papers_are_marked(client):
    withdrawn = Paper.objects.filter(withdrawn=True).order_by("key")
    assert withdrawn.count() >= 5
    page = client.get(withdrawn.first().get_absolute_url()).content.decode()
    assert "withdrawn" in page.lower()


def _trending_page_papers_and_their_repositories_are_shown(client):
    trending = Paper.objects.filter(sources__source_format="trending-page").distinct()
    assert trending.count() == 62
    linked = Repository.objects.filter(papers__in=trending).distinct()
    assert linked.count() == 19
    assert Repository.objects.filter(owner="GitGyun", name="chameleon").exists()
    html = client.get("/").content.decode()
    assert "GitGyun/chameleon" in html


def _a_phrase_from_a_seed_title_ranks_that_paper_first():
    results = search_papers("sparsity certifying graph decompositions")
    assert results.papers[0].key == "0704.0002"
    results = search_papers("Learning to Actively Learn")
    assert results.papers[0].title == "Learning to Actively Learn: A Robust Approach"
