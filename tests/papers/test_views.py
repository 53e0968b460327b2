"""The server-rendered pages: lists, paper pages, redirects, escaping, query counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from papertrend.coderepos.models import PaperRepository, Repository
from papertrend.papers.models import Paper, PaperSource, Version

pytestmark = pytest.mark.django_db

CARD_LINK = re.compile(r'class="card-title"><a href="([^"]+)"')


def when(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def make_paper(key: str, title: str = "A paper", **fields: Any) -> Paper:
    """A paper row as ingest would write it; ``arxiv_id`` defaults to the key."""
    fields.setdefault("arxiv_id", None if key.startswith("t:") else key)
    fields.setdefault("title_key", key[:24])
    fields.setdefault("authors", [{"keyname": "Doe", "forenames": "Jane"}])
    fields.setdefault("categories", ["cs.LG"])
    fields.setdefault("primary_category", fields["categories"][0] if fields["categories"] else "")
    return Paper.objects.create(key=key, title=title, **fields)


def link_repo(paper: Paper, owner: str, name: str, host: str = "github.com") -> Repository:
    key = f"{host}/{owner}/{name}".lower()
    repo, _ = Repository.objects.get_or_create(
        key=key, defaults={"host": host, "owner": owner, "name": name}
    )
    PaperRepository.objects.create(paper=paper, repository=repo, found_in=PaperRepository.ABSTRACT)
    return repo


def card_links(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return CARD_LINK.findall(response.content.decode())


# --- lists -----------------------------------------------------------------


def test_empty_site_says_how_to_load_papers(client: Client, admin_client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "No papers yet" in body
    assert "papertrend ingest" not in body  # readers see no command names
    assert "<code>" not in body
    staff = admin_client.get("/").content.decode()
    assert "papertrend ingest PATH" in staff
    assert "papertrend harvest" in staff


def test_layout_has_nav_search_and_local_stylesheet(client: Client) -> None:
    body = client.get("/new").content.decode()
    assert '<a class="site-name" href="/">papertrend</a>' in body
    assert 'href="/new" aria-current="page"' in body
    assert '<form class="site-search" role="search" method="get" action="/search">' in body
    assert 'name="q"' in body
    assert 'href="/static/papertrend/site.css"' in body
    # Self-hosted: nothing loaded from another origin.
    assert "<script" not in body
    assert not re.search(r'(?:src|href)="(?:https?:)?//[^"]*\.(?:css|js|woff2?)', body)


def test_search_page_has_one_search_box(client: Client) -> None:
    """The header's box is left out where the page has its own (with the options)."""
    for url, boxes in (("/search?q=sparse", 1), ("/search", 1), ("/new", 1)):
        body = client.get(url).content.decode()
        assert len(re.findall(r'<input[^>]*\bname="q"', body)) == boxes, url
    search = client.get("/search?q=sparse").content.decode()
    assert 'id="search-q"' in search and 'value="sparse"' in search
    assert 'class="site-search"' not in search


def test_stylesheet_is_served(client: Client) -> None:
    response = client.get("/static/papertrend/site.css")
    assert response.status_code == 200
    assert b"prefers-color-scheme: dark" in b"".join(response.streaming_content)


def test_trending_card_shows_title_authors_category_date_and_code(client: Client) -> None:
    authors = [{"keyname": f"Author{i}", "forenames": "A."} for i in range(7)]
    paper = make_paper(
        "2101.00001",
        "Attention Is Enough",
        authors=authors,
        categories=["cs.CL", "cs.LG"],
        published=when(2021, 1, 4),
    )
    link_repo(paper, "SomeOrg", "attn")
    body = client.get("/").content.decode()
    assert '<a href="/papers/2101.00001">Attention Is Enough</a>' in body
    assert "A. Author0, A. Author1, A. Author2, A. Author3 et al." in body
    assert "A. Author4" not in body
    assert '<span class="tag">cs.CL</span>' in body
    assert "4 Jan 2021" in body
    assert 'href="https://github.com/SomeOrg/attn"' in body
    assert ">SomeOrg/attn</a>" in body
    assert "Withdrawn" not in body


def test_card_without_date_shows_its_feed_day_and_withdrawn_badge(client: Client) -> None:
    make_paper("t:abcdef", "Seen On A Trending Page", published=None, withdrawn=True)
    body = client.get("/").content.decode()
    day = Paper.objects.get(key="t:abcdef").feed_day  # the day it was first seen
    assert f'listed <a href="/papers/date/{day:%Y-%m-%d}">' in body
    assert '<span class="badge badge-withdrawn">Withdrawn</span>' in body
    assert 'href="/papers/t:abcdef"' in body


