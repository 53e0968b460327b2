"""The ingest pipeline on hand-made records: upsert, newest version wins, merges, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from papertrend.coderepos.models import PaperRepository, Repository
from papertrend.papers.ingest import ingest_records
from papertrend.papers.models import Paper, PaperCategory, PaperSource, Version
from papertrend.papers.records import (
    ABS,
    KAGGLE,
    TRENDING_PAGE,
    AuthorName,
    PaperRecord,
    RecordError,
    VersionInfo,
)
from papertrend.search.models import IndexQueue

pytestmark = pytest.mark.django_db


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def record(
    arxiv_id: str | None = "2101.00001",
    title: str = "Attention Is Enough",
    versions: int = 1,
    fmt: str = KAGGLE,
    locator: str = "a.jsonl line 1",
    **extra: object,
) -> PaperRecord:
    return PaperRecord(
        source_format=fmt,
        locator=locator,
        arxiv_id=arxiv_id,
        title=title,
        abstract=extra.pop("abstract", "We study attention. Code: https://github.com/Org/Repo."),  # type: ignore[arg-type]
        authors=[AuthorName("Bal\\'azs", "Anna"), AuthorName("Smith", "J.")],
        categories=["cs.LG", "stat.ML"],
        versions=[VersionInfo(n, utc(2021, 1, n)) for n in range(1, versions + 1)],
        **extra,  # type: ignore[arg-type]
    )


def test_new_paper_is_stored_with_versions_categories_sources_and_code():
    summary = ingest_records([record(versions=2)])
    assert (summary.read, summary.new, summary.updated, summary.skipped) == (1, 1, 0, 0)
    paper = Paper.objects.get(key="2101.00001")
    assert paper.arxiv_id == "2101.00001"
    assert paper.latest_version == 2
    assert paper.published == utc(2021, 1, 1)
    assert paper.updated == utc(2021, 1, 2)
    assert paper.primary_category == "cs.LG"
    assert paper.authors[0] == {"keyname": "Bal\\'azs", "forenames": "Anna"}
    assert list(Version.objects.filter(paper=paper).values_list("number", flat=True)) == [1, 2]
    assert set(PaperCategory.objects.filter(paper=paper).values_list("category", "is_primary")) == {
        ("cs.LG", True),
        ("stat.ML", False),
    }
    assert PaperSource.objects.get(paper=paper).origin == "a.jsonl"
    repo = Repository.objects.get()
    assert (repo.host, repo.owner, repo.name) == ("github.com", "Org", "Repo")
    assert PaperRepository.objects.get().found_in == "abstract"
    assert list(IndexQueue.objects.values_list("paper_key", flat=True)) == ["2101.00001"]


def test_reingest_changes_nothing():
    records = [record(), record("2101.00002", "Another Paper", versions=3)]
    ingest_records(records)
    before = list(Paper.objects.order_by("key").values())
    IndexQueue.objects.all().delete()
    again = ingest_records([record(), record("2101.00002", "Another Paper", versions=3)])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert list(Paper.objects.order_by("key").values()) == before
    assert IndexQueue.objects.count() == 0
    assert Version.objects.count() == 4
    assert PaperSource.objects.count() == 2


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_newest_version_wins_in_any_order(order):
    old = record(title="Old Title", versions=1, fmt=ABS, locator="orig/x.abs")
    new = record(title="New Title", versions=2, fmt=ABS, locator="ftp/x.abs")
    pair = [old, new]
    ingest_records([pair[order[0]]])
    ingest_records([pair[order[1]]])
    paper = Paper.objects.get()
    assert paper.title == "New Title"
    assert paper.latest_version == 2
    assert Version.objects.filter(paper=paper).count() == 2
    assert PaperSource.objects.filter(paper=paper).count() == 2


def test_older_record_fills_only_missing_fields():
    ingest_records([record(versions=2, journal_ref="")])
    ingest_records([record(title="Stale", versions=1, journal_ref="J. Stuff 1 (2021)")])
    paper = Paper.objects.get()
    assert paper.title == "Attention Is Enough"
    assert paper.journal_ref == "J. Stuff 1 (2021)"


def test_title_only_paper_is_merged_when_its_arxiv_record_arrives():
    page = record(arxiv_id=None, fmt=TRENDING_PAGE, locator="page.txt paper 1", versions=0)
    summary = ingest_records([page])
    assert summary.new == 1
    title_only = Paper.objects.get()
    assert title_only.arxiv_id is None and title_only.key.startswith("t:")
    old_key = title_only.key
    summary = ingest_records([record(title="Attention is enough.")])  # case/punctuation differ
    assert (summary.new, summary.updated) == (0, 1)
    paper = Paper.objects.get()
    assert paper.pk == title_only.pk
    assert paper.key == paper.arxiv_id == "2101.00001"
    assert set(PaperSource.objects.values_list("source_format", flat=True)) == {
        KAGGLE,
        TRENDING_PAGE,
    }
    assert {old_key, "2101.00001"} <= set(IndexQueue.objects.values_list("paper_key", flat=True))


def test_title_only_record_attaches_to_existing_arxiv_paper():
    ingest_records([record()])
    summary = ingest_records([record(arxiv_id=None, fmt=TRENDING_PAGE, locator="p.txt paper 3")])
    assert (summary.new, summary.unchanged) == (0, 1)
    assert Paper.objects.count() == 1
    assert PaperSource.objects.count() == 2


def test_title_only_duplicate_is_absorbed_into_existing_arxiv_paper():
    ingest_records([record(title="First Title")])
    ingest_records(
        [record(arxiv_id=None, title="Renamed Title", fmt=TRENDING_PAGE, locator="p.txt")]
    )
    assert Paper.objects.count() == 2
    ingest_records([record(title="Renamed Title", versions=2)])
    paper = Paper.objects.get()
    assert paper.title == "Renamed Title"
    assert set(PaperSource.objects.values_list("source_format", flat=True)) == {
        KAGGLE,
        TRENDING_PAGE,
    }
    assert PaperRepository.objects.filter(paper=paper).count() == 1


def test_malformed_record_in_the_middle_is_skipped_and_the_rest_loads():
    stream = [
        record("2101.00001"),
        RecordError(KAGGLE, "a.jsonl line 2", "invalid JSON: Expecting value"),
        record("2101.00003", "Third"),
    ]
    summary = ingest_records(stream, batch_size=2)
    assert (summary.read, summary.new, summary.skipped) == (3, 2, 1)
    assert summary.skip_reasons == ["a.jsonl line 2: invalid JSON: Expecting value"]
    assert "skipped a.jsonl line 2" in summary.render()
    assert set(Paper.objects.values_list("key", flat=True)) == {"2101.00001", "2101.00003"}


def test_same_paper_twice_in_one_batch_is_one_row():
    summary = ingest_records([record(versions=1), record(title="V2 Title", versions=2)])
    assert (summary.new, summary.updated) == (1, 1)
    paper = Paper.objects.get()
    assert paper.title == "V2 Title"


def test_withdrawal_in_newest_version_marks_paper():
    ingest_records([record(versions=1, withdrawn=False)])
    ingest_records([record(versions=2, withdrawn=True, comments="This paper has been withdrawn")])
    assert Paper.objects.get().withdrawn is True


def test_announced_day_keeps_the_earliest():
    ingest_records([record(announced=date(2025, 3, 14))])
    ingest_records([record(announced=date(2025, 3, 10))])
    ingest_records([record(announced=date(2025, 3, 20))])
    assert Paper.objects.get().announced == date(2025, 3, 10)
