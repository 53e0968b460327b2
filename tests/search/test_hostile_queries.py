"""Hostile text against every way into search: the index, the page, the JSON API.

Whatever is typed (query syntax, SQL, markup, odd Unicode, huge strings) and
whatever the other parameters hold, nothing answers 5xx: the page answers 200
with the query escaped, the API 200 or, for parameters it rejects, 400/422.
An address longer than ``middleware.MAX_URL_BYTES`` gets 414: the site's own
page, and the API's JSON error shape (issue 15, item 9).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.utils.http import urlencode

from papertrend.middleware import MAX_URL_BYTES
from papertrend.search import backend, indexing

from .conftest import MakePaper

QUERIES: dict[str, str] = {
    "unbalanced-open": '"attention is',
    "unbalanced-close": 'attention is"',
    "quote": '"',
    "two-quotes": '""',
    "three-quotes": '"""',
    "quote-soup": '"a""b" "c',
    "booleans": "AND OR NOT",
    "booleans-words": "attention AND NOT graph OR (quantum)",
    "operators": "+-~^*:()[]{}",
    "operators-spaced": "+ - ~ ^ * : ( ) [ ] { }",
    "lucene-syntax": 'title:[a TO z] AND abstract:{* TO *} foo^3 bar~2 "x y"~5',
    "regex-like": "/.*/ [a-z]+ (?i) \\d{3} $ ^",
    "title-empty": "title:",
    "author-quote": 'author:"',
    "author-empty-phrase": 'author:""',
    "field-prefixes-empty": "title: author: abstract: au: ti: abs: all:",
    "field-colons": "title:::: au:: :: :",
    "field-prefix-star": "title:* au:a* abs:**",
    "star": "*",
    "stars": "** *** ****",
    "a-star": "a*",
    "short-prefixes": "a* b* ab* xy*z*",
    "backslash": "\\",
    "backslashes": '\\\\ \\" \\*',
    "percent": "%",
    "underscore": "_",
    "like-wildcards": "%_% _% %attention%",
    "sql-drop": "'; DROP TABLE papers_paper; --",
    "sql-or": "1' OR '1'='1",
    "sql-union": "x' UNION SELECT password FROM auth_user --",
    "sql-comment": "/* */ -- ; ;;",
    "script": "<script>alert('q')</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "template": "{{ settings.SECRET_KEY }} {% debug %}",
    "rtl": "\u202eattention\u202c \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "emoji": "🙂🔥 transformers 👩‍🔬 🏳️‍🌈",
    "combining": "e\u0301\u0301\u0301 a\u0300\u0316 Z\u0351\u036b\u0343\u036a",
    "zero-width": "atten\u200btion \u200c\u200d\ufeff \u2060",
    "nul": "\x00",
    "nul-inside": "atten\x00tion \x00graph",
    "controls": "\x01\x02\x07\x1b[31m\x7f\r\n\t",
    "replacement-chars": "\ufffd\ufffd \ufffe \uffff",
    "surrogate-like": "\\ud800 &#xd800; %ED%A0%80",
    "cjk": "北京大学 量子 計算 トランスフォーマー 한국어",
    "ligature-fullwidth": "\ufb01ne \uff21\uff34\uff34\uff25\uff2e\uff34\uff29\uff2f\uff2e",
    "arxiv-ish": "arXiv:2401.00001 https://arxiv.org/abs/../../etc/passwd",
    "10kB": "attention " * 1000,
    "100kB": "x" * 100_000,
    "100kB-words": "graph networks " * 6_700,
    "1000-words": " ".join(f"word{i}" for i in range(1000)),
    "1000-quotes": '"' * 1000,
    "1000-phrases": '"a b" ' * 1000,
    "1000-prefixes": "ab* " * 1000,
    "1000-fields": "title:x " * 1000,
    "whitespace": " \t\n\r\x0b\x0c\u00a0\u2003",
}

# Lone surrogates cannot travel in a URL; the index gets them directly.
BACKEND_ONLY = {"lone-surrogates": "\ud800 attention \udfff\ud83d"}

