"""Dates in the wild (issue 15, item 3): ``2025-9-10`` loads; an ambiguous date is reported.

Real files go through format detection, the parsers, ingest and the database; the
ingest report (a TSV file) is read back to check what was said about each record.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from papertrend.papers import formats
from papertrend.papers.formats.dates import DateError, parse_day, parse_timestamp
from papertrend.papers.ingest import IngestSummary, ingest_records
from papertrend.papers.models import Paper
from papertrend.papers.report import IngestReport
from tests.replay_server import ReplayServer, Reply


def kaggle_line(arxiv_id: str, *created: str) -> str:
    versions = [{"version": f"v{n}", "created": c} for n, c in enumerate(created, start=1)]
    row = {
        "id": arxiv_id,
        "title": f"Paper {arxiv_id}",
        "authors": "Ada Lovelace",
        "categories": "cs.LG",
        "abstract": "We study dates.",
        "versions": versions,
    }
    return json.dumps(row) + "\n"


def ingest(tmp_path: Path, *paths: Path) -> tuple[IngestSummary, list[dict[str, str]]]:
    """Ingest ``paths`` as the command does; return the summary and the report's rows."""
    report = IngestReport(tmp_path / "report.tsv")
    summary = ingest_records(formats.iter_records(list(paths)), report=report)
    report.close()
    if not report.path.exists():
        return summary, []
    with report.path.open(encoding="utf-8") as handle:
        return summary, list(csv.DictReader(handle, dialect="excel-tab"))


# --- the parser ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-09-10", datetime(2025, 9, 10, tzinfo=UTC)),
        ("2025-9-10", datetime(2025, 9, 10, tzinfo=UTC)),
        ("2025-9-1", datetime(2025, 9, 1, tzinfo=UTC)),
        ("2025/9/10", datetime(2025, 9, 10, tzinfo=UTC)),
        ("2025.09.10", datetime(2025, 9, 10, tzinfo=UTC)),
        ("2025-9-10T8:05:00Z", datetime(2025, 9, 10, 8, 5, tzinfo=UTC)),
        ("2025-9-10 08:05:00+02:00", datetime(2025, 9, 10, 6, 5, tzinfo=UTC)),
        ("Wed, 10 Sep 2025 08:05:00 GMT", datetime(2025, 9, 10, 8, 5, tzinfo=UTC)),
        ("10 Sep 2025", datetime(2025, 9, 10, tzinfo=UTC)),
        ("September 10, 2025", datetime(2025, 9, 10, tzinfo=UTC)),
        ("13/9/2025", datetime(2025, 9, 13, tzinfo=UTC)),  # 13 can only be the day
        ("9/13/2025", datetime(2025, 9, 13, tzinfo=UTC)),
        ("5/5/2025", datetime(2025, 5, 5, tzinfo=UTC)),  # either order gives the same day
    ],
)
def test_unambiguous_shapes_are_read(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected
    assert parse_day(text) == expected.date()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("9/10/2025", "ambiguous"),  # 9 October or 10 September
        ("25-9-10", "two-digit year"),
        ("2025-2-30", "no such date"),
        ("2025-13-01", "no such date"),
        ("last Tuesday", "not a date"),
        ("", "empty"),
    ],
)
def test_ambiguous_and_impossible_dates_are_refused_with_the_reason(text: str, why: str) -> None:
    with pytest.raises(DateError, match=why):
        parse_timestamp(text)


# --- through ingest ----------------------------------------------------------------------


@pytest.mark.django_db
def test_unpadded_dates_load_from_every_format(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.jsonl"
    snapshot.write_text(kaggle_line("2509.00001", "2025-9-10", "2025-9-12"))
    oai_file = tmp_path / "oai.xml"
    oai_file.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header>'
        "<identifier>oai:arXiv.org:2509.00002</identifier><datestamp>2025-9-11</datestamp>"
        '</header><metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
        "<id>2509.00002</id><created>2025-9-10</created><title>Paper two</title>"
        "<authors><author><keyname>Lovelace</keyname></author></authors>"
        "<categories>cs.LG</categories><abstract>We study dates.</abstract>"
        "</arXiv></metadata></record></ListRecords></OAI-PMH>\n"
    )
    atom_file = tmp_path / "feed.xml"
    atom_file.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>arXiv Query</title><entry><id>http://arxiv.org/abs/2509.00003v1</id>"
        "<updated>2025-9-10T8:05:00Z</updated><published>2025-9-10T8:05:00Z</published>"
        "<title>Paper three</title><summary>We study dates.</summary>"
        "<author><name>Ada Lovelace</name></author></entry></feed>\n"
    )

    summary, rows = ingest(tmp_path, snapshot, oai_file, atom_file)

    assert (summary.new, summary.skipped, rows) == (3, 0, [])
    papers = {p.key: p for p in Paper.objects.all()}
    assert papers["2509.00001"].published == datetime(2025, 9, 10, tzinfo=UTC)
    assert papers["2509.00001"].updated == datetime(2025, 9, 12, tzinfo=UTC)
    assert papers["2509.00002"].published == datetime(2025, 9, 10, tzinfo=UTC)
    # The OAI datestamp 2025-9-11 of a v1 is its announcement day (item 2).
    assert papers["2509.00002"].feed_day == date(2025, 9, 11)
    assert papers["2509.00003"].published == datetime(2025, 9, 10, 8, 5, tzinfo=UTC)
    assert {p.feed_day for k, p in papers.items() if k != "2509.00002"} == {date(2025, 9, 10)}


