"""Sign-in is throttled per account and per IP, at /accounts/login and /admin/login/.

Through the real pages with CSRF checks on, as a browser (or a password-guessing
script that fetches the form first) would use them.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.accounts.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def browser(ip: str = "192.0.2.10") -> Client:
    return Client(enforce_csrf_checks=True, REMOTE_ADDR=ip)


def sign_in(client: Client, username: str, password: str, page: str = "/accounts/login"):
    """Load the sign-in page (for its CSRF cookie), then POST the form to it."""
    client.get(page)
    token = client.cookies["csrftoken"].value
    data = {"username": username, "password": password, "csrfmiddlewaretoken": token}
    return client.post(page, data)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def limits(settings) -> None:
    settings.LOGIN_ACCOUNT_RATE = "3/15m"
    settings.LOGIN_IP_RATE = "8/h"


def test_wrong_passwords_for_one_account_stop_even_the_right_one(limits) -> None:
    make_user("ada")
    client = browser()
    for _ in range(3):
        wrong = sign_in(client, "ada", "guess")
        assert wrong.status_code == 200 and "correct username and password" in wrong.text
    refused = sign_in(client, "ada", PASSWORD)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "900"  # the account's window: 15 minutes
    assert "try again in 15 minutes" in refused.text
    assert "Too many sign-in attempts" in refused.text
    assert 'class="site-header"' in refused.text  # the site's page
    assert not signed_in(client)
    # The same account in other letter case, or from another network: still held.
    assert sign_in(client, "ADA", PASSWORD).status_code == 429
    other_network = browser("198.51.100.7")
    assert sign_in(other_network, "ada", PASSWORD).status_code == 429
    assert not signed_in(other_network)


def test_other_accounts_are_not_held_up_by_one_under_attack(limits) -> None:
    make_user("ada")
    make_user("grace")
    attacker = browser("203.0.113.5")
    for _ in range(4):
        sign_in(attacker, "ada", "guess")
    grace = browser("192.0.2.20")
    response = sign_in(grace, "grace", PASSWORD)
    assert response.status_code == 302 and signed_in(grace)


def test_one_address_trying_many_accounts_is_throttled(limits) -> None:
    make_user("grace")
    client = browser("203.0.113.9")
    for n in range(8):  # one guess each at eight accounts: under every account's limit
        assert sign_in(client, f"user{n}", "password123").status_code == 200
    refused = sign_in(client, "grace", PASSWORD)
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"  # the IP's window
    assert not signed_in(client)
    # Another address signs in to the same account at once.
    elsewhere = browser("192.0.2.30")
    assert sign_in(elsewhere, "grace", PASSWORD).status_code == 302


def test_admin_sign_in_is_throttled_too(limits) -> None:
    make_user("root_admin", is_staff=True, is_superuser=True)
    client = browser()
    for _ in range(3):
        wrong = sign_in(client, "root_admin", "guess", page="/admin/login/")
        assert wrong.status_code == 200
        assert "Please enter the correct username and password for a staff account" in wrong.text
    refused = sign_in(client, "root_admin", PASSWORD, page="/admin/login/")
    assert refused.status_code == 429 and "Too many sign-in attempts" in refused.text
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302  # still sent to sign in


def test_admin_and_site_sign_in_share_the_accounts_count(limits) -> None:
    make_user("root_admin", is_staff=True, is_superuser=True)
    client = browser()
    sign_in(client, "root_admin", "guess", page="/admin/login/")
    sign_in(client, "root_admin", "guess")
    sign_in(client, "root_admin", "guess", page="/admin/login/")
    assert sign_in(client, "root_admin", PASSWORD).status_code == 429


def test_signing_in_under_the_limits_works_on_both_pages(limits) -> None:
    make_user("root_admin", is_staff=True, is_superuser=True)
    client = browser()
    response = sign_in(client, "root_admin", PASSWORD, page="/admin/login/")
    assert response.status_code == 302 and signed_in(client)
    assert client.get("/admin/").status_code == 200
    make_user("ada")
    other = browser("192.0.2.40")
    assert sign_in(other, "ada", "guess").status_code == 200
    assert sign_in(other, "ada", PASSWORD).status_code == 302 and signed_in(other)