def test_trending_puts_papers_with_code_first_then_newest(client: Client) -> None:
    make_paper("2101.00001", published=when(2021, 1, 1))  # old, no code
    old_code = make_paper("2001.00001", published=when(2020, 1, 1))
    new_code = make_paper("2102.00001", published=when(2021, 2, 1))
    make_paper("2103.00001", published=when(2021, 3, 1))  # newest, no code
    make_paper("t:undated", published=None)  # no date: after dated papers
    link_repo(old_code, "a", "old")
    link_repo(new_code, "a", "new")
    link_repo(new_code, "b", "new2")  # two repos must not duplicate the row
    assert card_links(client, "/") == [
        "/papers/2102.00001",
        "/papers/2001.00001",
        "/papers/2103.00001",
        "/papers/2101.00001",
        "/papers/t:undated",
    ]


def test_trending_breaks_date_ties_by_first_seen(client: Client) -> None:
    first = make_paper("t:first", published=None)
    second = make_paper("t:second", published=None)
    Paper.objects.filter(pk=first.pk).update(created_at=when(2024, 1, 1))
    Paper.objects.filter(pk=second.pk).update(created_at=when(2024, 1, 2))
    assert card_links(client, "/") == ["/papers/t:second", "/papers/t:first"]


def test_new_is_newest_first_ignoring_code(client: Client) -> None:
    with_code = make_paper("2001.00001", published=when(2020, 1, 1))
    link_repo(with_code, "a", "b")
    make_paper("2103.00001", published=when(2021, 3, 1))
    make_paper("2102.00001", published=when(2021, 2, 1))
    assert card_links(client, "/new") == [
        "/papers/2103.00001",
        "/papers/2102.00001",
        "/papers/2001.00001",
    ]


def test_hidden_papers_are_not_listed(client: Client) -> None:
    make_paper("2101.00001", "Visible paper")
    make_paper("2101.00002", "Hidden paper", hidden=True)
    for url in ("/", "/new"):
        body = client.get(url).content.decode()
        assert "Visible paper" in body
        assert "Hidden paper" not in body


def test_only_hidden_papers_is_not_an_empty_site(client: Client) -> None:
    make_paper("2101.00002", "Hidden paper", hidden=True)
    body = client.get("/").content.decode()
    assert "No papers to show" in body
    assert "papertrend ingest" not in body


def test_pagination(client: Client, settings: Any) -> None:
    settings.PAPERS_PER_PAGE = 2
    for day in range(1, 6):
        make_paper(f"2101.0000{day}", published=when(2021, 1, day))
    assert card_links(client, "/new") == ["/papers/2101.00005", "/papers/2101.00004"]
    page2 = client.get("/new?page=2").content.decode()
    assert CARD_LINK.findall(page2) == ["/papers/2101.00003", "/papers/2101.00002"]
    assert 'href="?page=1"' in page2
    assert 'href="?page=3"' in page2
    assert "Page 2 of 3" in page2
    assert card_links(client, "/new?page=3") == ["/papers/2101.00001"]


@pytest.mark.parametrize("page", ["abc", "", "1.5", "%00"])
def test_non_numeric_page_is_page_one(client: Client, page: str) -> None:
    make_paper("2101.00001")
    assert card_links(client, f"/?page={page}") == ["/papers/2101.00001"]


@pytest.mark.parametrize("page", ["0", "-1", "2", "99999999999999999999"])
def test_page_out_of_range_is_404(client: Client, page: str) -> None:
    make_paper("2101.00001")
    assert client.get(f"/?page={page}").status_code == 404
    assert client.get(f"/new?page={page}").status_code == 404


def test_list_pages_reject_post(client: Client) -> None:
    assert client.post("/").status_code == 405


