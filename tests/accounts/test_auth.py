"""Sign up, sign in and sign out through the real views, with CSRF checks on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.accounts.conftest import PASSWORD, csrf_post, csrf_token, make_user

pytestmark = pytest.mark.django_db


def signup_data(**overrides: str) -> dict[str, str]:
    data = {
        "username": "grace",
        "email": "grace@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    return {**data, **overrides}


def test_sign_up_creates_account_and_signs_in(strict_client: Client) -> None:
    response = csrf_post(strict_client, "/accounts/signup", signup_data())
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="grace")
    assert user.email == "grace@example.org"
    assert user.check_password(PASSWORD)
    page = strict_client.get("/")
    assert "grace" in page.content.decode()
    assert "Sign out" in page.content.decode()
    assert "Welcome to papertrend, grace." in page.content.decode()


def test_sign_up_applies_password_validators(strict_client: Client) -> None:
    weak = csrf_post(
        strict_client, "/accounts/signup", signup_data(password1="1234", password2="1234")
    )
    assert weak.status_code == 200
    assert "This password is too short" in weak.content.decode()
    assert not User.objects.filter(username="grace").exists()


def test_sign_up_ignores_offsite_next(strict_client: Client) -> None:
    response = csrf_post(
        strict_client, "/accounts/signup", signup_data(next="https://evil.example/x")
    )
    assert response["Location"] == "/"


def test_post_without_csrf_token_is_rejected(strict_client: Client) -> None:
    make_user("ada")
    for url, data in [
        ("/accounts/signup", signup_data()),
        ("/accounts/login", {"username": "ada", "password": PASSWORD}),
    ]:
        assert strict_client.post(url, data).status_code == 403
    assert not User.objects.filter(username="grace").exists()
    assert "_auth_user_id" not in strict_client.session


def test_sign_in_and_out(strict_client: Client) -> None:
    make_user("ada")
    bad = csrf_post(strict_client, "/accounts/login", {"username": "ada", "password": "nope"})
    assert bad.status_code == 200
    assert "_auth_user_id" not in strict_client.session
    response = csrf_post(
        strict_client, "/accounts/login", {"username": "ada", "password": PASSWORD, "next": "/new"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/new"
    assert "_auth_user_id" in strict_client.session
    # Logout is POST-only: a GET (a prefetch, a link) must not sign anyone out.
    assert strict_client.get("/accounts/logout").status_code == 405
    assert "_auth_user_id" in strict_client.session
    token = csrf_token(strict_client, "/")
    out = strict_client.post("/accounts/logout", {"csrfmiddlewaretoken": token})
    assert out.status_code == 302
    assert out["Location"] == "/"
    assert "_auth_user_id" not in strict_client.session


def test_header_offers_sign_in_to_visitors(client: Client) -> None:
    page = client.get("/new").content.decode()
    assert 'href="/accounts/login?next=/new"' in page
    assert 'href="/accounts/signup"' in page


def test_banned_user_cannot_sign_in(strict_client: Client) -> None:
    make_user("mallory", is_active=False)
    response = csrf_post(
        strict_client, "/accounts/login", {"username": "mallory", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in strict_client.session
