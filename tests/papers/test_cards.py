"""Cards worth reading (issue 10, item 6) on the trending, new, daily and search pages.

Each card shows: the first authors then "et al.", the primary category, each code
repository with its stars, the stars gained in the window (the number the trending
score used), the upvote count, and a sentence quoted from the abstract, labelled:
the first sentence until ``index build`` has chosen the most central one by sentence
embeddings. Everything is escaped (TeX and HTML in titles, abstracts, summaries).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from papertrend.accounts.models import Upvote
from papertrend.coderepos.models import PaperRepository, Repository, StarSnapshot
from papertrend.papers.models import Paper
from papertrend.papers.summary import sentence_spans
from papertrend.papers.text import tex_to_html
from papertrend.search import indexing
from papertrend.search.embedders import Embedder, get_embedder
from papertrend.search.models import enqueue
from papertrend.search.summaries import pending_summaries, summarize_pending
from papertrend.trending.models import TrendingScore
from papertrend.trending.score import compute_scores

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
CARD = re.compile(r'<article class="card.*?</article>', re.S)
TITLE = "Sparse <b>attention</b> for $O(n \\log n)$ long documents"
FIRST = (
    "We study <script>alert(1)</script> sparse attention for very long documents, "
    "such as books and whole code bases."
)
CENTRAL = (
    "Our sparse attention layer learns which blocks of a long document each token attends "
    "to, matching dense attention on long documents at a fraction of the memory."
)
ABSTRACT = (
    f"{FIRST} {CENTRAL} Sparse attention patterns for long documents transfer across "
    "tasks, e.g. summarization and question answering over documents of $n > 10^5$ tokens. "
    "The authors thank the funding agency."
)
AUTHORS = [{"keyname": f"Keyname{i}", "forenames": f"Fore{i}"} for i in range(1, 7)]


def _card(body: str, key: str) -> str:
    for card in CARD.findall(body):
        if f'href="/papers/{key}"' in card:
            return card
    raise AssertionError(f"no card for {key}")


@pytest.fixture
def embedder(settings: Any) -> Embedder:
    settings.EMBEDDING_MODEL = "minilm-static"
    return get_embedder()


@pytest.fixture
def paper() -> Paper:
    """A paper with six authors, TeX and HTML in title and abstract, a repository with
    12,345 stars that gained stars this week, and two upvotes; scores computed."""
    made = Paper.objects.create(
        key="2501.00042",
        arxiv_id="2501.00042",
        title_key="sparse-attention",
        title=TITLE,
        abstract=ABSTRACT,
        authors=AUTHORS,
        categories=["cs.CL", "cs.LG"],
        primary_category="cs.CL",
        published=NOW - timedelta(days=2),
        feed_day=(NOW - timedelta(days=2)).date(),
    )
    repo = Repository.objects.create(
        host="github.com", owner="Org", name="sparse-attn", key="github.com/org/sparse-attn"
    )
    repo.stars = 12_345
    repo.save()
    PaperRepository.objects.create(paper=made, repository=repo, found_in=PaperRepository.ABSTRACT)
    StarSnapshot.objects.create(repository=repo, observed_at=NOW - timedelta(days=6), stars=11_000)
    StarSnapshot.objects.create(repository=repo, observed_at=NOW - timedelta(hours=1), stars=12_345)
    users = get_user_model()
    for name in ("ann", "bob"):
        Upvote.objects.create(user=users.objects.create_user(name), paper=made)
    compute_scores(NOW)
    enqueue([made.key])
    indexing.sync()
    return made


def _pages(paper: Paper) -> dict[str, str]:
    day = paper.feed_day
    assert day is not None
    return {
        "trending": "/?window=week",
        "new": "/new",
        "daily": f"/papers/date/{day:%Y-%m-%d}",
        "search": "/search?q=sparse+attention",
    }


def test_cards_show_authors_category_code_gain_upvotes_and_a_labelled_sentence(
    client: Client, paper: Paper
) -> None:
    gained = TrendingScore.objects.get(paper=paper, window="week").stars_gained
    assert gained > 0  # the window holds the burst
    for page, url in _pages(paper).items():
        card = _card(client.get(url).content.decode(), paper.key)
        text = html.unescape(re.sub(r"<[^>]+>", "", card))
        assert "Fore1 Keyname1, Fore2 Keyname2, Fore3 Keyname3, Fore4 Keyname4 et al." in text
        assert "Keyname5" not in text, page
        assert '<span class="tag">cs.CL</span>' in card, page
        assert 'href="https://github.com/Org/sparse-attn"' in card, page
        assert "★ 12,345 stars" in text, page  # the count, and words for screen readers
        assert f"+{gained:,} stars this week" in text, page
        assert '<span class="upvote-count">2</span>' in card, page
        # Until index build has run: the first sentence, quoted and labelled as such.
        assert 'data-summary="first"' in card, page
        assert "First sentence of the abstract:" in text, page
        assert "sparse attention for very long documents, such as books" in text, page
        # Escaped, never markup: HTML in the title and in the quoted sentence.
        assert "<script>" not in card and "<b>attention</b>" not in card, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card, page
        assert "&lt;b&gt;" in card and "&lt;/b&gt;" in card, page  # search adds <mark>
        if page != "search":  # search highlights the title's source instead
            assert "<math" in card, page  # the title's TeX is rendered as MathML


def test_after_index_build_cards_quote_the_most_central_sentence(
    client: Client, paper: Paper, embedder: Embedder
) -> None:
    assert pending_summaries().count() == 1
    stats = summarize_pending(embedder)
    assert (stats.papers, stats.sentences) == (1, 4)
    stored = Paper.objects.get(pk=paper.pk)
    # A whole sentence of the abstract, never the off-topic ones.
    spans = [ABSTRACT[a:b] for a, b in sentence_spans(ABSTRACT)]
    assert stored.summary in spans
    assert stored.summary == CENTRAL  # the sentence about the whole, by the real model
    assert stored.summary != "The authors thank the funding agency."
    assert stored.summary_modified == stored.modified_at
    assert pending_summaries().count() == 0
    for page, url in _pages(paper).items():
        card = _card(client.get(url).content.decode(), paper.key)
        text = html.unescape(re.sub(r"<[^>]+>", "", card))
        assert 'data-summary="central"' in card, page
        assert "Key sentence of the abstract:" in text, page
        assert "no text is generated" in html.unescape(card), page  # the label's tooltip
        assert tex_to_html(stored.summary) in card, page


def test_a_changed_abstract_never_shows_the_old_sentence(
    client: Client, paper: Paper, embedder: Embedder
) -> None:
    summarize_pending(embedder)
    old = Paper.objects.get(pk=paper.pk).summary
    paper.refresh_from_db()
    paper.abstract = "An entirely new abstract about graph neural networks. It has two sentences."
    paper.save()
    card = _card(client.get("/new").content.decode(), paper.key)
    assert html.unescape(old) not in html.unescape(card)
    assert 'data-summary="first"' in card
    assert "An entirely new abstract about graph neural networks." in card
    assert pending_summaries().count() == 1  # the next build chooses again
    summarize_pending(embedder)
    new = Paper.objects.get(pk=paper.pk).summary
    assert new in paper.abstract and new != old


def test_cards_without_abstract_code_or_scores_stay_plain(client: Client) -> None:
    Paper.objects.create(
        key="2501.00077", arxiv_id="2501.00077", title_key="bare", title="Bare", abstract=""
    )
    card = _card(client.get("/new").content.decode(), "2501.00077")
    assert "card-summary" not in card
    assert "card-repos" not in card
    assert "et al." not in card


def test_new_and_daily_pages_keep_a_fixed_number_of_queries(
    client: Client, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.PAPERS_PER_PAGE = 30
    day = NOW.date()
    for i in range(35):
        made = Paper.objects.create(
            key=f"2501.{i:05d}",
            title_key=f"k{i}",
            title=f"Paper {i}",
            abstract=ABSTRACT,
            authors=AUTHORS,
            feed_day=day,
        )
        repo = Repository.objects.create(
            host="github.com", owner="o", name=f"r{i}", key=f"github.com/o/r{i}", stars=i
        )
        PaperRepository.objects.create(paper=made, repository=repo, found_in="abstract")
        StarSnapshot.objects.create(repository=repo, observed_at=NOW - timedelta(days=1), stars=0)
        StarSnapshot.objects.create(repository=repo, observed_at=NOW, stars=i)
    compute_scores(NOW)
    # count, rows (with upvote counts and gains), repositories
    with django_assert_max_num_queries(3):
        body = client.get("/new").content.decode()
    assert len(CARD.findall(body)) == 30
    assert body.count('class="repo-gain"') == 30
    # count, rows, repositories, and the previous/next days
    with django_assert_max_num_queries(5):
        body = client.get(f"/papers/date/{day:%Y-%m-%d}").content.decode()
    assert len(CARD.findall(body)) == 30


def test_cards_say_which_code_is_official_and_its_framework(client: Client, paper: Paper) -> None:
    PaperRepository.objects.filter(paper=paper).update(is_official=True, framework="pytorch")
    fork = Repository.objects.create(
        host="github.com", owner="someone", name="sparse-attn-jax", key="github.com/someone/x"
    )
    PaperRepository.objects.create(
        paper=paper, repository=fork, found_in=PaperRepository.PWC, is_official=False
    )
    # The same repository linked to another paper as community code keeps this card's flag.
    other = Paper.objects.create(key="2501.00043", arxiv_id="2501.00043", title_key="o", title="O")
    PaperRepository.objects.create(
        paper=other,
        repository=Repository.objects.get(name="sparse-attn"),
        found_in=PaperRepository.PWC,
        is_official=False,
    )
    for page, url in _pages(paper).items():
        card = _card(client.get(url).content.decode(), paper.key)
        chips = re.findall(r"<li>(.*?)</li>", card)
        official = next(c for c in chips if "Org/sparse-attn<" in c)
        community = next(c for c in chips if "sparse-attn-jax" in c)
        assert ">official</span>" in official and ">community<" not in official, page
        assert '<span class="repo-framework">PyTorch</span>' in official, page
        assert ">community</span>" in community and ">official<" not in community, page
        assert card.count("Org/sparse-attn<") == 1, page  # one chip per repository
