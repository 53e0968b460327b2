"""Moderation in the admin: banning users, hiding repositories, upvote and submission lists."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from papertrend.accounts.models import Submission, Upvote
from papertrend.coderepos.models import PaperRepository, Repository
from tests.accounts.conftest import PASSWORD, csrf_post, make_paper, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("mod", "mod@example.org", PASSWORD))
    return client


def test_ban_deactivates_and_deletes_upvotes(moderator: Client) -> None:
    mallory, ada = make_user("mallory"), make_user("ada")
    first, second = make_paper(), make_paper()
    for paper in (first, second):
        Upvote.objects.create(user=mallory, paper=paper)
    Upvote.objects.create(user=ada, paper=first)
    me = User.objects.get(username="mod")
    response = moderator.post(
        "/admin/auth/user/",
        {"action": "ban_selected", "_selected_action": [mallory.pk, me.pk]},
        follow=True,
    )
    assert "Banned 1 user(s); deleted 2 upvote(s) (you cannot ban yourself)." in (
        response.content.decode()
    )
    mallory.refresh_from_db()
    assert not mallory.is_active
    assert User.objects.get(username="mod").is_active
    assert list(Upvote.objects.values_list("user__username", flat=True)) == ["ada"]
    # Banned: the sign-in form refuses the right password.
    browser = Client(enforce_csrf_checks=True)
    csrf_post(browser, "/accounts/login", {"username": "mallory", "password": PASSWORD})
    assert "_auth_user_id" not in browser.session
    moderator.post(
        "/admin/auth/user/", {"action": "unban_selected", "_selected_action": [mallory.pk]}
    )
    mallory.refresh_from_db()
    assert mallory.is_active


def test_banned_users_session_ends(client: Client) -> None:
    mallory = make_user("mallory")
    client.force_login(mallory)
    User.objects.filter(pk=mallory.pk).update(is_active=False)
    assert "Sign out" not in client.get("/").content.decode()


def test_hidden_repository_disappears_from_cards_and_pages(moderator: Client) -> None:
    paper = make_paper("Linked")
    shown = Repository.objects.create(
        host="github.com", owner="good", name="code", key="github.com/good/code"
    )
    spam = Repository.objects.create(
        host="github.com", owner="spam", name="scam", key="github.com/spam/scam"
    )
    for repo in (shown, spam):
        PaperRepository.objects.create(paper=paper, repository=repo, found_in="abstract")
    moderator.post(
        "/admin/coderepos/repository/",
        {"action": "hide_repositories", "_selected_action": [spam.pk]},
    )
    assert Repository.objects.get(pk=spam.pk).hidden
    visitor = Client()
    for url in ("/new", paper.get_absolute_url(), f"/search?q={paper.arxiv_id}"):
        page = visitor.get(url).content.decode()
        assert "spam/scam" not in page, url
        assert "good/code" in page, url
    moderator.post(
        "/admin/coderepos/repository/",
        {"action": "unhide_repositories", "_selected_action": [spam.pk]},
    )
    assert "spam/scam" in visitor.get("/new").content.decode()


def test_upvote_and_submission_admin_pages(moderator: Client) -> None:
    ada, paper = make_user("ada"), make_paper()
    Upvote.objects.create(user=ada, paper=paper)
    Submission.objects.create(user=ada, paper=paper)
    for url in ("/admin/accounts/upvote/", "/admin/accounts/submission/"):
        response = moderator.get(url)
        assert response.status_code == 200
        assert paper.key in response.content.decode()
