"""Kaggle arXiv snapshot parser: the real 200-line head and hand-written lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from papertrend.papers.formats import kaggle
from papertrend.papers.records import KAGGLE, AuthorName, PaperRecord, RecordError


def _row(**overrides: object) -> str:
    row: dict[str, object] = {
        "id": "0704.0002",
        "submitter": "Louis Theran",
        "authors": "Ileana Streinu and Louis Theran",
        "title": "Sparsity-certifying Graph\n  Decompositions",
        "comments": "To appear in Graphs and Combinatorics",
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": "math.CO cs.CG",
        "license": None,
        "abstract": "  We describe a new algorithm,\nthe pebble game.\n",
        "versions": [
            {"version": "v2", "created": "Sat, 13 Dec 2008 17:26:00 GMT"},
            {"version": "v1", "created": "Sat, 31 Mar 2007 02:26:18 GMT"},
        ],
        "update_date": "2008-12-13",
        "authors_parsed": [["Streinu", "Ileana", ""], ["Theran", "Louis", ""]],
    }
    row.update(overrides)
    return json.dumps(row)


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "snapshot.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def real(shared_data: Path) -> dict[str, PaperRecord]:
    results = list(kaggle.parse(shared_data / "arxiv" / "kaggle-snapshot-head.jsonl"))
    assert [r for r in results if isinstance(r, RecordError)] == []
    return {r.arxiv_id: r for r in results if isinstance(r, PaperRecord) and r.arxiv_id}


def test_real_file_has_200_records(real: dict[str, PaperRecord]) -> None:
    assert len(real) == 200
    assert min(real) == "0704.0001"
    assert max(real) == "0704.0200"
    assert sum(1 for r in real.values() if len(r.versions) > 1) == 87


def test_real_record_fields(real: dict[str, PaperRecord]) -> None:
    paper = real["0704.0002"]
    assert paper.source_format == KAGGLE
    assert paper.locator.endswith("kaggle-snapshot-head.jsonl line 2")
    assert paper.title == "Sparsity-certifying Graph Decompositions"
    assert paper.categories == ["math.CO", "cs.CG"]
    assert paper.primary_category == "math.CO"
    assert [v.number for v in paper.versions] == [1, 2]
    assert paper.versions[0].submitted == datetime(2007, 3, 31, 2, 26, 18, tzinfo=UTC)
    assert paper.versions[1].submitted == datetime(2008, 12, 13, 17, 26, tzinfo=UTC)
    assert paper.published == paper.versions[0].submitted
    assert paper.updated == paper.versions[1].submitted
    assert paper.authors == [AuthorName("Streinu", "Ileana"), AuthorName("Theran", "Louis")]
    assert paper.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert paper.submitter == "Louis Theran"
    assert paper.abstract.startswith("We describe a new algorithm, the $(k,\\ell)$-pebble game")
    assert "\n" not in paper.abstract
    assert paper.withdrawn is False


def test_real_multiline_title_affiliation_and_decoded_accent(
    real: dict[str, PaperRecord],
) -> None:
    first = real["0704.0001"]
    assert first.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert first.journal_ref == "Phys.Rev.D76:013009,2007"
    assert first.doi == "10.1103/PhysRevD.76.013009"
    assert first.report_no == "ANL-HEP-PR-07-12"
    # authors_parsed comes with TeX accents already decoded by arXiv.
    assert first.authors[0] == AuthorName("Balázs", "C.")
    assert AuthorName("Mishchenko", "A. S.", "", "1 and 2") in real["0704.0025"].authors


def test_real_withdrawn(real: dict[str, PaperRecord]) -> None:
    assert sorted(i for i, r in real.items() if r.withdrawn) == ["0704.0156"]


def test_malformed_line_in_the_middle(tmp_path: Path) -> None:
    path = _write(tmp_path, _row(), '{"id": "0704.0003", "title": ', "", _row(id="0704.0004"))
    results = list(kaggle.parse(path))
    assert [type(r).__name__ for r in results] == ["PaperRecord", "RecordError", "PaperRecord"]
    error = results[1]
    assert isinstance(error, RecordError)
    assert error.locator == f"{path} line 2"
    assert "invalid JSON" in error.message
    assert results[2].locator == f"{path} line 4"  # the blank line 3 is skipped


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (_row(id=None), "missing id"),
        (_row(title="  "), "missing title"),
        (_row(id="0713.0001"), "not an arXiv identifier"),
        (_row(versions=[{"version": "1", "created": "x"}]), "bad version label"),
        (_row(versions=[{"version": "v1", "created": "yesterday"}]), "not a date"),
        ("[1, 2]", "expected a JSON object"),
        ('{"id": "0704.0001"}', "missing title"),
    ],
)
def test_bad_records(tmp_path: Path, line: str, message: str) -> None:
    (result,) = kaggle.parse(_write(tmp_path, line))
    assert isinstance(result, RecordError)
    assert message in result.message
    assert result.locator.endswith("line 1")


def test_invalid_utf8_line_is_an_error_and_parsing_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": "0704.0001", "title": "\xff"}\n' + _row().encode() + b"\n")
    results = list(kaggle.parse(path))
    assert isinstance(results[0], RecordError)
    assert isinstance(results[1], PaperRecord)


def test_normalizes_and_folds(tmp_path: Path) -> None:
    line = _row(
        id="math.GT/0309136",
        comments="This paper has been withdrawn by the author",
        license="  http://creativecommons.org/licenses/by/4.0/ ",
    )
    (paper,) = kaggle.parse(_write(tmp_path, line))
    assert isinstance(paper, PaperRecord)
    assert paper.arxiv_id == "math/0309136"
    assert paper.title == "Sparsity-certifying Graph Decompositions"
    assert paper.abstract == "We describe a new algorithm, the pebble game."
    assert [v.number for v in paper.versions] == [1, 2]  # sorted although given v2 first
    assert paper.withdrawn is True
    assert paper.license == "http://creativecommons.org/licenses/by/4.0/"
    assert paper.journal_ref == paper.doi == paper.report_no == ""


def test_authors_string_is_split_when_authors_parsed_is_absent(tmp_path: Path) -> None:
    line = _row(authors="C. Bal\\'azs and E. L. Berger", authors_parsed=None)
    (paper,) = kaggle.parse(_write(tmp_path, line))
    assert isinstance(paper, PaperRecord)
    assert [a.keyname for a in paper.authors] == ["Bal\\'azs", "Berger"]
