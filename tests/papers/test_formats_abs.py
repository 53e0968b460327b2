"""Legacy .abs parser: every real file under abs/ftp and abs/orig, and hand-written files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from papertrend.papers.formats import abs as abs_format
from papertrend.papers.formats import kaggle
from papertrend.papers.records import ABS, PaperRecord, RecordError

SAMPLE = """\
------------------------------------------------------------------------------
\\\\
Paper: hep-th/9108002
From: Yosuke Imamura <someone@example.org>
Date: Thu, 15 Aug 91 16:35:28 GMT   (13kb)
Date (revised v2): Fri, 16 Aug 1991 10:00:00 GMT

Title: Hamiltonian construction of
  W-gravity actions
Authors: A. Mikovi\\'c and
  B. Other
Categories: hep-th math.QA
Comments: 9 pages
Report-no: QMW-91-12
ACM-class: F.2.2
Journal-ref: Phys.Lett.B278:51-55,1992
DOI: doi:10.1016/0370-2693(92)90710-L
Proxy: someone
\\\\
  We show that all W-gravity actions
can be constructed:
\\\\
  $a \\\\ b$ on a TeX line break.
\\\\
"""


def _write(tmp_path: Path, text: str, name: str = "9108002.abs") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _one(path: Path) -> PaperRecord | RecordError:
    (result,) = abs_format.parse(path)
    return result


@pytest.fixture(scope="module")
def real(shared_data: Path) -> dict[str, PaperRecord | RecordError]:
    root = shared_data / "arxiv" / "abs"
    files = sorted(root.glob("ftp/**/*.abs")) + sorted(root.glob("orig/**/*.abs"))
    return {str(path.relative_to(root)): _one(path) for path in files}


def test_every_real_file_parses_except_the_empty_one(
    real: dict[str, PaperRecord | RecordError],
) -> None:
    assert len(real) == 1192
    errors = {name: r.message for name, r in real.items() if isinstance(r, RecordError)}
    assert errors == {"ftp/math-ph/papers/0509/0509037.abs": "empty file"}
    assert sum(1 for name in real if name.startswith("orig/")) == 60


def test_real_new_style_record(real: dict[str, PaperRecord | RecordError]) -> None:
    paper = real["ftp/arxiv/papers/0704/0704.0002.abs"]
    assert isinstance(paper, PaperRecord)
    assert paper.source_format == ABS
    assert paper.locator.endswith("ftp/arxiv/papers/0704/0704.0002.abs")
    assert paper.arxiv_id == "0704.0002"
    assert paper.title == "Sparsity-certifying Graph Decompositions"
    assert [(v.number, v.size) for v in paper.versions] == [(1, "377kb"), (2, "136kb")]
    assert paper.versions[0].submitted == datetime(2007, 3, 31, 2, 26, 18, tzinfo=UTC)
    assert paper.versions[1].submitted == datetime(2008, 12, 13, 17, 26, tzinfo=UTC)
    assert paper.categories == ["math.CO", "cs.CG"]
    assert paper.msc_class == "05C85; 05C70; 68R10; 05B35"
    assert paper.submitter == "Louis Theran"
    assert [a.full_name for a in paper.authors] == ["Ileana Streinu", "Louis Theran"]
    assert paper.abstract.startswith("We describe a new algorithm, the $(k,\\ell)$-pebble game")
    assert paper.abstract.endswith("Westermann and Hendrickson.")
    assert paper.withdrawn is False


def test_real_tex_author_is_kept_as_source(real: dict[str, PaperRecord | RecordError]) -> None:
    paper = real["ftp/arxiv/papers/0704/0704.0001.abs"]
    assert isinstance(paper, PaperRecord)
    assert paper.authors[0].keyname == "Bal\\'azs"
    assert paper.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )


def test_real_old_style_id(real: dict[str, PaperRecord | RecordError]) -> None:
    paper = real["ftp/hep-th/papers/9108/9108002.abs"]
    assert isinstance(paper, PaperRecord)
    assert paper.arxiv_id == "hep-th/9108002"
    assert paper.versions[0].submitted == datetime(1991, 8, 15, 16, 35, 28, tzinfo=UTC)
    assert paper.doi == "10.1016/0370-2693(92)90710-L"
    old_style = [
        r for r in real.values() if isinstance(r, PaperRecord) and "/" in (r.arxiv_id or "")
    ]
    assert len(old_style) == 74 + 22  # ftp (75 files, one of them empty) + orig


def test_real_orig_files_describe_their_version(
    real: dict[str, PaperRecord | RecordError],
) -> None:
    for number in range(1, 5):
        paper = real[f"orig/arxiv/papers/0704/0704.0615v{number}.abs"]
        assert isinstance(paper, PaperRecord)
        assert paper.arxiv_id == "0704.0615"
        assert len(paper.versions) == number
        # v2 only removed an unintended upload; v3 withdrew the paper; v4 restored it.
        assert paper.withdrawn is (number == 3)
    old = real["orig/funct-an/papers/9301/9301001v1.abs"]
    assert isinstance(old, PaperRecord)
    assert old.arxiv_id == "funct-an/9301001"
    assert [(v.number, v.size) for v in old.versions] == [(1, "0kb")]
    assert old.withdrawn is False  # "not stored by arXiv" is no withdrawal


def test_real_withdrawn(real: dict[str, PaperRecord | RecordError]) -> None:
    withdrawn = sorted(
        name for name, r in real.items() if isinstance(r, PaperRecord) and r.withdrawn
    )
    assert withdrawn == [
        "ftp/arxiv/papers/0704/0704.0156.abs",
        "ftp/arxiv/papers/0704/0704.0213.abs",
        "ftp/arxiv/papers/0704/0704.0374.abs",
        "ftp/arxiv/papers/0704/0704.0480.abs",
        "ftp/arxiv/papers/0704/0704.0525.abs",
        "ftp/arxiv/papers/0704/0704.0615.abs",
        "ftp/arxiv/papers/0704/0704.0644.abs",
        "ftp/arxiv/papers/0704/0704.0840.abs",
        "ftp/arxiv/papers/0906/0906.3336.abs",
        "ftp/arxiv/papers/2101/2101.10016.abs",
        "orig/arxiv/papers/0704/0704.0615v3.abs",
    ]
    paper = real["ftp/arxiv/papers/2101/2101.10016.abs"]
    assert isinstance(paper, PaperRecord)
    assert len(paper.versions) == 8
    assert paper.versions[-1].size == "0kb"


def test_real_tex_line_breaks_inside_the_abstract(
    real: dict[str, PaperRecord | RecordError],
) -> None:
    paper = real["ftp/arxiv/papers/2004/2004.02153.abs"]
    assert isinstance(paper, PaperRecord)
    assert "v_t = \\Delta v - v + u" in paper.abstract
    assert paper.abstract.endswith("collapse into a persistent Dirac distribution.")


def test_cross_check_with_kaggle(
    shared_data: Path, real: dict[str, PaperRecord | RecordError]
) -> None:
    snapshot = {
        r.arxiv_id: r
        for r in kaggle.parse(shared_data / "arxiv" / "kaggle-snapshot-head.jsonl")
        if isinstance(r, PaperRecord)
    }
    title_mismatches = []
    version_mismatches = []
    for number in range(1, 201):
        arxiv_id = f"0704.{number:04d}"
        from_abs = real[f"ftp/arxiv/papers/0704/{arxiv_id}.abs"]
        assert isinstance(from_abs, PaperRecord)
        if from_abs.title != snapshot[arxiv_id].title:
            title_mismatches.append(arxiv_id)
        if len(from_abs.versions) != len(snapshot[arxiv_id].versions):
            version_mismatches.append(arxiv_id)
    assert title_mismatches == []
    # The upstream .abs test files predate a later revision (erratum) of these three.
    assert version_mismatches == ["0704.0033", "0704.0038", "0704.0189"]


def test_hand_written_old_file(tmp_path: Path) -> None:
    paper = _one(_write(tmp_path, SAMPLE.replace("\n", "\r\n")))
    assert isinstance(paper, PaperRecord)
    assert paper.arxiv_id == "hep-th/9108002"
    assert paper.title == "Hamiltonian construction of W-gravity actions"
    assert [a.keyname for a in paper.authors] == ["Mikovi\\'c", "Other"]
    assert paper.categories == ["hep-th", "math.QA"]
    assert paper.versions[0].submitted == datetime(1991, 8, 15, 16, 35, 28, tzinfo=UTC)
    assert paper.versions[0].size == "13kb"
    assert paper.versions[1].size == ""
    assert paper.report_no == "QMW-91-12"
    assert paper.acm_class == "F.2.2"
    assert paper.doi == "10.1016/0370-2693(92)90710-L"
    assert paper.submitter == "Yosuke Imamura"
    assert paper.abstract == (
        "We show that all W-gravity actions can be constructed: "
        "\\\\ $a \\\\ b$ on a TeX line break."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        (
            SAMPLE.replace("Title: Hamiltonian construction of\n  W-gravity actions\n", ""),
            "no Title",
        ),
        (SAMPLE.replace("Thu, 15 Aug 91", "sometime in"), "not a date"),
        (SAMPLE.replace("Paper: hep-th/9108002", "Paper: hep-th/9113002"), "not an arXiv"),
        (SAMPLE.replace("Paper: hep-th/9108002", "Hello"), "first header line"),
        (SAMPLE.replace("Comments: 9 pages", "Comments 9 pages"), "not a 'Key: value'"),
        ("just text\n", "separators"),
        (SAMPLE + SAMPLE.split("\n", 1)[1], "2 papers in one file"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, message: str) -> None:
    error = _one(_write(tmp_path, text))
    assert isinstance(error, RecordError)
    assert message in error.message
    assert error.locator == str(tmp_path / "9108002.abs")


def test_latin1_file(tmp_path: Path) -> None:
    path = tmp_path / "old.abs"
    path.write_bytes(SAMPLE.replace("B. Other", "B. M\u00fcller").encode("latin-1"))
    paper = _one(path)
    assert isinstance(paper, PaperRecord)
    assert paper.authors[-1].keyname == "M\u00fcller"