@pytest.mark.django_db
def test_ambiguous_dates_are_reported_and_only_v1s_skips_the_record(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.jsonl"
    snapshot.write_text(
        kaggle_line("2509.00011", "2025-9-10")
        + kaggle_line("2509.00012", "9/10/2025")  # v1 ambiguous: the paper cannot be dated
        + kaggle_line("2509.00013", "2025-9-10", "9/10/2025")  # v2 ambiguous: dropped
        + kaggle_line("2509.00014", "Wed, 10 Sep 2025 08:05:00 GMT")
    )

    summary, rows = ingest(tmp_path, snapshot)

    assert set(Paper.objects.values_list("key", flat=True)) == {
        "2509.00011",
        "2509.00013",
        "2509.00014",
    }
    assert (summary.skipped, summary.repaired) == (1, 1)
    by_position = {row["position"]: row for row in rows}
    assert set(by_position) == {"line 2", "line 3"}
    skipped, dropped = by_position["line 2"], by_position["line 3"]
    assert (skipped["action"], skipped["file"]) == ("skipped", str(snapshot))
    assert "v1 date" in skipped["reason"] and "ambiguous date '9/10/2025'" in skipped["reason"]
    assert dropped["action"] == "repaired"
    assert "v2 date" in dropped["reason"] and "ambiguous" in dropped["reason"]
    assert "dropped" in dropped["reason"]
    kept = Paper.objects.get(key="2509.00013")
    assert kept.published == datetime(2025, 9, 10, tzinfo=UTC)
    assert dict(kept.versions.values_list("number", "submitted")) == {
        1: datetime(2025, 9, 10, tzinfo=UTC),
        2: None,
    }


@pytest.mark.django_db
def test_abs_file_with_an_unpadded_v1_and_an_ambiguous_v2_date(tmp_path: Path) -> None:
    path = tmp_path / "9709111.abs"
    path.write_text(
        "------------------------------------------------------------------------------\n"
        "\\\\\narXiv:hep-th/9709111\nFrom: <noname@example.org>\n"
        "Date: 1997-9-16 14:44:58 GMT   (11kb)\n"
        "Date (revised v2): 9/10/1997   (11kb)\n\n"
        "Title: On the effective interactions of a light gravitino\n"
        "Authors: Andrea Brignole\nCategories: hep-th\n\\\\\n  An abstract.\n\\\\\n"
    )

    summary, rows = ingest(tmp_path, path)

    paper = Paper.objects.get()
    assert paper.published == datetime(1997, 9, 16, 14, 44, 58, tzinfo=UTC)
    assert paper.latest_version == 2
    assert (summary.new, summary.skipped, summary.repaired) == (1, 0, 1)
    (row,) = rows
    assert (row["action"], row["format"], row["file"]) == ("repaired", "abs", str(path))
    assert "v2 date" in row["reason"] and "ambiguous date '9/10/1997'" in row["reason"]


@pytest.mark.django_db
def test_harvest_from_accepts_unpadded_days_and_refuses_ambiguous_ones(settings) -> None:
    with ReplayServer() as server:
        settings.ARXIV_OAI_URL = server.url("/oai")
        settings.ARXIV_REQUEST_INTERVAL = 0.0
        settings.ARXIV_MAX_RETRIES = 0
        empty = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            b'<error code="noRecordsMatch">none</error></OAI-PMH>'
        )
        server.add("/oai", None, Reply(200, {"Content-Type": "text/xml"}, empty))
        call_command("harvest", "--set", "cs", "--from", "2025-9-1", stdout=StringIO())
        (request,) = server.received("/oai")
        assert request.params["from"] == "2025-09-01"
        with pytest.raises(CommandError, match="ambiguous date '9/10/2025'"):
            call_command("harvest", "--set", "cs", "--from", "9/10/2025")
