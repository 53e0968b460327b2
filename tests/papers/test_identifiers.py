"""arXiv identifier parsing and normalization: new style, old style, versions, invalid."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papertrend.papers import identifiers
from papertrend.papers.identifiers import ArxivId, InvalidArxivId


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0704.0001", ArxivId("0704.0001")),
        ("1412.6980", ArxivId("1412.6980")),
        ("2101.00001", ArxivId("2101.00001")),
        ("2101.00001v2", ArxivId("2101.00001", 2)),
        ("arXiv:1706.03762v7", ArxivId("1706.03762", 7)),
        ("  2101.00001  ", ArxivId("2101.00001")),
        ("https://arxiv.org/abs/1706.03762v7", ArxivId("1706.03762", 7)),
        ("http://export.arxiv.org/abs/2104.12255v1", ArxivId("2104.12255", 1)),
        ("https://arxiv.org/pdf/2101.00001v1.pdf", ArxivId("2101.00001", 1)),
        ("https://www.arxiv.org/pdf/2101.00001", ArxivId("2101.00001")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v3", ArxivId("hep-th/9901001", 3)),
        ("math.GT/0309136", ArxivId("math/0309136")),
        ("oai:arXiv.org:quant-ph/9501001", ArxivId("quant-ph/9501001")),
        ("oai:arXiv.org:0704.0002", ArxivId("0704.0002")),
        ("https://arxiv.org/abs/astro-ph/0601001", ArxivId("astro-ph/0601001")),
        ("cond-mat.str-el/0601001", ArxivId("cond-mat/0601001")),
    ],
)
def test_parse(raw, expected):
    if expected is None:
        with pytest.raises(InvalidArxivId):
            identifiers.parse(raw)
    else:
        assert identifiers.parse(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "abc",
        "0000.0000",  # month 00
        "0713.0001",  # month 13
        "2101.0001",  # four digits after 2015
        "1412.00001",  # five digits before 2015
        "2101.00001v",  # empty version
        "hep-th/990100",  # six digits
        "HEP-TH/9901001",  # archives are lower case
        "https://example.org/abs/2101.00001",
        "2101.00001; DROP TABLE",
    ],
)
def test_invalid(raw):
    with pytest.raises(InvalidArxivId):
        identifiers.parse(raw)
    assert not identifiers.is_valid(raw)


def test_normalize_drops_version_and_prefixes():
    assert identifiers.normalize("arXiv:2101.00001v3") == "2101.00001"
    assert identifiers.normalize("hep-th/9901001v2") == "hep-th/9901001"


# Every form of an arXiv link or id people paste (issue 15, item 10), with the id it names.
LINK_FORMS = [
    ("https://arxiv.org/abs/arXiv:astro-ph/0112020", ArxivId("astro-ph/0112020")),
    ("https://arxiv.org/abs/astro-ph/0112020?context=astro-ph", ArxivId("astro-ph/0112020")),
    ("https://arxiv.org/abs/2101.00001?context=cs", ArxivId("2101.00001")),
    ("https://arxiv.org/abs/2101.00001v2?context=cs.LG#S2", ArxivId("2101.00001", 2)),
    ("https://arxiv.org/abs/2101.00001#section", ArxivId("2101.00001")),
    ("https://arxiv.org/pdf/2101.00001v2.pdf", ArxivId("2101.00001", 2)),
    ("https://arxiv.org/pdf/2101.00001v2.pdf?download=1", ArxivId("2101.00001", 2)),
    ("https://arxiv.org/pdf/2101.00001.pdf", ArxivId("2101.00001")),
    ("https://arxiv.org/pdf/2101.00001v2", ArxivId("2101.00001", 2)),
    ("https://arxiv.org/pdf/astro-ph/0112020v1", ArxivId("astro-ph/0112020", 1)),
    ("https://arxiv.org/html/2101.00001v2", ArxivId("2101.00001", 2)),
    ("https://arxiv.org/html/2101.00001v2/", ArxivId("2101.00001", 2)),
    ("https://arxiv.org/html/2101.00001v2#S3", ArxivId("2101.00001", 2)),
    ("https://arxiv.org/html/2101.00001v2/index.html", ArxivId("2101.00001", 2)),
    ("https://www.arxiv.org/abs/2101.00001", ArxivId("2101.00001")),
    ("http://www.arxiv.org/abs/2101.00001v3", ArxivId("2101.00001", 3)),
    ("https://export.arxiv.org/abs/2101.00001", ArxivId("2101.00001")),
    ("https://browse.arxiv.org/abs/2101.00001", ArxivId("2101.00001")),
    ("https://arxiv.org/format/2101.00001", ArxivId("2101.00001")),
    ("arxiv.org/abs/2101.00001v3", ArxivId("2101.00001", 3)),
    ("www.arxiv.org/pdf/2101.00001", ArxivId("2101.00001")),
    ("https://arxiv.org/abs/2101.00001/", ArxivId("2101.00001")),
    ("  HTTPS://ARXIV.ORG/ABS/2101.00001  ", ArxivId("2101.00001")),
    ("<https://arxiv.org/abs/2101.00001>", ArxivId("2101.00001")),
    ("https://arxiv.org/abs/2101.00001.", ArxivId("2101.00001")),
    ("https://arxiv.org/abs/math.GT/0309136v1", ArxivId("math/0309136", 1)),
    ("arXiv:2101.00001v2", ArxivId("2101.00001", 2)),
    ("ARXIV:2101.00001", ArxivId("2101.00001")),
    ("arXiv: astro-ph/0112020", ArxivId("astro-ph/0112020")),
    ("10.48550/arXiv.2101.00001", ArxivId("2101.00001")),
    ("https://doi.org/10.48550/arXiv.2101.00001", ArxivId("2101.00001")),
]


@pytest.mark.parametrize(("raw", "expected"), LINK_FORMS)
def test_every_link_form(raw, expected):
    assert identifiers.parse(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "https://alphaxiv.org/abs/2101.00001",
        "https://arxiv.org.example.com/abs/2101.00001",
        "https://example.com/arxiv.org/abs/2101.00001",
        "ftp://arxiv.org/abs/2101.00001",
        "https://arxiv.org/abs/2101.000011",
        "https://arxiv.org/abs/2101.00001/extra",
        "https://arxiv.org/list/cs.LG/recent",
        "https://arxiv.org/abs/",
        "http://[::1/abs/2101.00001",
    ],
)
def test_other_links_are_not_ids(raw):
    assert not identifiers.is_valid(raw)


def test_str_round_trips():
    assert str(identifiers.parse("2101.00001v2")) == "2101.00001v2"
    assert str(identifiers.parse("hep-th/9901001")) == "hep-th/9901001"
    assert identifiers.parse("hep-th/9901001").is_old_style


def test_urls():
    assert identifiers.abs_url("hep-th/9901001") == "https://arxiv.org/abs/hep-th/9901001"
    assert identifiers.pdf_url("2101.00001", 2) == "https://arxiv.org/pdf/2101.00001v2"


@given(st.text(max_size=60))
def test_parse_never_raises_anything_but_invalid(raw):
    try:
        parsed = identifiers.parse(raw)
    except InvalidArxivId:
        return
    assert identifiers.parse(str(parsed)) == parsed
