"""OAI-PMH parsing: real arXiv/arXivRaw/quant-ph files and hand-written fixtures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from papertrend.papers.formats import oai
from papertrend.papers.records import (
    OAI_ARXIV,
    OAI_ARXIVRAW,
    OAI_DC,
    AuthorName,
    PaperRecord,
    RecordError,
    VersionInfo,
)

OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
    "<responseDate>2024-01-05T00:00:00Z</responseDate>\n"
    '<request verb="ListRecords">http://example.org/oai</request>\n'
)


def raw_record(arxiv_id: str, stamp: str, version_date: str, title: str = "A title") -> str:
    title_xml = f"<title>{title}</title>" if title else ""
    return (
        f"<record><header><identifier>oai:arXiv.org:{arxiv_id}</identifier>"
        f"<datestamp>{stamp}</datestamp><setSpec>cs</setSpec></header><metadata>"
        '<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'
        f"<id>{arxiv_id}</id><submitter>Ada Lovelace</submitter>"
        f'<version version="v1"><date>{version_date}</date><size>10kb</size></version>'
        f"{title_xml}<authors>Ada Lovelace and Charles Babbage</authors>"
        "<categories>cs.LG stat.ML</categories><abstract>  An\n  abstract $x^2$.\n</abstract>"
        "</arXivRaw></metadata></record>\n"
    )


def list_records(*records: str, token: str = "") -> bytes:
    body = "".join(records)
    return (
        f'{OAI_HEAD}<ListRecords>{body}<resumptionToken cursor="0" completeListSize="3">'
        f"{token}</resumptionToken></ListRecords></OAI-PMH>"
    ).encode()


# --- real files ------------------------------------------------------------------------


def _parse_dir(folder: Path) -> list:
    return [r for path in sorted(folder.glob("*.xml")) for r in oai.parse(path)]


def test_real_arxiv_format_files(shared_data: Path) -> None:
    folder = shared_data / "arxiv" / "oai-arXiv"
    results = _parse_dir(folder)  # *.xml only: sample_arxiv_record10_parsed.json is not OAI
    assert len(results) == 30
    assert all(isinstance(r, PaperRecord) and r.source_format == OAI_ARXIV for r in results)
    by_id = {r.arxiv_id: r for r in results}
    first = by_id["1706.05371"]
    assert first.title.startswith("Evaluation of Silicon Photomultipliers for use as Photosens")
    assert "\n" not in first.title and "  " not in first.title
    assert first.authors[0] == AuthorName(keyname="Anderson", forenames="Tyler")
    assert first.categories == ["physics.ins-det", "hep-ex"]
    assert first.primary_category == "physics.ins-det"
    assert first.published == datetime(2017, 6, 16, tzinfo=UTC)
    assert first.updated == datetime(2017, 12, 12, tzinfo=UTC)
    assert by_id["1706.09418"].report_no == "BONN-TH-2017-03"
    assert by_id["1706.09418"].doi == "10.1140/epjc/s10052-017-5414-4"


def test_real_arxiv_affiliations_suffix_and_unnamespaced_metadata(shared_data: Path) -> None:
    folder = shared_data / "arxiv" / "oai-arXiv"
    (kamiokande,) = oai.parse(folder / "sample_arxiv_record8.xml")
    assert kamiokande.authors[0].keyname == "Collaboration"
    assert kamiokande.authors[0].affiliation == (
        "Kamioka Observatory, Institute for Cosmic Ray Research, University of Tokyo; "
        "Kavli Institute for the Physics and Mathematics of the Universe"
    )
    (bicep,) = oai.parse(folder / "sample_arxiv_record4.xml")
    assert any(a.suffix == "IV" for a in bicep.authors)
    # This file's <arXiv> element has no namespace of its own (inherits OAI's).
    (record0,) = oai.parse(folder / "sample_arxiv_record0.xml")
    assert record0.source_format == OAI_ARXIV and record0.arxiv_id == "1601.03238"


def test_real_arxivraw_list_records(shared_data: Path) -> None:
    path = shared_data / "arxiv" / "oai-arXivRaw" / "ListRecordsResponse.xml"
    page = oai.parse_response(path.read_bytes(), "list")
    assert page.resumption_token == "726959|1001"
    assert page.complete_list_size == 58011
    assert page.cursor == 0
    assert page.error_code is None
    assert page.max_datestamp == page.datestamps == date(2014, 12, 22)
    assert [r.arxiv_id for r in page.results] == [
        "0704.0471",
        "0704.0716",
        "0704.0874",
        "0704.1109",
        "0704.1114",
        "0704.1586",
    ]
    richard = page.results[1]
    assert isinstance(richard, PaperRecord) and richard.source_format == OAI_ARXIVRAW
    assert [v.number for v in richard.versions] == [1, 2, 3, 4]
    assert richard.versions[0] == VersionInfo(
        1, datetime(2007, 4, 5, 12, 45, 3, tzinfo=UTC), "43kb"
    )
    assert richard.published == richard.versions[0].submitted
    assert richard.updated == datetime(2008, 11, 14, 9, 7, 25, tzinfo=UTC)
    assert richard.submitter == "Christoph Richard"
    assert richard.msc_class == "05A15, 05A16"
    shetty = page.results[0]
    assert [a.keyname for a in shetty.authors] == ["Shetty", "Yennello", "Souliotis"]
    assert 'extremely " stiff "' in shetty.abstract
    assert richard.locator == "list record 2"


def test_real_arxivraw_files_and_errors(shared_data: Path) -> None:
    folder = shared_data / "arxiv" / "oai-arXivRaw"
    results = _parse_dir(folder)
    papers = [r for r in results if isinstance(r, PaperRecord)]
    errors = [r for r in results if isinstance(r, RecordError)]
    assert len(papers) == 7  # 6 in ListRecords + 1 GetRecord
    # Four error responses become errors; noRecordsMatch is an empty result.
    assert sorted(e.message.split(":")[0] for e in errors) == [
        "OAI error badArgument",
        "OAI error badResumptionToken",
        "OAI error badVerb",
        "OAI error idDoesNotExist",
    ]
    (get_record,) = oai.parse(folder / "GetRecordResponse.xml")
    assert get_record.arxiv_id == "1302.2146"
    assert [a.keyname for a in get_record.authors] == ["Berger", "Perelstein", "Saelim", "Tanedo"]


@pytest.mark.parametrize(
    ("name", "code", "failed"),
    [
        ("ErrorResponseBadArgument.xml", "badArgument", True),
        ("ErrorResponseBadResumptionToken.xml", "badResumptionToken", True),
        ("ErrorResponseBadVerb.xml", "badVerb", True),
        ("ErrorResponseIdDoesNotExist.xml", "idDoesNotExist", True),
        ("ErrorResponseNoRecordsMatch.xml", "noRecordsMatch", False),
    ],
)
def test_real_error_responses(shared_data: Path, name: str, code: str, failed: bool) -> None:
    data = (shared_data / "arxiv" / "oai-arXivRaw" / name).read_bytes()
    page = oai.parse_response(data, name)
    assert page.error_code == code
    assert page.error_message
    assert page.failed is failed
    assert page.results == [] and page.resumption_token is None


def test_real_quantph_simplified_files(shared_data: Path) -> None:
    folder = shared_data / "arxiv" / "quantph-1992-1999"
    results = _parse_dir(folder)
    assert len(results) == 4777
    assert all(isinstance(r, PaperRecord) and r.source_format == OAI_DC for r in results)
    assert all(r.published and 1992 <= r.published.year <= 1999 for r in results)
    first = next(r for r in results if r.arxiv_id == "quant-ph/9501002")
    assert first.title == "RESOLUTION OF A ``RETRODICTION PARADOX''"
    assert first.abstract.startswith("It is shown that the ``retrodiction paradox''")
    assert first.categories == ["quant-ph"] and first.authors == []
    assert first.published == datetime(1995, 1, 4, tzinfo=UTC)
    assert any(r.arxiv_id == "hep-th/9901010" and r.primary_category == "hep-th" for r in results)


# --- fixtures --------------------------------------------------------------------------


def test_malformed_record_in_the_middle_and_deleted_record(tmp_path: Path) -> None:
    deleted = (
        '<record><header status="deleted"><identifier>oai:arXiv.org:2401.00003</identifier>'
        "<datestamp>2024-01-09</datestamp></header></record>"
    )
    data = list_records(
        raw_record("2401.00001", "2024-01-03", "Mon, 1 Jan 2024 10:00:00 GMT"),
        raw_record("2401.00002", "2024-01-04", "not a date"),
        deleted,
        raw_record("2401.00004", "2024-01-04", "Tue, 2 Jan 2024 11:30:00 GMT", title=""),
        raw_record("2401.00005", "2024-01-05", "Tue, 2 Jan 2024 11:30:00 +0100"),
    )
    path = tmp_path / "page.xml"
    path.write_bytes(data)
    results = list(oai.parse(path))
    assert [type(r).__name__ for r in results] == [
        "PaperRecord",
        "RecordError",
        "RecordError",
        "PaperRecord",
    ]
    assert results[1].locator == f"{path} record 2"
    # v1's date is the paper's own: without it the record cannot be dated.
    assert "v1 date: not a date: 'not a date'" in results[1].message
    assert results[2].locator == f"{path} record 4" and "title" in results[2].message
    last = results[3]
    assert last.arxiv_id == "2401.00005"
    assert last.versions[0].submitted == datetime(2024, 1, 2, 10, 30, tzinfo=UTC)
    assert last.abstract == "An abstract $x^2$."
    assert [a.keyname for a in last.authors] == ["Lovelace", "Babbage"]

    page = oai.parse_response(data, "url")
    assert page.deleted == ["oai:arXiv.org:2401.00003"]
    assert page.max_datestamp == date(2024, 1, 9)  # a deleted record still moves it
    assert page.resumption_token is None  # empty token element: last page
    assert page.complete_list_size == 3


def test_withdrawal_notice_in_comments() -> None:
    record = raw_record("2401.00001", "2024-01-03", "Mon, 1 Jan 2024 10:00:00 GMT")
    withdrawn = record.replace(
        "<abstract>", "<comments>This paper has been withdrawn by the author</comments><abstract>"
    )
    page = oai.parse_response(list_records(record, withdrawn), "w")
    assert [r.withdrawn for r in page.results] == [False, True]


def test_oai_dc_record() -> None:
    data = (
        f"{OAI_HEAD}<GetRecord><record><header><identifier>oai:arXiv.org:0704.0001</identifier>"
        "<datestamp>2008-11-13</datestamp></header><metadata>"
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:title>Calculation of prompt diphoton\n  production</dc:title>"
        "<dc:creator>Bal\\'azs, C.</dc:creator><dc:creator>Yuan, C. -P.</dc:creator>"
        "<dc:creator>Smith, John, Jr</dc:creator>"
        "<dc:subject>High Energy Physics - Phenomenology</dc:subject>"
        "<dc:subject>hep-ph</dc:subject>"
        "<dc:description>  A fully differential calculation.</dc:description>"
        "<dc:description>Comment: 37 pages, 15 figures</dc:description>"
        "<dc:date>2007-04-02</dc:date><dc:date>2007-07-24</dc:date>"
        "<dc:identifier>http://arxiv.org/abs/0704.0001</dc:identifier>"
        "<dc:identifier>Phys.Rev.D76:013009,2007</dc:identifier>"
        "<dc:identifier>doi:10.1103/PhysRevD.76.013009</dc:identifier>"
        "</oai_dc:dc></metadata></record></GetRecord></OAI-PMH>"
    ).encode()
    (record,) = oai.parse_response(data, "dc").results
    assert record.source_format == OAI_DC
    assert record.title == "Calculation of prompt diphoton production"
    assert record.authors == [
        AuthorName("Bal\\'azs", "C."),
        AuthorName("Yuan", "C. -P."),
        AuthorName("Smith", "John", "Jr"),
    ]
    assert record.categories == ["hep-ph"]
    assert record.abstract == "A fully differential calculation."
    assert record.comments == "37 pages, 15 figures"
    assert record.published == datetime(2007, 4, 2, tzinfo=UTC)
    assert record.updated == datetime(2007, 7, 24, tzinfo=UTC)
    assert record.doi == "10.1103/PhysRevD.76.013009"
    assert record.journal_ref == "Phys.Rev.D76:013009,2007"


def test_arxiv_format_record_with_bad_id_is_an_error() -> None:
    data = (
        f"{OAI_HEAD}<GetRecord><record><header><identifier>oai:arXiv.org:nonsense</identifier>"
        '</header><metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>nonsense</id>'
        "<title>T</title></arXiv></metadata></record></GetRecord></OAI-PMH>"
    ).encode()
    (error,) = oai.parse_response(data, "bad").results
    assert isinstance(error, RecordError) and error.source_format == OAI_ARXIV
    assert "not an arXiv identifier" in error.message and error.locator == "bad record 1"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header>
<identifier>oai:arXiv.org:2401.00001</identifier></header><metadata><title>&lol3;</title>
</metadata></record></ListRecords></OAI-PMH>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ListRecords><record><header><identifier>oai:arXiv.org:2401.00001</identifier></header>
<metadata><title>&xxe;</title></metadata></record></ListRecords>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_entity_attacks_are_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(oai.OaiFormatError, match="refused XML with a DTD"):
        oai.parse_response(data, "evil")
    path = tmp_path / "evil.xml"
    path.write_bytes(data)
    (error,) = oai.parse(path)
    assert isinstance(error, RecordError) and "refused" in error.message


def test_truncated_file_keeps_earlier_records(tmp_path: Path) -> None:
    data = list_records(
        raw_record("2401.00001", "2024-01-03", "Mon, 1 Jan 2024 10:00:00 GMT"),
        raw_record("2401.00002", "2024-01-03", "Mon, 1 Jan 2024 10:00:00 GMT"),
    )
    path = tmp_path / "cut.xml"
    path.write_bytes(data[: data.index(b"2401.00002") + 40])
    results = list(oai.parse(path))
    assert isinstance(results[0], PaperRecord)
    assert isinstance(results[-1], RecordError)
    assert "malformed XML at line" in results[-1].message


def test_not_oai_is_rejected() -> None:
    with pytest.raises(oai.OaiFormatError, match="not an OAI-PMH response"):
        oai.parse_response(b"<html><body>Service unavailable</body></html>", "html")
