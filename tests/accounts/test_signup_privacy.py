"""Sign-up does not tell who has an account (issue 15, item 20).

An e-mail address that already has an account signs up exactly like a new one; a taken
username and a reserved one get the same answer; sign-up attempts are limited per IP,
so even the usernames cannot be listed quickly. Through the real page, CSRF on.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from papertrend.accounts.forms import USERNAME_NOT_AVAILABLE
from tests.accounts.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def sign_up(username: str, email: str, ip: str = "192.0.2.10", password: str = PASSWORD):
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=ip)
    client.get("/accounts/signup")
    data = {
        "username": username,
        "email": email,
        "password1": password,
        "password2": password,
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    }
    return client.post("/accounts/signup", data)


def errors(page: str) -> list[str]:
    return re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', page, flags=re.S)


def test_an_email_with_an_account_signs_up_like_a_new_one() -> None:
    make_user("ada")  # ada@example.org
    known = sign_up("grace", "ADA@example.org")
    new = sign_up("hedy", "hedy@example.org")
    assert (
        (known.status_code, known["Location"]) == (new.status_code, new["Location"]) == (302, "/")
    )
    assert User.objects.get(username="grace").email == "ADA@example.org"
    assert "already" not in known.text and known.content == new.content


def test_taken_and_reserved_usernames_get_the_same_answer() -> None:
    make_user("ada")
    taken = sign_up("ADA", "someone@example.org")
    reserved = sign_up("admin", "someone@example.org")  # no such account exists
    assert taken.status_code == reserved.status_code == 200
    assert errors(taken.text) == errors(reserved.text)
    assert USERNAME_NOT_AVAILABLE in taken.text
    assert "already exists" not in taken.text
    assert User.objects.count() == 1


def test_sign_up_attempts_are_limited_per_ip(settings) -> None:
    settings.SIGNUP_RATE = "3/h"
    for n in range(3):
        assert sign_up(f"user{n}", "x@example.org", password="short").status_code == 200
    over = sign_up("grace", "grace@example.org")
    assert over.status_code == 429
    assert not User.objects.filter(username="grace").exists()
    # Another address is not held up.
    assert sign_up("grace", "grace@example.org", ip="198.51.100.3").status_code == 302
