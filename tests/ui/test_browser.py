"""The site in a real browser: Playwright driving Debian's Chromium against a live server.

Skips, saying why, where /usr/bin/chromium is absent (`make test` installs it when it
runs as root; otherwise `apt-get install chromium`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from papertrend.accounts.models import Upvote
from papertrend.coderepos.models import PaperRepository, Repository
from papertrend.papers.models import Paper
from papertrend.trending.score import compute_scores

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed"),
    pytest.mark.django_db(transaction=True),
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the test
# makes between page actions are ordinary blocking calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()
            # ORM calls made while Playwright's loop runs get their own connection
            # (Django keys connections by async context); close it here, or
            # PostgreSQL cannot drop the test database at the end of the run.
            from django.db import connections

            connections.close_all()


def _paper(key: str, title: str, day: int) -> Paper:
    paper = Paper.objects.create(
        key=key,
        arxiv_id=key,
        title_key=key,
        title=title,
        abstract="We study $x^2$ and more. Code: https://github.com/org/repo",
        authors=[{"keyname": "Bal\\'azs", "forenames": "Anna"}],
        published=datetime(2025, 3, day, tzinfo=UTC),
    )
    return paper


def test_sign_up_upvote_and_undo_in_a_browser(page, live_server) -> None:
    first = _paper("2503.00001", "Sparse <script>alert(1)</script> Attention", 14)
    _paper("2503.00002", "Dense Retrieval at Scale", 13)
    repo = Repository.objects.create(
        host="github.com", owner="org", name="repo", key="github.com/org/repo"
    )
    PaperRepository.objects.create(paper=first, repository=repo, found_in="abstract")
    compute_scores(datetime(2025, 3, 15, tzinfo=UTC))

    page.goto(f"{live_server.url}/")
    titles = page.locator(".card-title").all_inner_texts()
    assert titles[0] == "Sparse <script>alert(1)</script> Attention"  # shown as text
    assert page.locator("script").count() == 0

    page.goto(f"{live_server.url}/accounts/signup")
    page.fill("input[name=username]", "reader")
    page.fill("input[name=email]", "reader@example.org")
    page.fill("input[name=password1]", "a long enough passphrase 42")
    page.fill("input[name=password2]", "a long enough passphrase 42")
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/papers/2503.00001")
    assert page.locator("math").count() >= 1  # $x^2$ rendered as MathML
    assert "Balázs" in page.inner_text("body")
    page.locator("form[action$='/upvote'] button").first.click()
    page.wait_for_load_state()
    assert Upvote.objects.filter(paper=first, user__username="reader").count() == 1
    page.locator("form[action$='/unvote'] button").first.click()
    page.wait_for_load_state()
    assert Upvote.objects.filter(paper=first).count() == 0
