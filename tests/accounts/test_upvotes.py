"""Upvotes: once per person, undo, POST only, CSRF, sign-in, rate limit, and query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError
from django.test import Client

from papertrend.accounts import upvotes
from papertrend.accounts.models import Submission, Upvote
from papertrend.coderepos.models import PaperRepository, Repository
from papertrend.papers.models import Paper
from tests.accounts.conftest import csrf_post, csrf_token, make_paper, make_user

pytestmark = pytest.mark.django_db


def rows() -> list[tuple[int, int]]:
    return list(Upvote.objects.order_by("pk").values_list("user_id", "paper_id"))


def test_upvote_twice_counts_once_and_undo_works(signed_in: Client, user: User) -> None:
    paper = make_paper("Attention")
    url = f"/papers/{paper.key}/upvote"
    first = csrf_post(signed_in, url)
    assert first.status_code == 302
    assert first["Location"] == paper.get_absolute_url()
    csrf_post(signed_in, url)
    assert rows() == [(user.pk, paper.pk)]
    page = signed_in.get(paper.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' in page
    assert f'action="/papers/{paper.key}/unvote"' in page
    assert "Upvoted “Attention”." in page
    assert "You had already upvoted “Attention”." in page
    csrf_post(signed_in, f"/papers/{paper.key}/unvote")
    assert rows() == []
    csrf_post(signed_in, f"/papers/{paper.key}/unvote")
    assert rows() == []


def test_old_style_key_with_slash(signed_in: Client, user: User) -> None:
    paper = make_paper(arxiv_id="hep-th/9901001")
    csrf_post(signed_in, "/papers/hep-th/9901001/upvote")
    assert rows() == [(user.pk, paper.pk)]


def test_redirects_back_to_safe_next_only(signed_in: Client) -> None:
    paper = make_paper()
    ok = csrf_post(signed_in, f"/papers/{paper.key}/upvote", {"next": "/new?page=2"})
    assert ok["Location"] == "/new?page=2"
    for evil in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        bad = csrf_post(signed_in, f"/papers/{paper.key}/unvote", {"next": evil})
        assert bad["Location"] == paper.get_absolute_url()


def test_get_never_changes_data(signed_in: Client, user: User) -> None:
    paper = make_paper()
    Upvote.objects.create(user=user, paper=paper)
    other = make_paper()
    before = (rows(), Paper.objects.count(), Submission.objects.count(), User.objects.count())
    for url in [
        f"/papers/{other.key}/upvote",
        f"/papers/{paper.key}/unvote",
        "/accounts/logout",
    ]:
        assert signed_in.get(url).status_code == 405, url
        assert signed_in.head(url).status_code == 405, url
    signed_in.get("/submit", {"paper": "2501.99999"})
    signed_in.get("/accounts/signup", {"username": "x", "password1": "y", "password2": "y"})
    after = (rows(), Paper.objects.count(), Submission.objects.count(), User.objects.count())
    assert after == before
    assert "_auth_user_id" in signed_in.session


def test_post_without_csrf_token_is_rejected(signed_in: Client) -> None:
    paper = make_paper()
    assert signed_in.post(f"/papers/{paper.key}/upvote").status_code == 403
    assert rows() == []


def test_anonymous_upvote_redirects_to_sign_in(strict_client: Client) -> None:
    paper = make_paper()
    response = csrf_post(strict_client, f"/papers/{paper.key}/upvote", {"next": "/new"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login?next=/new"
    assert rows() == []
    card = strict_client.get("/new").content.decode()
    assert 'href="/accounts/login?next=/new"' in card
    assert 'title="Sign in to upvote"' in card


def test_unknown_or_hidden_paper_is_404(signed_in: Client) -> None:
    hidden = make_paper(hidden=True)
    assert csrf_post(signed_in, "/papers/2501.77777/upvote").status_code == 404
    assert csrf_post(signed_in, f"/papers/{hidden.key}/upvote").status_code == 404
    assert rows() == []


def test_rate_limit_answers_429_and_changes_nothing(settings, signed_in: Client) -> None:
    settings.UPVOTE_RATE = "3/h"
    paper = make_paper()
    for action in ("upvote", "unvote", "upvote"):
        assert csrf_post(signed_in, f"/papers/{paper.key}/{action}").status_code == 302
    assert len(rows()) == 1
    over = csrf_post(signed_in, f"/papers/{paper.key}/unvote")
    assert over.status_code == 429
    assert "too many upvotes" in over.content.decode()
    assert len(rows()) == 1
    # The limit is per person: someone else can still vote.
    other = Client(enforce_csrf_checks=True)
    other.force_login(make_user("grace"))
    assert csrf_post(other, f"/papers/{paper.key}/upvote").status_code == 302
    assert len(rows()) == 2


def test_concurrent_insert_loses_quietly(monkeypatch, user: User) -> None:
    paper = make_paper()

    def collide(**kwargs: object) -> None:
        raise IntegrityError("UNIQUE constraint failed: upvote_once")

    monkeypatch.setattr(Upvote.objects, "get_or_create", collide)
    assert upvotes.upvote(user, paper) is False


def test_counts_and_state_on_list_pages_without_n_plus_one(
    django_assert_max_num_queries, signed_in: Client, user: User
) -> None:
    papers = [make_paper(f"Paper {i}", feed_day=date(2025, 3, 14)) for i in range(30)]
    grace, alan = make_user("grace"), make_user("alan")
    for voter in (user, grace, alan):
        Upvote.objects.create(user=voter, paper=papers[0])
    Upvote.objects.create(user=grace, paper=papers[1])
    repo = Repository.objects.create(host="github.com", owner="o", name="r", key="github.com/o/r")
    for paper in papers:
        PaperRepository.objects.create(paper=paper, repository=repo, found_in="abstract")
    signed_in.get("/new")  # warm up session and CSRF cookie
    with django_assert_max_num_queries(8):
        page = signed_in.get("/new").content.decode()
    assert page.count('class="upvote"') == 30
    assert page.count('aria-pressed="true"') == 1
    with django_assert_max_num_queries(8):
        feed = signed_in.get("/papers/date/2025-03-14").content.decode()
    assert feed.count('aria-pressed="true"') == 1
    assert '<span class="upvote-count">3</span>' in feed


def test_attach_upvotes_on_a_list(user: User) -> None:
    first, second = make_paper(), make_paper()
    Upvote.objects.create(user=user, paper=first)
    Upvote.objects.create(user=make_user("grace"), paper=first)
    papers = [first, second]
    upvotes.attach_upvotes(papers, user)
    assert [(p.upvote_count, p.upvoted) for p in papers] == [(2, True), (0, False)]
    upvotes.attach_upvotes(papers, None)
    assert [p.upvoted for p in papers] == [False, False]


def test_search_results_show_counts(signed_in: Client, user: User) -> None:
    paper = make_paper(arxiv_id="2501.04242")
    Upvote.objects.create(user=user, paper=paper)
    page = signed_in.get("/search", {"q": "2501.04242"}).content.decode()
    assert '<span class="upvote-count">1</span>' in page
    assert 'aria-pressed="true"' in page


def test_header_shows_username_and_post_logout(signed_in: Client) -> None:
    csrf_token(signed_in, "/")
    page = signed_in.get("/").content.decode()
    assert "<span>ada</span>" in page
    assert 'action="/accounts/logout"' in page


def test_missing_csrf_token_gets_the_sites_explanation(signed_in) -> None:
    from papertrend.papers.models import Paper

    Paper.objects.create(key="2501.00077", arxiv_id="2501.00077", title_key="k", title="T")
    response = signed_in.post("/papers/2501.00077/upvote")
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
