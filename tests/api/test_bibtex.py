"""BibTeX: escaping of untrusted TeX, names, keys, round trips through bibtexparser, endpoints."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import bibtexparser
import pytest
from django.test import Client

from papertrend.api.bibtex import base_key, entries, paper_entry, tex_field
from papertrend.papers import formats
from papertrend.papers.ingest import ingest_records
from papertrend.papers.models import Paper
from papertrend.papers.text import fold_whitespace, tex_to_text
from papertrend.search import indexing
from papertrend.search.models import enqueue

pytestmark = pytest.mark.django_db

TEX_TITLES = [
    "Fast $O(n^2)$ sorting for BERT and ImageNet",
    "50% & more_{x}: a {braces} study",
    "Unbalanced { brace and } another } and a lone $ dollar",
    "Specials # ~ \\ and \\% and \\&, {nested {groups}}",
    'Schr\\"odinger bridges in 3D',
]
TEX_AUTHORS = [
    {"keyname": "Bal\\'azs", "forenames": "J\\'anos"},
    {"keyname": "Smith", "forenames": "John", "suffix": "Jr"},
    {"keyname": "ATLAS Collaboration", "forenames": ""},
    {"keyname": "Rock and Roll", "forenames": "Ann, B."},
    {"keyname": "M\u00fcller", "forenames": "Zo\u00eb"},
]


def make(key: str, title: str, **extra: Any) -> Paper:
    fields: dict[str, Any] = {
        "arxiv_id": key,
        "title_key": key,
        "authors": TEX_AUTHORS,
        "categories": ["cs.LG", "stat.ML"],
        "primary_category": "cs.LG",
        "published": datetime(2025, 3, 14, 9, 0, tzinfo=UTC),
        "feed_day": date(2025, 3, 14),
    }
    fields.update(extra)
    paper = Paper.objects.create(key=key, title=title, **fields)
    enqueue([key])
    return paper


def normalized(tex: str) -> str:
    """TeX to comparable text: plain text without braces and dollars, spacing folded.

    Braces only group; an unclosed ``$`` is dropped by ``tex_to_text`` but kept as a
    literal ``\\$`` in BibTeX, so dollars are left out of the comparison.
    """
    text = tex_to_text(tex)
    return fold_whitespace(text.replace("{", "").replace("}", "").replace("$", ""))


def parse(text: str) -> bibtexparser.Library:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return library


def braces_balanced(value: str) -> bool:
    depth = 0
    for ch in value:  # BibTeX counts every brace, escaped or not
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        ("50% & more_{x}", "50\\% \\& more\\_{x}"),
        ("$O(n^2)$ with a_b^c", "$O(n^2)$ with a\\_b\\^{}c"),
        ("a } b {c", "a \\textbraceright{} b \\textbraceleft{}c"),
        ("lone $ and #1", "lone \\$ and \\#1"),
        ("trailing \\", "trailing \\textbackslash{}"),
        ("Bal\\'azs \\% \\{x\\}", "Bal\\'azs \\% \\{x\\}"),
        ("ctrl\x00\x0bchars", "ctrl chars"),
        ("\\{ unmatched", "\\textbraceleft{} unmatched"),
    ],
)
def test_tex_field_escapes(tex: str, expected: str) -> None:
    assert tex_field(tex) == expected
    assert braces_balanced(tex_field(tex))


def test_title_case_protection() -> None:
    assert tex_field("Deep BERT for ImageNet and GPT-4 in 3D", protect_case=True) == (
        "Deep {BERT} for {ImageNet} and {GPT-4} in {3D}"
    )
    # Inside math and inside existing groups nothing is added.
    assert tex_field("$\\mathcal{O}(N)$ {LaTeX}", protect_case=True) == "$\\mathcal{O}(N)$ {LaTeX}"


def test_paper_entry_fields() -> None:
    paper = make(
        "2503.01234", "A {GAN} study", doi="10.1000/a_b%c d", journal_ref="Phys. Rev. D 76 & 5"
    )
    entry = paper_entry(paper)
    assert entry.startswith("@article{Balazs2025Gan,\n")
    library = parse(entry)
    fields = {f.key: f.value for f in library.entries[0].fields}
    assert fields["author"] == (
        "Bal\\'azs, J\\'anos and Smith, Jr, John and {ATLAS Collaboration} and "
        "{Rock and Roll}, {Ann, B.} and M\u00fcller, Zo\u00eb"
    )
    assert fields["journal"] == "Phys. Rev. D 76 \\& 5"
    assert fields["year"] == "2025"
    assert fields["month"] == "mar"
    assert fields["eprint"] == "2503.01234"
    assert fields["archivePrefix"] == "arXiv"
    assert fields["primaryClass"] == "cs.LG"
    assert fields["doi"] == "10.1000/a_bcd"
    assert fields["url"] == "https://arxiv.org/abs/2503.01234"


def test_misc_without_journal_and_site_url_without_arxiv_id(settings: Any) -> None:
    settings.SITE_URL = "https://papertrend.example"
    # Known only by title from a trending page listed on 14 Mar 2025 (make's feed_day):
    # that day is not the paper's year, so the year is "unknown" and the key has none.
    paper = make("t:abc", "Only a title", arxiv_id=None, authors=[], published=None)
    entry = paper_entry(paper)
    assert entry.startswith("@misc{AnonymousOnly,\n")
    fields = {f.key: f.value for f in parse(entry).entries[0].fields}
    assert "eprint" not in fields and "author" not in fields
    assert fields["year"] == "unknown"
    assert "month" not in fields
    assert fields["url"] == "https://papertrend.example/papers/t:abc"


def test_year_of_an_arxiv_paper_without_a_submission_date_is_its_listing_year() -> None:
    paper = make("2503.00042", "Listed only", published=None, feed_day=date(2025, 4, 2))
    fields = {f.key: f.value for f in parse(paper_entry(paper)).entries[0].fields}
    assert (fields["year"], fields["month"]) == ("2025", "apr")


def test_keys_are_unique_within_a_list() -> None:
    papers = [make(f"2503.0000{i}", "Deep learning again") for i in range(4)]
    library = parse(entries(papers))
    assert [e.key for e in library.entries] == [
        "Balazs2025Deep",
        "Balazs2025Deepb",
        "Balazs2025Deepc",
        "Balazs2025Deepd",
    ]
    assert base_key(papers[0]) == "Balazs2025Deep"


def test_real_trending_page_and_tex_heavy_papers_round_trip(shared_data: Path) -> None:
    path = shared_data / "trending-page" / "trending-page.txt"
    summary = ingest_records(formats.iter_records([path]))
    real = list(Paper.objects.order_by("id"))
    assert len(real) == 62, summary
    tex = [make(f"2503.1000{i}", title) for i, title in enumerate(TEX_TITLES)]
    papers = real + tex
    text = entries(papers)
    library = parse(text)
    assert len(library.entries) == len(papers) == 67
    assert len({e.key for e in library.entries}) == 67
    for paper, entry in zip(papers, library.entries, strict=True):
        fields = {f.key: f.value for f in entry.fields}
        assert braces_balanced(fields["title"])
        assert normalized(fields["title"]) == normalized(paper.title), paper.title
        authors = fields.get("author", "")
        expected = [
            normalized(f"{a['keyname']} {a.get('suffix', '')} {a['forenames']}".replace(",", " "))
            for a in paper.authors
        ]
        got = [normalized(name.replace(",", " ")) for name in _split_authors(authors)]
        assert got == expected, paper.title
        # The page's date is when it listed the paper, not when the paper was written.
        assert fields["year"] == ("unknown" if paper.arxiv_id is None else "2025"), paper.title


def _split_authors(field: str) -> list[str]:
    """Split on `` and `` at brace depth 0, as BibTeX does."""
    names, depth, current = [], 0, ""
    i = 0
    while i < len(field):
        ch = field[i]
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0 and field.startswith(" and ", i):
            names.append(current)
            current, i = "", i + 5
            continue
        current += ch
        i += 1
    return [*names, current] if field else []


def test_endpoints(client: Client) -> None:
    make("2503.00001", "Sorting with $O(n)$ memory")
    make("2503.00002", "Hidden sorting", hidden=True)
    make("hep-th/9901001", "Old strings", feed_day=date(2025, 3, 10))
    indexing.sync()
    for url in (
        "/export/bibtex/paper/2503.00001",
        "/export/bibtex/paper/arXiv:2503.00001v3",
        "/export/bibtex/paper/https://arxiv.org/abs/2503.00001",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "text/x-bibtex; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="2503.00001.bib"'
        assert [e["eprint"] for e in parse(response.text).entries] == ["2503.00001"]
    old = client.get("/export/bibtex/paper/hep-th/9901001")
    assert old["Content-Disposition"] == 'attachment; filename="hep-th_9901001.bib"'
    for url in ("/export/bibtex/paper/2503.00002", "/export/bibtex/paper/nonsense"):
        assert client.get(url).status_code == 404
    search = client.get("/export/bibtex/search?q=sorting")
    assert [e["eprint"] for e in parse(search.text).entries] == ["2503.00001"]
    assert parse(client.get("/export/bibtex/search").text).entries == []
    day = client.get("/export/bibtex/date/2025-03-14")
    assert day["Content-Disposition"] == 'attachment; filename="papertrend-2025-03-14.bib"'
    assert [e["eprint"] for e in parse(day.text).entries] == ["2503.00001"]
    week = parse(client.get("/export/bibtex/week/2025-W11").text)
    assert sorted(e["eprint"] for e in week.entries) == ["2503.00001", "hep-th/9901001"]
    assert len(parse(client.get("/export/bibtex/month/2025-03").text).entries) == 2
    for url in (
        "/export/bibtex/date/2025-02-30",
        "/export/bibtex/week/2025-W54",
        "/export/bibtex/month/2025-3",
    ):
        assert client.get(url).status_code == 404
