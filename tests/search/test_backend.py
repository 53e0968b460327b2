"""The tantivy index on its own: analysis, query building, hostile text, lifecycle."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tantivy

from papertrend.search import backend

HOSTILE = [
    '"unbalanced',
    'unbalanced"',
    '"',
    '""',
    '"" ""',
    "(((",
    ")))",
    "((a) OR (b",
    "title:",
    "title:foo",
    "nosuchfield:foo",
    "key:x",
    "AND OR NOT",
    "NOT",
    "AND",
    "-",
    "+",
    "*",
    "a*",
    "?",
    "^",
    "foo^10",
    "foo^",
    "~",
    "foo~2",
    "[a TO b]",
    "{a TO b}",
    "title:[* TO *]",
    "IN [a b]",
    "\\",
    "\\\\\\",
    "/regex.*/",
    ":",
    "::::",
    "\x00",
    "a\x00b",
    "\u200b",
    "\ufeff",
    "🙂🔥 transformers 🙂",
    "🙂",
    "北京大学 量子",
    "e\u0301",
    "ﬁ ligature",
    "'; DROP TABLE papers; --",
    "<script>alert(1)</script>",
    "%",
    "%00",
    "&&",
    "||",
    "!",
    "$\\alpha$",
    "x" * 10_000,
    "quantum " * 1500,
    '"a" "b" "c" "d" "e" "f" "g" "h" "i" "j"',
    "\n\t\r",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
]


def _fields(key: str, title: str, abstract: str = "", authors: list[str] | None = None) -> dict:
    return {
        "key": key,
        "arxiv_id": key,
        "title": title,
        "abstract": abstract,
        "authors": authors or [],
        "categories": ["cs.LG", "stat.ML"],
        "published": datetime(2024, 1, 2, tzinfo=UTC),
    }


@pytest.fixture
def index(tmp_path: Path) -> backend.SearchIndex:
    idx = backend.get_index(tmp_path / "idx")
    with idx.writer() as writer:
        writer.upsert(
            _fields("2401.00001", "Attention is all you need", "We propose transformers.")
        )
        writer.upsert(
            _fields(
                "2401.00002",
                "Quantum error correction with surface codes",
                "Surface codes protect logical qubits.",
                ["C. Bal\\'azs", "E. L. Berger"],
            )
        )
        writer.upsert(_fields("2401.00003", "Running networks", "Attention to graph networks."))
        writer.commit()
    return idx


def _keys(idx: backend.SearchIndex, query: str) -> list[str]:
    return [hit.key for hit in idx.search(query, limit=10)[0]]


def test_analyzer_stems_folds_and_drops_stopwords() -> None:
    assert backend.analyze("The Networks of Balázs") == ["network", "balaz"]
    assert backend.analyze("the and of") == []


def test_tex_accents_are_found_by_plain_and_accented_spelling(index: backend.SearchIndex) -> None:
    assert _keys(index, "Balazs") == ["2401.00002"]
    assert _keys(index, "Balázs") == ["2401.00002"]


def test_or_semantics_ranks_more_matching_words_higher(index: backend.SearchIndex) -> None:
    hits, total = index.search("attention networks", limit=10)
    assert total == 2
    assert hits[0].key == "2401.00003"  # both words; the others have one
    assert hits[0].score > hits[1].score


def test_title_outranks_abstract(index: backend.SearchIndex) -> None:
    assert _keys(index, "attention")[0] == "2401.00001"


def test_quoted_phrase_is_required(index: backend.SearchIndex) -> None:
    assert _keys(index, '"surface codes"') == ["2401.00002"]
    assert _keys(index, '"codes surface"') == []
    assert _keys(index, '"surface codes" attention') == ["2401.00002"]


def test_stemming_matches_other_forms(index: backend.SearchIndex) -> None:
    assert _keys(index, "run network") == ["2401.00003"]


def test_offset_limit_and_total(index: backend.SearchIndex) -> None:
    first, total = index.search("attention networks codes", limit=2, offset=0)
    rest, total2 = index.search("attention networks codes", limit=2, offset=2)
    assert total == total2 == 3
    assert len(first) == 2 and len(rest) == 1
    assert {h.key for h in first} | {h.key for h in rest} == {
        "2401.00001",
        "2401.00002",
        "2401.00003",
    }


def test_exclude_keys(index: backend.SearchIndex) -> None:
    hits, total = index.search("attention", limit=10, exclude_keys=["2401.00001"])
    assert [h.key for h in hits] == ["2401.00003"] and total == 1


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(index: backend.SearchIndex, query: str) -> None:
    hits, total = index.search(query, limit=10)
    assert isinstance(hits, list) and total >= len(hits)


def test_syntax_is_not_interpreted(index: backend.SearchIndex) -> None:
    # "NOT attention" is just words: "not" is a stopword, attention still matches.
    assert "2401.00001" in _keys(index, "NOT attention")
    assert _keys(index, "key:2401.00001") == []  # no field syntax: "key" is just a word


def test_reader_sees_commits_from_another_index_object(tmp_path: Path) -> None:
    path = tmp_path / "idx"
    reader = backend.get_index(path)
    assert reader.search("quantum", limit=5) == ([], 0)
    other = backend.SearchIndex(path)  # as another process would open it
    with other.writer() as writer:
        writer.upsert(_fields("2401.00009", "Quantum walks"))
        writer.commit()
    assert _keys(reader, "quantum") == ["2401.00009"]


def test_uncommitted_changes_are_dropped(tmp_path: Path) -> None:
    idx = backend.get_index(tmp_path / "idx")
    with pytest.raises(RuntimeError), idx.writer() as writer:
        writer.upsert(_fields("2401.00009", "Quantum walks"))
        raise RuntimeError("crash before commit")
    assert _keys(idx, "quantum") == []


def test_second_writer_waits_then_raises_locked(tmp_path: Path) -> None:
    idx = backend.get_index(tmp_path / "idx")
    with (
        idx.writer(),
        pytest.raises(backend.SearchIndexLocked, match="another process"),
        idx.writer(lock_wait=0.3),
    ):
        pass


def test_second_writer_gets_the_lock_when_released(tmp_path: Path) -> None:
    idx = backend.get_index(tmp_path / "idx")
    released = threading.Event()

    def hold() -> None:
        with idx.writer():
            released.wait(0.3)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        with idx.writer(lock_wait=5) as writer:
            writer.commit()
    finally:
        released.set()
        thread.join()


def test_schema_version_change_recreates_empty_index(index: backend.SearchIndex) -> None:
    assert index.search("quantum", limit=5)[1] == 1
    index.mark_rebuilt()
    (index.path / backend.VERSION_FILE).write_text("0\n")
    reopened = backend.SearchIndex(index.path)
    assert reopened.search("quantum", limit=5) == ([], 0)
    assert reopened.needs_rebuild
    assert (index.path / backend.VERSION_FILE).read_text().strip() == backend.SCHEMA_VERSION


def test_refuses_a_folder_that_is_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(backend.SearchIndexError, match="holds no search index"):
        backend.SearchIndex(tmp_path)
    assert (tmp_path / "notes.txt").exists()


def test_status_counts_documents(index: backend.SearchIndex) -> None:
    status = index.status()
    assert status.num_docs == 3
    assert status.schema_version == backend.SCHEMA_VERSION


def test_phrase_of_one_word_after_stopwords_does_not_panic(index: backend.SearchIndex) -> None:
    assert _keys(index, '"the attention of"')[0] == "2401.00001"
    assert isinstance(backend.build_query(index.schema, "x y"), tantivy.Query)
    assert backend.build_query(index.schema, "the of ((( ") is None


def test_plain_text_converts_tex_accents_and_skips_plain_text() -> None:
    assert backend.plain_text("C. Bal\\'azs") == "C. Balázs"
    assert backend.plain_text('Schr\\"{o}dinger') == "Schrödinger"
    assert backend.plain_text("no TeX here") == "no TeX here"


def test_plain_text_turns_accents_into_letters() -> None:
    assert backend.plain_text(r"C. Bal\'azs and  G\"{u}nter") == "C. Balázs and Günter"


def test_quoted_phrase_spans_stopwords(index: backend.SearchIndex) -> None:
    assert _keys(index, '"error correction with surface"') == ["2401.00002"]
    assert _keys(index, '"error correction surface"') == []  # the gap is kept
