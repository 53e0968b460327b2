"""Fixtures for account tests: a private cache per test, people, papers, CSRF-checked clients."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from papertrend.papers.models import Paper
from tests.replay_server import ReplayServer

PASSWORD = "correct horse battery staple 42"
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _private_cache(settings) -> None:
    """Rate-limit counters in a fresh in-process cache, so tests never share counts."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4()}",
        }
    }


def make_paper(
    title: str = "A paper",
    *,
    feed_day: date | None = None,
    published: datetime | None = None,
    hidden: bool = False,
    arxiv_id: str | None = None,
) -> Paper:
    """A stored paper with a fresh new-style id (``2501.0000N``) unless one is given."""
    number = next(_numbers)
    arxiv_id = arxiv_id or f"2501.{number:05d}"
    return Paper.objects.create(
        key=arxiv_id,
        arxiv_id=arxiv_id,
        title_key=f"tk{number}",
        title=title,
        feed_day=feed_day,
        published=published or _v1_date(feed_day),
        hidden=hidden,
    )


def _v1_date(feed_day: date | None) -> datetime:
    """v1's date for a paper listed on ``feed_day``: that day, as arXiv announces new papers."""
    if feed_day is None:
        return datetime(2025, 1, 1, tzinfo=UTC)
    return datetime.combine(feed_day, time(9), tzinfo=UTC) - timedelta(days=1)


def make_user(username: str = "ada", **extra: object) -> User:
    return User.objects.create_user(username, f"{username}@example.org", PASSWORD, **extra)


def csrf_token(client: Client, page: str | None = None) -> str:
    """The CSRF token a browser would hold after loading ``page``.

    By default: the sign-in page for visitors, the home page (sign-out form) otherwise.
    """
    client.get(page or "/accounts/login")
    if "csrftoken" not in client.cookies:
        client.get("/")
    return client.cookies["csrftoken"].value


def csrf_post(client: Client, url: str, data: dict[str, str] | None = None, **extra: object):
    """POST ``data`` with a valid CSRF token, as a form in a page would."""
    token = csrf_token(client)
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token}, **extra)


@pytest.fixture
def user(db) -> User:
    return make_user()


@pytest.fixture
def strict_client() -> Client:
    """A client that enforces CSRF checks, like a browser session would be checked."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def signed_in(strict_client: Client, user: User) -> Client:
    strict_client.force_login(user)
    return strict_client


@pytest.fixture
def server(settings) -> Iterator[ReplayServer]:
    """A replayed arXiv API on 127.0.0.1 that ``/submit`` fetches from, at full speed."""
    with ReplayServer() as replay:
        settings.ARXIV_API_URL = replay.url("/api/query")
        settings.ARXIV_REQUEST_INTERVAL = 0
        settings.ARXIV_MAX_RETRIES = 0
        yield replay
