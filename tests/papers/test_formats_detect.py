"""Format detection, directory expansion and dispatch; shared date/withdrawal helpers."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from papertrend.papers import formats, records
from papertrend.papers.formats import (
    UnknownFormat,
    count_hint,
    detect,
    is_withdrawal_notice,
    iter_records,
    parse_arxiv_date,
)
from papertrend.papers.records import PaperRecord, RecordError

KAGGLE_LINE = json.dumps(
    {
        "id": "0704.0002",
        "title": "Sparsity-certifying Graph Decompositions",
        "categories": "math.CO",
        "versions": [{"version": "v1", "created": "Sat, 31 Mar 2007 02:26:18 GMT"}],
        "authors_parsed": [["Theran", "Louis", ""]],
    }
)
ABS_TEXT = """\
------------------------------------------------------------------------------
\\\\
arXiv:0704.0002
From: Louis Theran <x@example.org>
Date: Sat, 31 Mar 2007 02:26:18 GMT   (377kb,D)

Title: Sparsity-certifying Graph Decompositions
Authors: Ileana Streinu and Louis Theran
\\\\
  We describe a new algorithm.
\\\\
"""
ABSTRACT = "We propose a method. It works well. " * 10
TRENDING_TEXT = f"new\n\nMar 14\n\nA Title\n\n{ABSTRACT}\n\nAnother Title\n\n{ABSTRACT}\n"
OAI_DC_XML = """<?xml version="1.0"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header>
<identifier>oai:arXiv.org:0704.0002</identifier></header><metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>T</dc:title></oai_dc:dc>
</metadata></record></ListRecords></OAI-PMH>"""


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("arxiv/kaggle-snapshot-head.jsonl", records.KAGGLE),
        ("arxiv/abs/ftp/arxiv/papers/0704/0704.0002.abs", records.ABS),
        ("arxiv/abs/orig/funct-an/papers/9301/9301001v1.abs", records.ABS),
        ("trending-page/trending-page.txt", records.TRENDING_PAGE),
        ("arxiv/oai-arXiv/arxiv-single.xml", records.OAI_ARXIV),
        ("arxiv/oai-arXiv/sample_arxiv_record0.xml", records.OAI_ARXIV),  # no arXiv xmlns
        ("arxiv/oai-arXivRaw/ListRecordsResponse.xml", records.OAI_ARXIVRAW),
        ("arxiv/oai-arXivRaw/ErrorResponseNoRecordsMatch.xml", records.OAI_ARXIVRAW),
        ("arxiv/quantph-1992-1999/arXiv-meta-1993.xml", records.OAI_DC),
        ("arxiv/api-atom/raw_xml/id_list=1111.2011v2.xml", records.ATOM),
        ("arxiv/api-atom/recorded_json/id_1605.08386_s0_m100_199195aa31ad.json", records.ATOM),
    ],
)
def test_detect_real_files(shared_data: Path, relative: str, expected: str) -> None:
    assert detect(shared_data / relative) == expected


@pytest.mark.parametrize(
    ("relative", "auxiliary"),
    [
        ("arxiv/abs/ftp/astro-ph/listings/9501", True),
        ("arxiv/abs/ftp/astro-ph/listings/2303", True),  # starts exactly like an .abs file
        ("arxiv/abs/ftp/math/listings/new.AG", True),
        ("arxiv/abs/MANIFEST.tsv", True),
        ("arxiv/api-atom/raw_xml/NAMES.tsv", True),
        ("arxiv/db-export/arXiv_metadata.jsonl", True),
        ("arxiv/oai-arXiv/sample_arxiv_record10_parsed.json", True),
        ("SOURCES.md", True),
        ("arxiv/abs/ftp/math-ph/papers/0509/0509037.abs", False),  # empty
        ("eval/ir-cisi/CISI.ALL", False),
    ],
)
def test_detect_refuses_real_non_record_files(
    shared_data: Path, relative: str, auxiliary: bool
) -> None:
    with pytest.raises(UnknownFormat) as caught:
        detect(shared_data / relative)
    assert caught.value.auxiliary is auxiliary
    assert str(shared_data / relative) in str(caught.value)


def test_iter_records_on_the_real_abs_folder(shared_data: Path) -> None:
    results = list(iter_records([shared_data / "arxiv" / "abs"]))
    errors = [r for r in results if isinstance(r, RecordError)]
    assert len(results) - len(errors) == 1191  # 96 listing files and MANIFEST.tsv skipped
    assert [e.locator for e in errors] == [
        str(shared_data / "arxiv/abs/ftp/math-ph/papers/0509/0509037.abs")
    ]


def test_iter_records_on_real_files_by_format(shared_data: Path) -> None:
    paths = [shared_data / "arxiv" / "kaggle-snapshot-head.jsonl", shared_data / "trending-page"]
    counts = Counter(r.source_format for r in iter_records(paths) if isinstance(r, PaperRecord))
    assert counts == {records.KAGGLE: 200, records.TRENDING_PAGE: 62}
    only_kaggle = list(iter_records([shared_data / "arxiv"], fmt=records.KAGGLE))
    assert Counter(r.source_format for r in only_kaggle) == {"kaggle": 200, "unknown": 1}
    assert count_hint(shared_data / "arxiv" / "kaggle-snapshot-head.jsonl") == 200
    assert count_hint(shared_data / "trending-page" / "trending-page.txt") == 62


def test_detect_hand_written(tmp_path: Path) -> None:
    assert detect(_write(tmp_path, "a.json", "\ufeff" + KAGGLE_LINE + "\n")) == records.KAGGLE
    assert detect(_write(tmp_path, "b", ABS_TEXT)) == records.ABS
    assert detect(_write(tmp_path, "c.txt", TRENDING_TEXT)) == records.TRENDING_PAGE
    assert detect(_write(tmp_path, "d.xml", OAI_DC_XML)) == records.OAI_DC
    wrapped = json.dumps({"url": "u", "status_code": 200, "body": "<feed/>"}, indent=2)
    assert detect(_write(tmp_path, "e.json", wrapped)) == records.ATOM
    feed = '<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>'
    assert detect(_write(tmp_path, "f.xml", feed)) == records.ATOM


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02", "binary"),
        (b"<html><body/></html>", "not OAI-PMH or Atom"),
        (b"<OAI-PMH", "unreadable XML"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><OAI-PMH>&a;</OAI-PMH>', "unreadable XML"),
        (b'{"url": 1', "invalid JSON"),
        (b"Line one\nline two\nline three\n", "plain text"),
    ],
)
def test_detect_refuses(tmp_path: Path, content: bytes, reason: str) -> None:
    with pytest.raises(UnknownFormat, match=reason):
        detect(_write(tmp_path, "x.dat", content))


def test_iter_records_mixed_folder(tmp_path: Path) -> None:
    _write(tmp_path, "a/snapshot.jsonl", f"{KAGGLE_LINE}\nnot json\n{KAGGLE_LINE}\n")
    _write(tmp_path, "a/b/0704.0002.abs", ABS_TEXT)
    _write(tmp_path, "a/b/empty.abs", "")
    _write(tmp_path, "a/README.md", "# notes\n")
    _write(tmp_path, "a/.hidden", "whatever")
    _write(tmp_path, "a/listing", ABS_TEXT + ABS_TEXT)
    _write(tmp_path, "page.txt", TRENDING_TEXT)
    results = list(iter_records([tmp_path / "a", tmp_path / "page.txt"]))
    summary = [
        (type(r).__name__, r.source_format, Path(r.locator.split(" ")[0]).name) for r in results
    ]
    assert summary == [
        ("PaperRecord", "kaggle", "snapshot.jsonl"),
        ("RecordError", "kaggle", "snapshot.jsonl"),
        ("PaperRecord", "kaggle", "snapshot.jsonl"),
        ("PaperRecord", "abs", "0704.0002.abs"),
        ("RecordError", "unknown", "empty.abs"),
        ("PaperRecord", "trending-page", "page.txt"),
        ("PaperRecord", "trending-page", "page.txt"),
    ]
    assert results[1].locator.endswith("snapshot.jsonl line 2")


def test_iter_records_named_files_and_forced_format(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    readme = _write(tmp_path, "README.md", "# notes\n")
    results = [r for r in iter_records([missing, readme]) if isinstance(r, RecordError)]
    assert len(results) == 2
    assert "unreadable" in results[0].message
    assert "documentation" in results[1].message
    # A forced format skips detection for named files and filters directories.
    forced = _write(tmp_path, "data.txt", KAGGLE_LINE + "\n")
    assert [r.source_format for r in iter_records([forced], fmt=records.KAGGLE)] == ["kaggle"]
    _write(tmp_path, "d/one.abs", ABS_TEXT)
    _write(tmp_path, "d/two.jsonl", KAGGLE_LINE + "\n")
    only_abs = list(iter_records([tmp_path / "d"], fmt=records.ABS))
    assert [r.source_format for r in only_abs] == ["abs"]
    with pytest.raises(ValueError, match="unknown format"):
        list(iter_records([forced], fmt="csv"))


def test_missing_parser_becomes_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(formats._MODULE_BY_FORMAT, records.KAGGLE, "not_written_yet")
    path = _write(tmp_path, "s.jsonl", KAGGLE_LINE + "\n")
    (error,) = iter_records([path])
    assert isinstance(error, RecordError)
    assert "no parser available for kaggle" in error.message


def test_count_hint(tmp_path: Path) -> None:
    assert count_hint(_write(tmp_path, "s.jsonl", f"{KAGGLE_LINE}\n{KAGGLE_LINE}\n")) == 2
    assert count_hint(_write(tmp_path, "x.abs", ABS_TEXT)) == 1
    assert count_hint(_write(tmp_path, "o.xml", OAI_DC_XML)) == 1
    assert count_hint(_write(tmp_path, "p.txt", TRENDING_TEXT)) == 2
    assert count_hint(_write(tmp_path, "n.dat", b"")) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon, 2 Apr 2007 19:18:42 GMT", datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)),
        ("Thu, 15 Aug 91 16:35:28 GMT", datetime(1991, 8, 15, 16, 35, 28, tzinfo=UTC)),
        ("15 Aug 1991 18:35:28 +0200", datetime(1991, 8, 15, 16, 35, 28, tzinfo=UTC)),
        ("Mon, 2 Apr 2007 19:18:42", datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)),
    ],
)
def test_parse_arxiv_date(text: str, expected: datetime) -> None:
    assert parse_arxiv_date(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "Mon, 31 Feb 2007 19:18:42 GMT"])
def test_parse_arxiv_date_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_arxiv_date(text)


@pytest.mark.parametrize(
    ("comments", "expected"),
    [
        ("This paper has been withdrawn by the author(s)", True),
        ("withdrawn by arXiv administrators due to plagiarism", True),
        ("This has been withdrawn by arXiv administrators", True),
        ("paper withdrawn by author", True),
        ("This papers has been withdrawn", True),
        ("Unintended file upload removed by arXiv admin", False),
        ("Replaces a withdrawn-from-review manuscript; 12 pages", False),
        ("", False),
        (None, False),
    ],
)
def test_is_withdrawal_notice(comments: str | None, expected: bool) -> None:
    assert is_withdrawal_notice(comments) is expected


def _with_nul(text: str, word: str) -> bytes:
    """``text`` as UTF-8 with a raw NUL byte inside the first ``word``."""
    data = text.encode()
    cut = data.index(word.encode()) + 2
    return data[:cut] + b"\x00" + data[cut:]


@pytest.mark.parametrize(
    ("name", "content", "fmt", "records_expected"),
    [
        ("k.jsonl", _with_nul(f"{KAGGLE_LINE}\n" * 3, "Sparsity"), records.KAGGLE, 3),
        ("a.abs", _with_nul(ABS_TEXT, "algorithm"), records.ABS, 1),
        ("t.txt", _with_nul(TRENDING_TEXT, "Another"), records.TRENDING_PAGE, 2),
        ("o.xml", _with_nul(OAI_DC_XML, "<dc:title>T"), records.OAI_DC, 1),
        (
            "f.xml",
            _with_nul(
                '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>'
                "http://arxiv.org/abs/2104.12255v1</id><title>Attention</title>"
                "<published>2021-04-25T08:00:00Z</published></entry></feed>",
                "Attention",
            ),
            records.ATOM,
            1,
        ),
    ],
)
def test_stray_nul_byte_does_not_make_a_text_file_binary(
    tmp_path: Path, name: str, content: bytes, fmt: str, records_expected: int
) -> None:
    path = _write(tmp_path, name, content)
    assert detect(path) == fmt
    results = list(iter_records([path]))
    assert [type(r).__name__ for r in results] == ["PaperRecord"] * records_expected, results


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4, "gzip-compressed content: decompress it"),
        ("{}".encode("utf-16"), "binary"),
        (bytes(range(256)) * 64, "binary"),
    ],
)
def test_binary_files_are_still_refused(tmp_path: Path, content: bytes, reason: str) -> None:
    with pytest.raises(UnknownFormat, match=reason):
        detect(_write(tmp_path, "x.dat", content))


def test_deeply_nested_recording_is_one_error_naming_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.json", '{"url": "u", "status_code": 200, "body": ' + "[" * 5000)
    (error,) = list(iter_records([path]))
    assert isinstance(error, RecordError) and error.locator == str(path)
