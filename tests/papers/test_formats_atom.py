"""arXiv API Atom parsing: the recorded feeds and hand-written fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from papertrend.papers.formats import atom
from papertrend.papers.records import ATOM, AuthorName, PaperRecord, RecordError, VersionInfo

FEED_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">\n'
    "<opensearch:totalResults>3</opensearch:totalResults>"
    "<opensearch:startIndex>0</opensearch:startIndex>"
    "<opensearch:itemsPerPage>3</opensearch:itemsPerPage>\n"
)


def entry(entry_id: str, title: str = "Attention") -> str:
    return (
        f"<entry><id>{entry_id}</id><updated>2021-05-03T10:00:00Z</updated>"
        f"<published>2021-04-25T08:00:00Z</published><title>{title}\n  is all</title>"
        "<summary>  We propose\n a model.</summary>"
        "<author><name>Ludwig van Beethoven</name><arxiv:affiliation>Bonn</arxiv:affiliation>"
        "<arxiv:affiliation>Vienna</arxiv:affiliation></author>"
        "<author><name>Martin Luther King, Jr.</name></author>"
        "<author><name>ATLAS Collaboration</name></author>"
        '<arxiv:primary_category term="cs.LG"/><category term="stat.ML"/><category term="cs.LG"/>'
        '<link href="http://arxiv.org/abs/2104.12255v2" rel="alternate" type="text/html"/>'
        '<link title="pdf" href="http://arxiv.org/pdf/2104.12255v2" rel="related"/>'
        '<link title="doi" href="http://dx.doi.org/10.1000/xyz" rel="related"/>'
        '<link href="https://github.com/org/repo" rel="related"/>'
        "<arxiv:comment>12 pages</arxiv:comment><arxiv:journal_ref>J. 1 (2021)</arxiv:journal_ref>"
        "</entry>"
    )


def feed(*entries: str) -> bytes:
    return (FEED_HEAD + "".join(entries) + "</feed>").encode()


# --- real files ------------------------------------------------------------------------


def test_real_feeds_counts(shared_data: Path) -> None:
    root = shared_data / "arxiv" / "api-atom"
    raw = [r for p in sorted((root / "raw_xml").glob("*.xml")) for r in atom.parse(p)]
    recorded = [r for p in sorted((root / "recorded_json").glob("*.json")) for r in atom.parse(p)]
    assert len(raw) == 24 and all(isinstance(r, PaperRecord) for r in raw)
    papers = [r for r in recorded if isinstance(r, PaperRecord)]
    errors = [r for r in recorded if isinstance(r, RecordError)]
    assert len(papers) == 221
    assert [e.message for e in errors] == ["arXiv API error: incorrect id format for abc"]
    assert all(r.source_format == ATOM and r.published and r.updated for r in raw + papers)


def test_real_error_feed(shared_data: Path) -> None:
    path = shared_data / "arxiv" / "api-atom" / "recorded_json" / "id_abc_s0_m100_b79c8dcf6bc3.json"
    status, body = atom.unwrap(path.read_bytes())
    assert status == 400
    page = atom.parse_feed(body, "abc")
    assert page.error_message == "incorrect id format for abc"
    assert not any(isinstance(r, PaperRecord) for r in page.results)


def test_real_empty_feed(shared_data: Path) -> None:
    path = (
        shared_data
        / "arxiv"
        / "api-atom"
        / "recorded_json"
        / "id_0000.0000_s0_m100_8b51d9633a68.json"
    )
    page = atom.parse_feed(atom.unwrap(path.read_bytes())[1], "empty")
    assert page.results == [] and page.total_results == 0 and page.items_per_page == 100
    assert page.error_message is None
    assert list(atom.parse(path)) == []


def test_real_versioned_and_old_style_ids(shared_data: Path) -> None:
    folder = shared_data / "arxiv" / "api-atom" / "recorded_json"
    (versioned,) = atom.parse(folder / "id_2104.12255v1_s0_m100_6ae69987ffe1.json")
    assert versioned.arxiv_id == "2104.12255"
    assert versioned.versions == [VersionInfo(1, versioned.updated)]
    (old,) = atom.parse(folder / "id_astro-ph_0601001_s0_m100_3150dca9dc76.json")
    assert old.arxiv_id == "astro-ph/0601001"
    assert old.journal_ref == "ActaAstron.56:1-50,2006"
    assert old.authors[2] == AuthorName("Gaudi", "B. Scott", affiliation="CfA")
    (quant,) = atom.parse(folder / "id_quant-ph_0201082v1_s0_m100_86989fe779ef.json")
    assert quant.arxiv_id == "quant-ph/0201082"
    raw = shared_data / "arxiv" / "api-atom" / "raw_xml" / "id_list=1111.2011v2.xml"
    (legacy,) = atom.parse(raw)
    # An entry for v2 also dates v1 from <published> (issue 15 item 1): the paper's
    # submission date must be v1's, not the revision's.
    assert [v.number for v in legacy.versions] == [1, 2]
    assert legacy.versions[0].submitted == legacy.published
    assert legacy.versions[1].submitted == legacy.updated
    assert legacy.published == datetime(2011, 11, 8, 18, 48, 36, tzinfo=UTC)
    assert legacy.updated == datetime(2012, 4, 2, 12, 38, 54, tzinfo=UTC)
    assert legacy.doi == "10.1103/PhysRevB.85.115117"
    assert legacy.authors[1] == AuthorName("Del Maestro", "Adrian")
    assert legacy.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]


def test_real_paging_counters(shared_data: Path) -> None:
    path = (
        shared_data / "arxiv" / "api-atom" / "recorded_json" / "q_testing_s20_m10_348a237fecab.json"
    )
    page = atom.parse_feed(atom.unwrap(path.read_bytes())[1], "q")
    assert (page.total_results, page.start_index, page.items_per_page) == (214881, 20, 10)
    assert len(page.results) == 10


# --- fixtures --------------------------------------------------------------------------


def test_entry_fields() -> None:
    (record,) = atom.parse_feed(feed(entry("http://arxiv.org/abs/2104.12255v2")), "f").results
    assert record.arxiv_id == "2104.12255"
    assert record.locator == "f entry 1"
    assert record.title == "Attention is all"
    assert record.abstract == "We propose a model."
    # v2's own date from <updated>, and v1's from <published> (issue 15 item 1).
    assert record.versions == [
        VersionInfo(1, datetime(2021, 4, 25, 8, tzinfo=UTC)),
        VersionInfo(2, datetime(2021, 5, 3, 10, tzinfo=UTC)),
    ]
    assert record.published == datetime(2021, 4, 25, 8, tzinfo=UTC)
    assert record.authors == [
        AuthorName("van Beethoven", "Ludwig", affiliation="Bonn; Vienna"),
        AuthorName("King", "Martin Luther", "Jr."),
        AuthorName("ATLAS Collaboration"),
    ]
    assert record.primary_category == "cs.LG"
    assert record.categories == ["stat.ML", "cs.LG"]
    assert record.doi == "10.1000/xyz"
    assert record.links == ["https://github.com/org/repo"]
    assert record.comments == "12 pages" and record.journal_ref == "J. 1 (2021)"


def test_bad_entry_in_the_middle(tmp_path: Path) -> None:
    data = feed(
        entry("http://arxiv.org/abs/2101.00001v1"),
        entry("http://arxiv.org/abs/not-an-id"),
        entry("http://arxiv.org/abs/2101.00003v1", title=""),
        entry("http://arxiv.org/abs/hep-th/9901001v3"),
    )
    path = tmp_path / "feed.xml"
    path.write_bytes(data)
    results = list(atom.parse(path))
    assert [type(r).__name__ for r in results] == [
        "PaperRecord",
        "RecordError",
        "PaperRecord",
        "PaperRecord",
    ]
    assert results[1].locator == f"{path} entry 2"
    assert "not an arXiv identifier" in results[1].message
    assert results[3].arxiv_id == "hep-th/9901001"
    assert [v.number for v in results[3].versions] == [1, 3]  # v1 dated by <published>


def test_recording_wrapper_with_http_error_and_no_error_entry(tmp_path: Path) -> None:
    path = tmp_path / "rec.json"
    path.write_text(json.dumps({"url": "u", "status_code": 503, "body": feed().decode()}))
    (error,) = atom.parse(path)
    assert isinstance(error, RecordError) and "HTTP 503" in error.message


def test_entity_attacks_and_garbage_are_refused(tmp_path: Path) -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&x;</title></feed>'
    )
    with pytest.raises(atom.AtomFormatError, match="refused"):
        atom.parse_feed(evil, "evil")
    with pytest.raises(atom.AtomFormatError, match="malformed XML"):
        atom.parse_feed(b"<feed", "cut")
    with pytest.raises(atom.AtomFormatError, match="not an Atom feed"):
        atom.parse_feed(b"<rss/>", "rss")
    path = tmp_path / "bad.json"
    path.write_text('{"url": "u"}')
    (error,) = atom.parse(path)
    assert "not a recorded API response" in error.message


def test_recording_with_mojibake_is_repaired(tmp_path) -> None:
    import json as _json

    from papertrend.papers.formats import atom as atom_module

    feed = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        "<id>http://arxiv.org/abs/1706.00679v1</id><updated>2017-06-02T12:00:00Z</updated>"
        "<published>2017-06-02T12:00:00Z</published><title>Testing</title><summary>S</summary>"
        "<author><name>Jean-Marc Azaïs</name></author></entry></feed>"
    )
    garbled = feed.encode("utf-8").decode("latin-1")
    path = tmp_path / "rec.json"
    path.write_text(_json.dumps({"url": "u", "status_code": 200, "body": garbled}))
    (record,) = list(atom_module.parse(path))
    assert record.authors[0].keyname == "Azaïs"
    # A body that is already right is left alone.
    path.write_text(_json.dumps({"url": "u", "status_code": 200, "body": feed}))
    (record,) = list(atom_module.parse(path))
    assert record.authors[0].keyname == "Azaïs"


def test_real_recording_names_are_not_garbled(shared_data) -> None:
    from papertrend.papers.formats import atom as atom_module

    path = (
        shared_data / "arxiv" / "api-atom" / "recorded_json" / "q_testing_s0_m100_cfe7536492ca.json"
    )
    names = [a.full_name for r in atom_module.parse(path) for a in getattr(r, "authors", [])]
    assert "Jean-Marc Azaïs" in names
    assert not any("Ã" in name for name in names)
