"""Bad input loses nothing else: each bad record is repaired or skipped with where and why.

Runs on SQLite and PostgreSQL (CI runs the suite on both): what one database accepts
the other may refuse (NUL bytes, over-long strings, 32-bit integers).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection

from papertrend.papers import formats
from papertrend.papers.ingest import ingest_records
from papertrend.papers.models import Paper, Version
from papertrend.papers.records import KAGGLE, AuthorName, PaperRecord, VersionInfo
from tests.papers.bad_kaggle import BAD_KINDS, dumps, good_row

pytestmark = pytest.mark.django_db


def _stored(paper: Paper, field: str) -> str:
    if field == "authors":
        return json.dumps(paper.authors, ensure_ascii=False)
    if field == "categories":
        return " ".join(paper.categories)
    return str(getattr(paper, field))


@pytest.mark.parametrize("kind", sorted(BAD_KINDS))
def test_bad_record_between_good_ones(kind: str, tmp_path: Path) -> None:
    bad = BAD_KINDS[kind]
    path = tmp_path / "snapshot.jsonl"
    path.write_bytes(dumps(good_row(0)) + bad.make(good_row(1)) + dumps(good_row(2)))

    summary = ingest_records(formats.iter_records([path]))

    keys = set(Paper.objects.values_list("key", flat=True))
    assert {"2101.00001", "2101.00003"} <= keys
    if bad.expected == "skip":
        assert keys == {"2101.00001", "2101.00003"}
        assert summary.skipped == 1
        (reason,) = summary.skip_reasons
        assert reason.startswith(f"{path} line 2: ")
        assert bad.field.lower() in reason.lower()
    else:
        assert summary.skipped == 0, summary.skip_reasons
        assert summary.repaired == 1
        assert bad.repaired in _stored(Paper.objects.get(key="2101.00002"), bad.field)


def test_every_kind_in_one_batch_loads_every_good_record(tmp_path: Path) -> None:
    """The catalogue interleaved with good records, one batch: only the bad ones are lost."""
    path = tmp_path / "mixed.jsonl"
    lines, n = [], 0
    for kind in BAD_KINDS.values():
        lines += [dumps(good_row(n)), kind.make(good_row(n + 1))]
        n += 2
    path.write_bytes(b"".join(lines))
    skips = sum(1 for kind in BAD_KINDS.values() if kind.expected == "skip")

    summary = ingest_records(formats.iter_records([path]), batch_size=500)

    assert summary.skipped == skips
    assert Paper.objects.count() == n - skips
    assert summary.new == n - skips


def test_record_from_any_parser_is_checked_before_writing() -> None:
    """Fields only other formats fill (.abs size, MSC/ACM class) are checked too."""
    good = PaperRecord(KAGGLE, "x.abs", "Good", arxiv_id="2101.00001")
    long_size = PaperRecord(
        KAGGLE, "y.abs", "Bad", arxiv_id="2101.00002", versions=[VersionInfo(1, size="9" * 40)]
    )
    long_msc = PaperRecord(KAGGLE, "z.abs", "Bad", arxiv_id="2101.00003", msc_class="5" * 300)
    surrogate_path = PaperRecord(
        KAGGLE, "d\udcffir/w.abs", "Fine", arxiv_id="2101.00004", authors=[AuthorName("A\x00")]
    )
    summary = ingest_records([good, long_size, long_msc, surrogate_path])
    assert set(Paper.objects.values_list("key", flat=True)) == {"2101.00001", "2101.00004"}
    assert [r.split(": ")[1] for r in summary.skip_reasons] == ["versions", "msc_class"]
    assert Paper.objects.get(key="2101.00004").authors[0]["keyname"] == "A"
    assert summary.repaired == 1


@pytest.fixture
def poisoned_title() -> str:
    """A database trigger that refuses one title, standing for any refusal a check misses."""
    title = "Refused by the database"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_title() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.title = '{title}' THEN RAISE EXCEPTION 'refused title' "
                "USING ERRCODE = '22000'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_title BEFORE INSERT ON papers_paper "
                "FOR EACH ROW EXECUTE FUNCTION refuse_title()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_title BEFORE INSERT ON papers_paper "
                f"WHEN NEW.title = '{title}' BEGIN SELECT RAISE(ABORT, 'refused title'); END"
            )
    return title


def test_batch_the_database_refuses_is_retried_record_by_record(poisoned_title: str) -> None:
    records = [
        PaperRecord(KAGGLE, f"f.jsonl line {n}", f"Paper {n}", arxiv_id=f"2101.{n:05d}")
        for n in range(1, 11)
    ]
    records[4].title = poisoned_title
    summary = ingest_records(records, batch_size=500)
    assert Paper.objects.count() == 9
    assert (summary.new, summary.skipped) == (9, 1)
    (reason,) = summary.skip_reasons
    assert reason.startswith("f.jsonl line 5: ") and "refused title" in reason
    assert Version.objects.count() == 0