def test_a_page_of_30_cards_costs_a_fixed_number_of_queries(
    client: Client, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.PAPERS_PER_PAGE = 30
    for i in range(35):
        paper = make_paper(f"2101.{i:05d}", f"Paper {i}", published=when(2021, 1, 1 + i % 28))
        link_repo(paper, "org", f"repo{i}")
        link_repo(paper, "org", f"shared{i % 3}")
    for url in ("/", "/new"):
        # "/" costs one more: whether any repository has star data (the page says so
        # when none has, issue 10).
        with django_assert_max_num_queries(5 if url == "/" else 4):
            links = card_links(client, url)
        assert len(links) == 30


# --- paper page ------------------------------------------------------------


@pytest.fixture
def full_paper() -> Paper:
    paper = make_paper(
        "0704.0002",
        "Sparsity-certifying Graph Decompositions",
        abstract="We describe a new algorithm, the $(k,\\ell)$-pebble game.",
        authors=[
            {"keyname": "Streinu", "forenames": "Ileana", "affiliation": "Smith College"},
            {"keyname": "Theran", "forenames": "Louis"},
        ],
        categories=["math.CO", "cs.CG"],
        primary_category="cs.CG",
        comments="To appear in Graphs and Combinatorics; code at https://example.org/x",
        journal_ref="Graphs and Combinatorics 24 (2008) 1-12",
        doi="10.1007/s00373-008-0834-4",
        license="http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
        latest_version=2,
        published=when(2007, 3, 31, 2),
        updated=when(2008, 12, 13, 17),
    )
    Version.objects.create(paper=paper, number=1, submitted=when(2007, 3, 31, 2), size="13kb")
    Version.objects.create(paper=paper, number=2, submitted=when(2008, 12, 13, 17), size="15kb")
    PaperSource.objects.create(
        paper=paper, source_format="abs", origin="/srv/data/ftp/arxiv/papers/0704/0704.0002.abs"
    )
    PaperSource.objects.create(
        paper=paper, source_format="api", origin="https://export.arxiv.org/api/query?id_list=x"
    )
    link_repo(paper, "pebble", "game")
    return paper


def test_paper_page_shows_everything(client: Client, full_paper: Paper) -> None:
    response = client.get("/papers/0704.0002")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Sparsity-certifying Graph Decompositions · papertrend</title>" in body
    assert "Sparsity-certifying Graph Decompositions</h1>" in body
    assert "Ileana Streinu" in body
    assert "(Smith College)" in body
    assert "Louis Theran" in body
    assert "We describe a new algorithm" in body
    # Primary category first even though the source listed it second.
    assert body.index(">cs.CG<") < body.index(">math.CO<")
    assert "cs.CG (primary), math.CO" in body
    assert ">v1</a> <time" in body
    assert "Sat, 31 Mar 2007" in body
    assert "Sat, 13 Dec 2008" in body
    assert "(13kb)" in body
    assert 'href="https://arxiv.org/abs/0704.0002v2"' in body
    assert "To appear in Graphs and Combinatorics" in body
    assert 'href="https://example.org/x"' in body
    assert "Graphs and Combinatorics 24 (2008) 1-12" in body
    assert 'href="https://arxiv.org/abs/0704.0002"' in body
    assert 'href="https://arxiv.org/pdf/0704.0002"' in body
    assert 'href="https://doi.org/10.1007/s00373-008-0834-4"' in body
    assert 'href="https://github.com/pebble/game"' in body
    # Sources: a file shows its name only, never the server's path; a URL is a link.
    assert "0704.0002.abs" in body
    assert "/srv/data" not in body
    assert 'href="https://export.arxiv.org/api/query?id_list=x"' in body
    assert "Withdrawn" not in body


def test_paper_page_query_count_is_bounded(
    client: Client, full_paper: Paper, django_assert_max_num_queries: Any
) -> None:
    # paper, versions, sources, repositories, and their star snapshots (one query).
    with django_assert_max_num_queries(5):
        assert client.get("/papers/0704.0002").status_code == 200


def test_withdrawn_notice(client: Client) -> None:
    make_paper("0704.0003", "Gone", withdrawn=True, latest_version=3)
    body = client.get("/papers/0704.0003").content.decode()
    assert "withdrawn-notice" in body
    assert "The authors have withdrawn this paper (v3)" in body


def test_old_style_id_page(client: Client) -> None:
    make_paper("hep-th/9901001", "Old Style Strings", categories=["hep-th"])
    response = client.get("/papers/hep-th/9901001")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Old Style Strings</h1>" in body
    assert 'href="https://arxiv.org/abs/hep-th/9901001"' in body


def test_title_key_paper_page_has_no_arxiv_links(client: Client) -> None:
    make_paper("t:0123456789abcdef", "Only On Trending", published=None)
    response = client.get("/papers/t:0123456789abcdef")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Only On Trending</h1>" in body
    assert "arxiv.org/abs" not in body
    assert "First seen" in body


def test_title_only_paper_links_to_an_arxiv_title_search_and_has_no_empty_panels(
    client: Client,
) -> None:
    paper = make_paper(
        "t:00112233445566aa",
        'Sparse & Dense: Why $\\alpha$? "Quoted" <b>Bold</b>',
        published=None,
        authors=[],
        categories=[],
        abstract="",
    )
    link_repo(paper, "org", "no-history-yet")  # linked, no star snapshots
    body = client.get(paper.get_absolute_url()).content.decode()
    links = re.findall(r'<a class="button arxiv-search" href="([^"]+)"', body)
    assert links == [
        "https://arxiv.org/search/?query=Sparse+%26+Dense%3A+Why+%CE%B1%3F+%22Quoted%22"
        "+%3Cb%3EBold%3C%2Fb%3E&amp;searchtype=title&amp;source=header"
    ]
    assert "Search arXiv for this title" in body
    assert 'href="https://github.com/org/no-history-yet"' in body  # the code link stays
    # No panel without content: no star chart section, no "no star history" filler.
    assert "stars-heading" not in body
    assert "No star history yet" not in body
    for section in re.findall(r"<section\b.*?</section>", body, re.S):
        text = re.sub(r"<h2[^>]*>.*?</h2>|<[^>]+>|\s+", "", section, flags=re.S)
        assert text, f"empty panel: {section[:120]}"


def test_paper_with_arxiv_id_has_no_title_search_link(client: Client) -> None:
    make_paper("0704.0009", "Known Paper")
    assert "arxiv-search" not in client.get("/papers/0704.0009").content.decode()


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("/papers/0704.0002v2", "/papers/0704.0002"),
        ("/papers/0704.0002v1", "/papers/0704.0002"),
        ("/papers/arXiv:0704.0002", "/papers/0704.0002"),
        ("/papers/hep-th/9901001v3", "/papers/hep-th/9901001"),
        ("/papers/math.GT/0309136", "/papers/math/0309136"),
    ],
)
def test_other_id_forms_redirect_permanently(client: Client, url: str, target: str) -> None:
    make_paper("0704.0002")
    make_paper("hep-th/9901001")
    make_paper("math/0309136")
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == target


