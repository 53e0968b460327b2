"""The tantivy index on its own: analysis, query building, hostile text, lifecycle."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import tantivy
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

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


def test_quoted_phrase_is_preferred_not_required(index: backend.SearchIndex) -> None:
    # Issue 15, item 8: users type quotes loosely. A phrase ranks the papers that
    # contain it first; one that no paper contains still finds papers by its words.
    assert _keys(index, '"surface codes"') == ["2401.00002"]
    assert _keys(index, '"codes surface"') == ["2401.00002"]
    assert _keys(index, '"surface codes" attention')[0] == "2401.00002"
    assert set(_keys(index, '"surface codes" attention')) == {
        "2401.00001",
        "2401.00002",
        "2401.00003",
    }


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
    # Only the operators people mean loosely: "NOT word" leaves out papers with the
    # word (nothing else left to search: no results), AND/OR are dropped; tantivy's
    # own field syntax is never read: "key" is just a word.
    assert _keys(index, "NOT attention") == []
    assert _keys(index, "networks NOT attention") == []
    assert _keys(index, "codes NOT attention") == ["2401.00002"]
    assert _keys(index, "not attention")[0] == "2401.00001"  # lower case: a stopword
    assert _keys(index, "key:2401.00001") == []


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
    with_gap, _ = index.search('"error correction with surface"', limit=5)
    without, _ = index.search('"error correction surface"', limit=5)
    assert [h.key for h in with_gap] == [h.key for h in without] == ["2401.00002"]
    # Only the phrase with the stopword's gap kept is found as a phrase (a bonus).
    assert with_gap[0].score > without[0].score


# --- prefixes, field restrictions, filters -----------------------------------------------


def _paper(
    key: str,
    title: str,
    abstract: str = "",
    authors: tuple[str, ...] = (),
    categories: tuple[str, ...] = ("cs.LG",),
    published: datetime | None = datetime(2024, 1, 2, tzinfo=UTC),
) -> dict:
    return {
        "key": key,
        "arxiv_id": key,
        "title": title,
        "abstract": abstract,
        "authors": list(authors),
        "categories": list(categories),
        "published": published,
    }


PAPERS = [
    _paper(
        "p1",
        "Transformers for vision",
        "We scale attention.",
        ("Geoffrey Hinton", "Ada Lovelace"),
        ("cs.CV",),
        datetime(2024, 1, 1, 23, 59, 59, tzinfo=UTC),
    ),
    _paper(
        "p2",
        "Diffusion models",
        "A transformer-based denoiser shows in-context learning.",
        ("Yann LeCun",),
        ("cs.LG", "stat.ML"),
        datetime(2024, 1, 2, 0, 0, 0, tzinfo=UTC),
    ),
    _paper(
        "p3",
        "Hinton diagrams of capsule networks",
        "Learning in context, from scratch.",
        ("Alan Turing", "Emmy Noether"),
        ("hep-th",),
        datetime(2024, 1, 3, 12, 0, tzinfo=UTC),
    ),
    _paper(
        "p4",
        "Happy transformations and TransformerXL",
        "Diffusion of happiness.",
        ("Jane Hinton", "Geoffrey Smith"),
        ("math.PR", "cs.LG"),
        None,
    ),
]


@pytest.fixture
def papers(tmp_path: Path) -> backend.SearchIndex:
    idx = backend.get_index(tmp_path / "papers")
    with idx.writer() as writer:
        for fields in PAPERS:
            writer.upsert(fields)
        writer.commit()
    return idx


def _found(idx: backend.SearchIndex, query: str, **kwargs: object) -> set[str]:
    hits, total = idx.search(query, limit=10, **kwargs)  # type: ignore[arg-type]
    assert total == len(hits)
    return {hit.key for hit in hits}


def test_prefix_matches_terms_starting_with_it(papers: backend.SearchIndex) -> None:
    # Transformers (title), transformer-based (abstract), transformations, TransformerXL.
    assert _found(papers, "transform*") == {"p1", "p2", "p4"}
    assert _found(papers, "TRANSFORM*") == {"p1", "p2", "p4"}
    assert _found(papers, "transform") == {"p1", "p2", "p4"}  # the stem, not a prefix...
    assert _found(papers, "transformerx*") == {"p4"}  # ...which this is
    assert _found(papers, "capsul*") == {"p3"}
    assert _found(papers, "zzz*") == set()


def test_prefix_tries_the_stem_and_the_unstemmed_form(papers: backend.SearchIndex) -> None:
    # "transformers" is indexed as "transform", which does not start with "transformer".
    assert _found(papers, "transformer*") == {"p1", "p2", "p4"}
    # "happy" is indexed as "happi"; "happiness" too; the prefix "happy" finds them by its stem.
    assert _found(papers, "happy*") == {"p4"}
    assert backend.query_terms("happy*") == ["happy*", "happi*"]
    assert backend.query_terms("Transformer*") == ["transform*"]


def test_a_one_letter_prefix_is_a_word(papers: backend.SearchIndex) -> None:
    assert _found(papers, "t*") == set()
    assert backend.query_terms("t* a*") == ["t"]  # "a" is a stopword


def test_prefix_ranks_title_matches_first(papers: backend.SearchIndex) -> None:
    hits, _ = papers.search("transform*", limit=10)
    assert hits[-1].key == "p2"  # only in its abstract
    assert hits[0].score > hits[-1].score


def test_prefix_matches_beyond_the_expansion_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    idx = backend.get_index(tmp_path / "cap")
    with idx.writer() as writer:
        writer.upsert(_paper("k1", "Transform coding"))
        writer.upsert(_paper("k2", "TransformerXL memory"))
        writer.commit()
    monkeypatch.setattr(backend, "MAX_PREFIX_EXPANSIONS", 1)
    monkeypatch.setattr(backend, "PREFIX_SCAN_TERMS", 1)
    hits, total = idx.search("transform*", limit=10)
    # Only "transform" is expanded (BM25); "transformerxl" matches at the fallback score.
    assert [h.key for h in hits] == ["k1", "k2"] and total == 2
    assert hits[0].score > hits[1].score
    fallback = backend.PREFIX_FALLBACK_SCORE * backend.FIELD_BOOSTS["title"]
    assert hits[1].score == pytest.approx(fallback)


def test_prefix_without_a_searcher_still_matches(papers: backend.SearchIndex) -> None:
    query = backend.build_query(papers.schema, "capsul*")
    assert query is not None
    papers._index.reload()
    searcher = papers._index.searcher()
    assert [searcher.doc(a)["key"][0] for _, a in searcher.search(query, 10).hits] == ["p3"]


def test_author_restriction_searches_authors_only(papers: backend.SearchIndex) -> None:
    assert _found(papers, "hinton") == {"p1", "p3", "p4"}  # p3 has it in its title
    assert _found(papers, "author:hinton") == {"p1", "p4"}
    assert _found(papers, "AU:Hinton") == {"p1", "p4"}
    assert _found(papers, "authors:hinton") == {"p1", "p4"}
    assert _found(papers, 'author:"geoffrey hinton"') == {"p1"}
    assert _found(papers, 'au:"hinton geoffrey"') == set()
    # Two authors' names are not one phrase.
    assert _found(papers, 'author:"hinton geoffrey smith"') == set()
    assert _found(papers, 'author:"jane hinton"') == {"p4"}


def test_a_field_restriction_is_required(papers: backend.SearchIndex) -> None:
    assert _found(papers, "author:hinton diffusion") == {"p1", "p4"}
    hits, _ = papers.search("author:hinton diffusion", limit=10)
    assert hits[0].key == "p4"  # the free word ranks
    assert _found(papers, "author:lecun author:hinton") == set()


def test_title_and_abstract_restrictions(papers: backend.SearchIndex) -> None:
    assert _found(papers, "diffusion") == {"p2", "p4"}
    assert _found(papers, "title:diffusion") == {"p2"}
    assert _found(papers, "Ti:Diffusion") == {"p2"}
    assert _found(papers, "abstract:diffusion") == {"p4"}
    assert _found(papers, 'abstract:"in-context learning"') == {"p2"}
    assert _found(papers, 'abs:"in context"') == {"p2", "p3"}
    assert _found(papers, "title:transf*") == {"p1", "p4"}
    assert _found(papers, "all:diffusion") == {"p2", "p4"}


def test_unknown_field_names_are_words(papers: backend.SearchIndex) -> None:
    assert _found(papers, "foo:diffusion") == {"p2", "p4"}
    assert backend.query_terms("foo:diffusion") == ["foo", "diffus"]
    assert _found(papers, "key:p1") == set()
    assert _found(papers, "categories:cs.CV") == set()  # no reaching other fields


def test_field_names_with_nothing_after_are_dropped(papers: backend.SearchIndex) -> None:
    for query in ("title:", "author:", 'author:"', 'title:""', "au: ", "TITLE:  "):
        assert backend.build_query(papers.schema, query) is None, query
    assert _found(papers, "title: diffusion") == {"p2", "p4"}  # a free word after the space


def test_query_terms_lists_what_is_searched() -> None:
    assert backend.query_terms(
        '"Deep Nets" author:Hinton title:"the Networks" transformer* of'
    ) == [
        "deep",
        "net",
        "hinton",
        "network",
        "transform*",
    ]
    assert backend.query_terms("") == []


def test_category_filter_exact_code(papers: backend.SearchIndex) -> None:
    filters = backend.KeywordFilters(categories=("cs.LG",))
    assert _found(papers, "diffusion transform*", filters=filters) == {"p2", "p4"}
    filters = backend.KeywordFilters(categories=("cs.CV", "math.PR"))
    assert _found(papers, "diffusion transform*", filters=filters) == {"p1", "p4"}
    assert (
        _found(papers, "diffusion", filters=backend.KeywordFilters(categories=("cs.lg",))) == set()
    )


def test_category_filter_archive_matches_every_category_of_it(
    papers: backend.SearchIndex,
) -> None:
    everything = "diffusion transform* capsule"
    cs = backend.KeywordFilters(categories=("cs",))
    assert _found(papers, everything, filters=cs) == {"p1", "p2", "p4"}
    assert _found(papers, everything, filters=backend.KeywordFilters(("stat",))) == {"p2"}
    assert _found(papers, everything, filters=backend.KeywordFilters(("hep-th",))) == {"p3"}
    assert _found(papers, everything, filters=backend.KeywordFilters(("hep",))) == set()
    assert _found(papers, everything, filters=backend.KeywordFilters(("", " "))) == {
        "p1",
        "p2",
        "p3",
        "p4",
    }


def test_filters_keep_words_required(papers: backend.SearchIndex) -> None:
    # A filter is a required clause; the words must still match (not just rank).
    filters = backend.KeywordFilters(categories=("cs",))
    hits, total = papers.search("capsule diffusion", limit=10, filters=filters)
    assert {h.key for h in hits} == {"p2", "p4"} and total == 2
    assert papers.search("", limit=10, filters=filters) == ([], 0)


def test_date_filter_bounds_are_inclusive_utc_days(papers: backend.SearchIndex) -> None:
    def found(first: date | None, last: date | None) -> set[str]:
        filters = backend.KeywordFilters(published_from=first, published_to=last)
        return _found(papers, "diffusion transform* capsule", filters=filters)

    jan = [date(2024, 1, day) for day in range(1, 5)]
    assert found(jan[0], jan[0]) == {"p1"}  # 23:59:59 on the last day is in
    assert found(jan[1], jan[1]) == {"p2"}  # 00:00:00 on the first day is in
    assert found(jan[1], None) == {"p2", "p3"}
    assert found(None, jan[1]) == {"p1", "p2"}
    assert found(jan[2], jan[3]) == {"p3"}
    assert found(jan[3], jan[0]) == set()  # from after to
    # Without a published date, p4 is out whenever a date filter is set.
    assert found(date.min, date.max) == {"p1", "p2", "p3"}
    assert found(None, date.max) == {"p1", "p2", "p3"}
    assert found(date(1000, 1, 1), None) == {"p1", "p2", "p3"}
    assert found(date(3000, 1, 1), None) == set()
    assert found(None, date(1000, 1, 1)) == set()


def test_date_filter_takes_datetimes_by_their_day(papers: backend.SearchIndex) -> None:
    noon = datetime(2024, 1, 2, 12, 0, tzinfo=UTC)
    filters = backend.KeywordFilters(published_from=noon, published_to=noon)
    assert _found(papers, "diffusion", filters=filters) == {"p2"}


def test_filters_combine_with_each_other_and_exclusions(papers: backend.SearchIndex) -> None:
    filters = backend.KeywordFilters(
        categories=("cs",), published_from=date(2024, 1, 1), published_to=date(2024, 1, 2)
    )
    assert _found(papers, "transform*", filters=filters) == {"p1", "p2"}
    hits, total = papers.search("transform*", limit=10, filters=filters, exclude_keys=["p1"])
    assert [h.key for h in hits] == ["p2"] and total == 1
    _, count_only = papers.search("transform*", limit=0, filters=filters)
    assert count_only == 2


def test_filters_do_not_change_scores(papers: backend.SearchIndex) -> None:
    plain = dict((h.key, h.score) for h in papers.search("diffusion", limit=10)[0])
    filters = backend.KeywordFilters(categories=("cs.LG",), published_to=date(2030, 1, 1))
    filtered = dict(
        (h.key, h.score) for h in papers.search("diffusion", limit=10, filters=filters)[0]
    )
    assert filtered == {"p2": pytest.approx(plain["p2"])}


def test_module_search_takes_filters(settings, tmp_path: Path) -> None:
    settings.SEARCH_INDEX_DIR = tmp_path / "default"
    with backend.get_index().writer() as writer:
        for fields in PAPERS:
            writer.upsert(fields)
        writer.commit()
    hits, total = backend.search(
        "diffusion", limit=5, filters=backend.KeywordFilters(categories=("math",))
    )
    assert [h.key for h in hits] == ["p4"] and total == 1


def test_archive_of() -> None:
    assert backend.archive_of("cs.LG") == "cs"
    assert backend.archive_of("hep-th") == "hep-th"
    assert backend.archive_of("math-ph") == "math-ph"


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.text(max_size=60)
    | st.lists(
        st.sampled_from(['"', "*", ":", "title:", "au:", "x*", "ab*", "-", "(", "\\", " ", "é"]),
        max_size=20,
    ).map("".join),
    categories=st.lists(st.text(max_size=8), max_size=3).map(tuple),
    first=st.none() | st.dates(),
    last=st.none() | st.dates(),
)
def test_nothing_raises_on_odd_input(
    papers: backend.SearchIndex,
    query: str,
    categories: tuple[str, ...],
    first: date | None,
    last: date | None,
) -> None:
    filters = backend.KeywordFilters(categories, first, last)
    hits, total = papers.search(query, limit=3, filters=filters, exclude_keys=[query])
    assert total >= len(hits)
    assert isinstance(backend.query_terms(query), list)