# Raw query strings, sent as they are: invalid UTF-8 and encoded surrogates.
RAW_QUERY_STRINGS = [
    "q=%FF%FE%FD",
    "q=%ED%A0%80attention",
    "q=%C0%AF",
    "q=%00",
    "q=%",
    "q=%zz",
    "q=a&q=b",
    "q",
    "q=attention&mode=%FF&sort=%00&category=%ED%A0%80&from=%FF&to=%00&has_code=%FF",
]

PARAMETERS: dict[str, list[str]] = {
    "mode": ["hybrid", "keyword", "semantic", "", "HYBRID", "bm25", "<script>", "\x00", "m" * 5000],
    "sort": ["relevance", "date", "stars", "", "-stars", "date;--", "<b>", "\x00", "s" * 5000],
    "category": [
        "cs",
        "cs.LG",
        "cs.LG,math",
        "cs.LG math.PR hep-th",
        "CS.lg",
        "",
        ".",
        "..",
        "cs.",
        "<script>alert(1)</script>",
        "'; DROP TABLE papers_paper; --",
        "%",
        "_",
        "\x00",
        "cs.LG," * 200,
        "a" * 600,
    ],
    "from": [
        "2024-01-01",
        "",
        "2024-13-45",
        "2024-02-30",
        "0000-00-00",
        "0001-01-01",
        "9999-12-31",
        "-1",
        "2024-01-01T00:00:00",
        "1' OR '1'='1",
        "\x00",
        "9" * 500,
    ],
    "to": ["2024-01-02", "", "2023-01-01", "9999-12-31", "0001-01-01", "tomorrow", "\x00"],
    "has_code": ["on", "true", "1", "0", "false", "", "yes", "<script>", "\x00"],
    "page": ["1", "2", "0", "-1", "abc", "99999999999999999999", "1e9", ""],
}


def _ids(mapping: dict[str, str]) -> list[str]:
    return list(mapping)


# --- (a) the index ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> backend.SearchIndex:
    """Read only, so shared by the module's tests."""
    idx = backend.get_index(tmp_path_factory.mktemp("hostile") / "idx")
    rows = [
        ("h1", "Attention is all you need", "Transformers for graphs.", ["cs.CL"]),
        ("h2", "<script>alert(1)</script> graph networks", "Graph neural networks.", ["cs.LG"]),
        ("h3", "Quantum error correction", "Surface codes; 北京大学.", ["quant-ph"]),
    ]
    with idx.writer() as writer:
        for key, title, abstract, categories in rows:
            writer.upsert(
                {
                    "key": key,
                    "title": title,
                    "abstract": abstract,
                    "authors": ["Ada Lovelace", "Geoffrey Hinton"],
                    "categories": categories,
                    "published": datetime(2024, 1, 2, tzinfo=UTC),
                }
            )
        writer.commit()
    return idx


ALL_BACKEND = {**QUERIES, **BACKEND_ONLY}
HOSTILE_FILTERS = [
    None,
    backend.KeywordFilters(),
    backend.KeywordFilters(categories=("cs",), published_from=date(2024, 1, 2)),
    backend.KeywordFilters(categories=("", " ", "\x00", "'; --", "%", "*", "cs.*", "a" * 10_000)),
    backend.KeywordFilters(published_from=date.min, published_to=date.max),
    backend.KeywordFilters(published_from=date.max, published_to=date.min),
]


@pytest.mark.parametrize("name", _ids(ALL_BACKEND))
def test_index_never_raises(index: backend.SearchIndex, name: str) -> None:
    query = ALL_BACKEND[name]
    for filters in HOSTILE_FILTERS:
        hits, total = index.search(query, limit=10, filters=filters, exclude_keys=[query])
        assert total >= len(hits)
        assert {hit.key for hit in hits} <= {"h1", "h2", "h3"}
    assert isinstance(backend.query_terms(query), list)


def test_operators_are_ignored_and_words_still_found(index: backend.SearchIndex) -> None:
    # "attention AND NOT graph OR (quantum)": AND/OR are loose, "NOT graph" leaves out
    # the papers with "graph" (h2, and h1 through "graphs"): quantum remains (issue 15).
    hits, _ = index.search(QUERIES["booleans-words"], limit=10)
    assert {hit.key for hit in hits} == {"h3"}
    hits, _ = index.search("attention AND graph OR (quantum)", limit=10)
    assert {hit.key for hit in hits} == {"h1", "h2", "h3"}  # attention, graph, quantum
    assert index.search(QUERIES["sql-drop"], limit=10)[1] == 0  # words, matching nothing
    assert index.search(QUERIES["1000-words"], limit=10)[1] == 0