@pytest.mark.parametrize(
    "url",
    [
        "/papers/0704.9999",  # valid id, not stored
        "/papers/0704.9999v2",  # valid versioned id, not stored: no redirect to a 404
        "/papers/not-an-id",
        "/papers/t:missing",
        "/papers/0704.0001",  # hidden
        "/papers/0704.0001v1",  # hidden, versioned
        "/no-such-page",
    ],
)
def test_unknown_and_hidden_papers_are_404(client: Client, url: str) -> None:
    make_paper("0704.0001", "Secret", hidden=True)
    response = client.get(url)
    assert response.status_code == 404
    body = response.content.decode()
    assert "Not found" in body
    assert "Secret" not in body


# --- untrusted TeX ---------------------------------------------------------


def test_script_title_and_img_abstract_are_escaped(client: Client) -> None:
    make_paper(
        "2101.00001",
        "<script>alert(1)</script>",
        abstract="Look: <img src=x onerror=alert(1)> here",
        authors=[{"keyname": "<b>Bold</b>", "forenames": "Eve", "affiliation": "<i>x</i>"}],
        comments="<a href=javascript:alert(1)>c</a>",
        journal_ref="<svg onload=alert(1)>",
    )
    for url in ("/", "/new", "/papers/2101.00001"):
        body = client.get(url).content.decode()
        assert "<script>alert(1)" not in body
        assert "&lt;script&gt;alert(1)" in body
        assert "<b>Bold" not in body
        assert "<script" not in body
    detail = client.get("/papers/2101.00001").content.decode()
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; · papertrend</title>" in detail
    assert "<img" not in detail
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail
    assert "<i>x</i>" not in detail
    assert "<svg" not in detail
    assert 'href="javascript:' not in detail


def test_math_is_rendered_as_mathml(client: Client) -> None:
    make_paper("2101.00001", "Bounds on $x^2$", abstract="We prove $x^2 \\geq 0$.")
    card = client.get("/").content.decode()
    assert "<math" in card
    detail = client.get("/papers/2101.00001").content.decode()
    assert detail.count("<math") >= 2
    assert "$x^2$" not in detail.split("</title>", 1)[1]


# --- health ----------------------------------------------------------------


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]
