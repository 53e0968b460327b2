"""Author-string splitting: hand-written cases and agreement with Kaggle's ``authors_parsed``."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papertrend.papers.authors import AuthorName, parse_name, split_authors
from papertrend.papers.text import tex_to_text


def keynames(s: str) -> list[str]:
    return [a.keyname for a in split_authors(s)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Ileana Streinu and Louis Theran", ["Streinu", "Theran"]),
        ("A. Smith, B. Jones, and C. Brown", ["Smith", "Jones", "Brown"]),
        ("A. Smith, B. Jones and C. Brown", ["Smith", "Jones", "Brown"]),
        ("A. Smith; B. Jones & C. Brown", ["Smith", "Jones", "Brown"]),
        ("Paul Harvey, Nicholas\n  Chapman, Philip C. Myers", ["Harvey", "Chapman", "Myers"]),
        ("C. Bal\\'azs, E. L. Berger", ["Bal\\'azs", "Berger"]),
        ('G\\"unter Ziegler and {\\O}ystein Ore', ["Ziegler", "Ore"]),
        ("Mikkel {\\O}bro", ["{\\O}bro"]),
        ("The BABAR Collaboration, B. Aubert, et al", ["The BABAR Collaboration", "Aubert"]),
        ("ATLAS Collaboration", ["ATLAS Collaboration"]),
        ("Sudha, A. V. Gopala Rao", ["Sudha", "Rao"]),
        ("J.P.Hague and N.d'Ambrumenil", ["Hague", "d'Ambrumenil"]),
        ("Floris van der Tak (SRON), Ewine van Dishoeck", ["van der Tak", "van Dishoeck"]),
        ("Paolo Di Vecchia, M. Lopez de Haro", ["Di Vecchia", "de Haro"]),
        ("Juan de la Fuente", ["de la Fuente"]),
        ("Smith, {Jones, Bob} and C. Brown", ["Smith", "{Jones, Bob}", "Brown"]),
        ("", []),
        ("  ,, and ", []),
        (")) ((", []),
    ],
)
def test_split_keynames(line: str, expected: list[str]) -> None:
    assert keynames(line) == expected


def test_forenames_and_suffixes() -> None:
    assert split_authors("Neal J. Evans II, J. Richard Gott III") == [
        AuthorName("Evans", "Neal J.", "II"),
        AuthorName("Gott", "J. Richard", "III"),
    ]
    # A suffix split off by a comma goes back to its author.
    assert split_authors("James C. Lombardi, Jr., Frederic A. Rasio, and Stuart L. Shapiro") == [
        AuthorName("Lombardi", "James C.", "Jr."),
        AuthorName("Rasio", "Frederic A."),
        AuthorName("Shapiro", "Stuart L."),
    ]


def test_affiliations_in_parentheses() -> None:
    assert split_authors("J. Doe (MIT), R. Roe (CERN, Geneva)") == [
        AuthorName("Doe", "J.", affiliation="MIT"),
        AuthorName("Roe", "R.", affiliation="CERN, Geneva"),
    ]
    # An affiliation after several names belongs to all of them (arXiv's convention).
    both = split_authors("G. Dereli and B. Sungu (Yildiz Tech. Univ., Istanbul)")
    assert [a.affiliation for a in both] == ["Yildiz Tech. Univ., Istanbul"] * 2


def test_numbered_affiliations() -> None:
    assert split_authors("A. One (1), B. Two (2) ((1) MIT, (2) CERN)") == [
        AuthorName("One", "A.", affiliation="MIT"),
        AuthorName("Two", "B.", affiliation="CERN"),
    ]
    line = (
        "A. S. Mishchenko (1 and 2) and N. Nagaosa (1 and 3) ((1) CREST, Japan\n"
        "  Science and Technology Agency, (2) Russian Research Centre, (3) The University of Tokyo)"
    )
    first, second = split_authors(line)
    assert first.keyname == "Mishchenko"
    assert first.affiliation == (
        "CREST, Japan Science and Technology Agency; Russian Research Centre"
    )
    assert (
        second.affiliation == "CREST, Japan Science and Technology Agency; The University of Tokyo"
    )
    # The list without its outer parentheses, straight after the last author's number.
    bare = split_authors("F. Combes (1), T. Wiklind (2) (1) Paris Observatory, (2) Onsala")
    assert [(a.keyname, a.affiliation) for a in bare] == [
        ("Combes", "Paris Observatory"),
        ("Wiklind", "Onsala"),
    ]


def test_collaborations() -> None:
    assert split_authors("Teresa Maria Montaruli for the IceCube Collaboration") == [
        AuthorName("Montaruli", "Teresa Maria"),
        AuthorName("IceCube Collaboration"),
    ]
    assert keynames("F.A. Aharonian and G. Heinzelmann: for the HEGRA collaboration") == [
        "Aharonian",
        "Heinzelmann",
        "HEGRA collaboration",
    ]
    assert keynames("Mark Scott for the NuPRISM and Hyper-K collaborations") == [
        "Scott",
        "NuPRISM and Hyper-K collaborations",
    ]
    assert keynames("J. Adams, et al. (KTeV Collaboration)") == ["Adams", "KTeV Collaboration"]
    assert keynames("Rene A. Ong (Chicago) and the STACEE Collaboration") == [
        "Ong",
        "STACEE Collaboration",
    ]


def test_tex_source_is_kept() -> None:
    (author,) = split_authors("Rastislav \\v{S}r\\'amek")
    assert author == AuthorName("\\v{S}r\\'amek", "Rastislav")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ileana Streinu", AuthorName("Streinu", "Ileana")),
        ("A.O.Barvinsky", AuthorName("Barvinsky", "A. O.")),
        ("C.-P. Yuan", AuthorName("Yuan", "C.-P.")),
        ("Robert P. C. de Marrais", AuthorName("de Marrais", "Robert P. C.")),
        ("Hongjun", AuthorName("Hongjun")),
        ("Raymond E. White III", AuthorName("White", "Raymond E.", "III")),
        ("Pierre Le Roux", AuthorName("Roux", "Pierre Le")),  # capitalised "Le" is a name
        ("CMS Collaboration", AuthorName("CMS Collaboration")),
        ("  ", AuthorName("")),
    ],
)
def test_parse_name(name: str, expected: AuthorName) -> None:
    assert parse_name(name) == expected


@given(st.text(max_size=300))
def test_never_raises(line: str) -> None:
    for author in split_authors(line):
        assert author.keyname.strip() == author.keyname
        assert author.keyname


def _plain(s: str) -> str:
    return unicodedata.normalize("NFC", tex_to_text(s))


@pytest.mark.shared_data
def test_agrees_with_kaggle_authors_parsed(shared_data: Path) -> None:
    """Same number of authors and same keynames as arXiv's own parse, on all 200 records."""
    lines = (shared_data / "arxiv" / "kaggle-snapshot-head.jsonl").read_text().splitlines()
    agree = 0
    for line in lines:
        record = json.loads(line)
        expected = [_plain(parsed[0]) for parsed in record["authors_parsed"]]
        got = [_plain(author.keyname) for author in split_authors(record["authors"])]
        agree += got == expected
    assert len(lines) == 200
    assert agree == 200


@pytest.mark.shared_data
def test_real_abs_author_lines(shared_data: Path) -> None:
    """Every Authors: line of the .abs corpus splits into clean, non-empty keynames."""
    header = re.compile(r"^Authors:(.*(?:\n[ \t].*)*)", re.MULTILINE)
    lines = []
    for path in sorted((shared_data / "arxiv" / "abs").rglob("*.abs")):
        m = header.search(path.read_text(errors="replace"))
        if m:
            lines.append(m.group(1))
    assert len(lines) > 1000
    authors = [author for line in lines for author in split_authors(line)]
    assert len(authors) > 4 * len(lines)
    assert all(a.keyname and "(" not in a.keyname and ")" not in a.keyname for a in authors)