# --- (b) the search page and (c) the JSON API ----------------------------------------------


@pytest.fixture
def seeded(db: None, make_paper: MakePaper) -> None:
    make_paper("2401.00001", "<script>alert(1)</script> attention", "An abstract about graphs.")
    make_paper("2401.00002", "Graph networks", "Graph neural networks.", categories=("math.CO",))
    make_paper("2401.00003", "Quantum codes", "Surface codes.", categories=("quant-ph",))
    indexing.sync()


def _too_long(path: str, params: dict[str, str]) -> bool:
    """Whether the address the test client sends is over the site's limit."""
    return len(f"{path}?{urlencode(params)}".encode()) > MAX_URL_BYTES


def _check_page(client: Client, params: dict[str, str]) -> str:
    response = client.get("/search", params)
    too_long = _too_long("/search", params)
    assert response.status_code == (414 if too_long else 200), (params, response.status_code)
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    if too_long:  # the site's own page, saying why
        assert "<title>Address too long · papertrend</title>" in html
        assert f"up to {MAX_URL_BYTES:,} bytes" in html
    # Titles, the query and the other parameters are escaped: no markup from them.
    assert "<script>alert(1)</script>" not in html
    assert "<script>alert('q')" not in html and "<img src=x" not in html
    for value in params.values():
        if "<" in value:
            assert value[:200] not in html, value[:200]
    return html


def _check_api(client: Client, params: dict[str, str]) -> None:
    response = client.get("/api/papers/search", params)
    if _too_long("/api/papers/search", params):
        assert response.status_code == 414, (params, response.status_code)
        assert response.json()["error"]["code"] == "uri_too_long"
        return
    assert response.status_code in (200, 400, 422), (params, response.status_code)
    if response.status_code == 200:
        assert isinstance(response.json(), list)
    else:
        assert response.json()  # an error body, not an empty or HTML page


@pytest.mark.django_db
@pytest.mark.parametrize("name", _ids(QUERIES))
def test_page_and_api_take_any_query(client: Client, seeded: None, name: str) -> None:
    query = QUERIES[name]
    position = list(QUERIES).index(name)
    # Every query once alone, and once with a rotating set of odd other parameters.
    others = {key: values[position % len(values)] for key, values in PARAMETERS.items()}
    for params in ({"q": query}, {"q": query, **others}):
        _check_page(client, params)
        _check_api(client, {("p" if k == "page" else k): v for k, v in params.items()})
    if len(query) <= 2000:  # the API's documented limit
        assert client.get("/api/papers/search", {"q": query}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "value"), [(name, value) for name, values in PARAMETERS.items() for value in values]
)
def test_page_and_api_take_any_parameter(
    client: Client, seeded: None, name: str, value: str
) -> None:
    _check_page(client, {"q": "graph", name: value})
    _check_page(client, {"q": "", name: value})
    _check_api(client, {"q": "graph", ("p" if name == "page" else name): value})


@pytest.mark.django_db
@pytest.mark.parametrize("query_string", RAW_QUERY_STRINGS)
def test_page_and_api_take_undecodable_query_strings(
    client: Client, seeded: None, query_string: str
) -> None:
    assert client.get(f"/search?{query_string}").status_code == 200
    response = client.get(f"/api/papers/search?{query_string}")
    assert response.status_code in (200, 400, 422)


@pytest.mark.django_db
def test_valid_parameters_are_applied_on_page_and_api(client: Client, seeded: None) -> None:
    """A sanity check that the hostile runs reach real searches, not only error paths."""
    params = {"q": "graph", "mode": "keyword", "category": "math"}
    html = _check_page(client, params)
    assert "<mark>Graph</mark> networks" in html and "2401.00002" in html
    assert "2401.00001" not in html and "2401.00003" not in html
    api = client.get("/api/papers/search", params)
    assert api.status_code == 200
    assert [item["paper"]["id"] for item in api.json()] == ["2401.00002"]
