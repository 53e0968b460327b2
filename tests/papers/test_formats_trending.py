"""Trending-page parser: the real 62-paper page and hand-written pages."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from papertrend.papers.formats import trending
from papertrend.papers.records import TRENDING_PAGE, PaperRecord, RecordError

ABSTRACT = (
    "We propose a method. It works well on many benchmarks. "
    "Extensive experiments show that the approach is robust and fast, and code is released."
)


def _papers(results: list[PaperRecord | RecordError]) -> list[PaperRecord]:
    return [r for r in results if isinstance(r, PaperRecord)]


def test_real_page(shared_data: Path) -> None:
    path = shared_data / "trending-page" / "trending-page.txt"
    results = list(trending.parse(path))
    assert [r for r in results if isinstance(r, RecordError)] == []
    papers = _papers(results)
    assert len(papers) == 62
    first = papers[0]
    assert first.title == "Learning to Actively Learn: A Robust Approach"
    assert first.arxiv_id is None
    assert first.source_format == TRENDING_PAGE
    assert first.locator == f"{path} paper 1 (line 11)"
    assert first.abstract.startswith("This work proposes a procedure for designing algorithms")
    assert papers[1].title == "General-Purpose In-Context Learning by Meta-Learning Transformers"
    assert papers[-1].title.startswith("Model soups: averaging weights of multiple fine-tuned")
    assert papers[-1].locator == f"{path} paper 62 (line 255)"
    titles = {p.title for p in papers}
    assert "sharpDARTS: Faster and More Accurate Differentiable Architecture Search" in titles
    assert "What's in a Prior? Learned Proximal Networks for Inverse Problems" in titles
    assert all(len(p.abstract) > 1000 for p in papers)
    assert all(len(p.title) < 200 for p in papers)
    saved = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()
    expected_year = saved.year if date(saved.year, 3, 14) <= saved else saved.year - 1
    assert {p.announced for p in papers} == {date(expected_year, 3, 14)}


def test_chrome_crlf_whitespace_and_year_resolution(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_bytes(
        (
            "new\r\n\r\nGet trending papers in your email inbox!\r\n\r\nSubscribe  \r\n\r\n"
            "byAK and the research community\r\n\r\nDec 30\r\n\r\n"
            f"  First Paper: A Title   \r\n\r\n{ABSTRACT}  \r\n\r\n"
            f"Second Paper\r\n\r\n{ABSTRACT}\r\n"
        ).encode()
    )
    saved = datetime(2024, 3, 1, tzinfo=UTC).timestamp()
    os.utime(page, (saved, saved))
    papers = _papers(list(trending.parse(page)))
    assert [p.title for p in papers] == ["First Paper: A Title", "Second Paper"]
    assert papers[0].abstract == ABSTRACT
    assert papers[0].locator == f"{page} paper 1 (line 11)"
    assert {p.announced for p in papers} == {date(2023, 12, 30)}  # not after the save


def test_malformed_paragraphs_in_the_middle(tmp_path: Path) -> None:
    text = "\n\n".join(
        [
            "Paper One",
            ABSTRACT,
            "Paper Without Abstract",
            "Paper Three",
            ABSTRACT,
            "A second paragraph of paper three's abstract. It reads as prose, with several "
            "sentences. It ends with a full stop. Plainly so, here now.",
        ]
    )
    results = list(trending.parse_text(text, "page", date(2024, 1, 1)))
    assert [(r.title, bool(r.abstract)) for r in _papers(results)] == [
        ("Paper One", True),
        ("Paper Without Abstract", False),
        ("Paper Three", True),
    ]
    assert _papers(results)[2].abstract.endswith("Plainly so, here now.")
    assert _papers(results)[2].locator == "page paper 3 (line 7)"


def test_orphan_abstract_is_an_error_and_parsing_goes_on() -> None:
    text = "\n\n".join([ABSTRACT, "Paper Two", ABSTRACT])
    results = list(trending.parse_text(text, "page", date(2024, 1, 1)))
    assert isinstance(results[0], RecordError)
    assert results[0].locator == "page line 1"
    assert [p.title for p in _papers(results)] == ["Paper Two"]
    assert _papers(results)[0].announced is None


@pytest.mark.parametrize(
    ("line", "saved", "expected"),
    [
        ("Mar 14", date(2024, 3, 14), date(2024, 3, 14)),
        ("Mar 15", date(2024, 3, 14), date(2023, 3, 15)),
        ("Feb 29", date(2023, 6, 1), date(2020, 2, 29)),
        ("March 3, 2021", date(2024, 1, 1), date(2021, 3, 3)),
    ],
)
def test_date_lines(line: str, saved: date, expected: date) -> None:
    (paper,) = trending.parse_text(f"{line}\n\nA Title\n\n{ABSTRACT}\n", "page", saved)
    assert isinstance(paper, PaperRecord)
    assert paper.announced == expected


def test_short_abstracts_stay_with_their_titles() -> None:
    """Short abstracts (one sentence, two short ones, one long sentence) are abstracts,
    not titles of junk papers of their own; a question-mark title is still a title."""
    one_sentence = "We release a dataset."
    two_short = "We study X. It helps."
    long_sentence = (
        "We introduce a simple recipe for adapting pretrained vision transformers to dense "
        "prediction tasks with a small number of extra parameters per layer."
    )
    text = "\n\n".join(
        [
            "Mar 14",
            "Tiny Data",
            one_sentence,
            "Is Attention All You Need?",
            two_short,
            "Adapters for Dense Prediction",
            long_sentence,
            "Code and models are public.",  # a short second paragraph of that abstract
            "A Paper Without Abstract",
            "Last Paper",
            ABSTRACT,
        ]
    )
    results = list(trending.parse_text(text, "page", date(2024, 3, 20)))
    assert [r for r in results if isinstance(r, RecordError)] == []
    assert [(p.title, p.abstract) for p in _papers(results)] == [
        ("Tiny Data", one_sentence),
        ("Is Attention All You Need?", two_short),
        ("Adapters for Dense Prediction", f"{long_sentence} Code and models are public."),
        ("A Paper Without Abstract", ""),
        ("Last Paper", ABSTRACT),
    ]
    assert {p.announced for p in _papers(results)} == {date(2024, 3, 14)}
