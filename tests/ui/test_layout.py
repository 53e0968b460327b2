"""Every page at a phone's width (390 px) and a laptop's (1280 px), in a real browser.

Checks what a reader sees: no page scrolls sideways, nothing sticks out of the
viewport, the header keeps "Sign in" on the site name's row, form fields are
labelled and big enough to tap, chart text stays readable, the search page has
one search box, and each page's main element is visible. Skips, saying why,
where /usr/bin/chromium is absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from papertrend.coderepos.models import PaperRepository, Repository, StarSnapshot
from papertrend.digests import tokens
from papertrend.digests.models import Subscriber
from papertrend.papers.models import Paper, PaperCategory
from papertrend.search import indexing
from papertrend.search.models import enqueue
from papertrend.trending.score import compute_scores

from .test_browser import CHROMIUM, LAUNCH_ARGS

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed"),
    pytest.mark.django_db(transaction=True),
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

LONG_REPO = "progressive_gradient_flow_nm_sparsity_for_transformers_and_friends"
PASSWORD = "a long enough passphrase 42"

# One pass over the page in the browser: everything the checks need, as plain data.
MEASURE = """() => {
  const width = window.innerWidth;
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const classes = (el) => (el.className && typeof el.className === 'string'
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes(el)
    + ' "' + (el.textContent || el.value || '').trim().slice(0, 40) + '"';
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  const overflowing = [...document.body.querySelectorAll('*')]
    .filter((el) => visible(el) && el.getBoundingClientRect().right > width + 0.5 && !clipped(el))
    .map(describe);
  const controls = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && visible(el));
  const unlabelled = controls
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    .map(describe);
  const tooSmall = [...controls, ...document.querySelectorAll('main button, header button')]
    .filter((el) => visible(el) && !['checkbox', 'radio'].includes(el.type)
      && el.getBoundingClientRect().height < 36)
    .map((el) => describe(el) + ' ' + Math.round(el.getBoundingClientRect().height) + 'px');
  const tinyText = [...document.querySelectorAll('svg text')].filter(visible).map((el) => {
    const ctm = el.getScreenCTM();
    const size = parseFloat(getComputedStyle(el).fontSize) * (ctm ? Math.abs(ctm.a) : 1);
    return [el.textContent, size];
  }).filter(([, size]) => size < 10).map(([text, size]) => text + ' at ' + size.toFixed(1) + 'px');
  const box = (sel) => {
    const el = document.querySelector(sel);
    if (!el || !visible(el)) return null;
    const r = el.getBoundingClientRect();
    return [r.top, r.bottom];
  };
  return {
    width,
    scrollWidth: document.documentElement.scrollWidth,
    overflowing,
    unlabelled,
    tooSmall,
    tinyText,
    searchBoxes: [...document.querySelectorAll('input[name=q]')].filter(visible).length,
    siteName: box('.site-name'),
    account: box('.account-area a, .account-area button'),
  };
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    """ORM calls made while Playwright's loop runs get their own connection: close it, or
    PostgreSQL cannot drop the test database at the end of the run."""
    yield
    from django.db import connections

    connections.close_all()


def _paper(key: str, title: str, abstract: str, day: date, **fields: Any) -> Paper:
    title_only = key.startswith("t:")
    categories = [] if title_only else ["cs.LG", "stat.ML"]
    paper = Paper.objects.create(
        key=key,
        arxiv_id=None if title_only else key,
        title_key=key[-16:],
        title=title,
        abstract=abstract,
        authors=[] if title_only else [{"keyname": "Bal\\'azs", "forenames": "Anna"}] * 6,
        categories=categories,
        primary_category=categories[0] if categories else "",
        published=None if title_only else datetime(day.year, day.month, day.day, tzinfo=UTC),
        announced=day,
        **fields,
    )
    PaperCategory.objects.bulk_create(
        PaperCategory(paper=paper, category=code, is_primary=i == 0)
        for i, code in enumerate(categories)
    )
    return paper


def _repository(paper: Paper, owner: str, name: str) -> Repository:
    repo = Repository.objects.create(
        host="github.com", owner=owner, name=name, key=f"github.com/{owner}/{name}"
    )
    PaperRepository.objects.create(paper=paper, repository=repo, found_in="abstract")
    return repo


def _site() -> dict[str, str]:
    """Papers, repositories (one with star history), a user and a subscriber; their URLs."""
    today = datetime.now(UTC).date()
    words = "Sparse diffusion models learn well. " * 12
    with_code = _paper(
        "2503.00001",
        "Progressive Gradient Flow for Robust N:M Sparsity Training in Transformers",
        words + f"Code: https://github.com/abhibambhaniya/{LONG_REPO}",
        today,
        comments="12 pages, https://example.org/a/very/long/link/that/does/not/break/easily",
    )
    long_repo = _repository(with_code, "abhibambhaniya", LONG_REPO)
    # Cards: stars beside the long name, and a key sentence that is one long token.
    Repository.objects.filter(pk=long_repo.pk).update(stars=123_456)
    Paper.objects.filter(pk=with_code.pk).update(
        summary=f"Code: https://github.com/abhibambhaniya/{LONG_REPO}"
    )
    charted = _paper("2503.00002", "Dense Retrieval at Scale with Diffusion", words, today)
    repo = _repository(charted, "org", "retrieval")
    for offset in range(30):
        StarSnapshot.objects.create(
            repository=repo,
            observed_at=datetime.now(UTC) - timedelta(days=30 - offset),
            stars=10 * offset,
        )
    no_code = _paper("2503.00003", "A Paper Without Code", words, today - timedelta(days=1))
    title_only = _paper(
        "t:0123456789abcdef", "Title Only: Diffusion from a Trending Page", "", today
    )
    for number in range(40):
        _paper(f"2503.1{number:04d}", f"Filler paper {number} on diffusion", words, today)
    enqueue(Paper.objects.values_list("key", flat=True))
    indexing.sync()
    compute_scores(datetime.now(UTC))
    get_user_model().objects.create_user("reader", "reader@example.org", PASSWORD)
    subscriber = Subscriber.objects.create(email="reader@example.org")
    return {
        "trending": "/",
        "new": "/new",
        "today": "/papers/date/today",
        "paper with code": with_code.get_absolute_url(),
        "paper with a star chart": charted.get_absolute_url(),
        "paper without code": no_code.get_absolute_url(),
        "title-only paper": title_only.get_absolute_url(),
        "search": "/search?q=diffusion",
        "sign in": "/accounts/login",
        "sign up": "/accounts/signup",
        "subscribe": "/digests/subscribe",
        "preferences": f"/digests/preferences/{tokens.preferences_token(subscriber)}",
        "not found": "/no-such-page",
    }


def _problems(name: str, found: dict[str, Any], signed_in: bool) -> list[str]:
    width = found["width"]
    problems = []
    if found["scrollWidth"] > width:
        problems.append(f"scrolls sideways: {found['scrollWidth']}px wide in {width}px")
    if found["overflowing"]:
        problems.append(f"sticks out of the viewport: {found['overflowing'][:5]}")
    if found["unlabelled"]:
        problems.append(f"fields without a label: {found['unlabelled']}")
    if found["tooSmall"]:
        problems.append(f"controls under 36px tall: {found['tooSmall'][:5]}")
    if found["tinyText"]:
        problems.append(f"chart text under 10px: {found['tinyText'][:3]}")
    site, account = found["siteName"], found["account"]
    if site is None or account is None or account[0] >= site[1] or account[1] <= site[0]:
        who = "the account links" if not signed_in else "the signed-in account area"
        problems.append(f"{who} are not on the site name's row ({site} vs {account})")
    if name == "search" and found["searchBoxes"] != 1:
        problems.append(f"{found['searchBoxes']} search boxes")
    return [f"{name} at {width}px: {problem}" for problem in problems]


@pytest.mark.parametrize("width", [390, 1280])
def test_pages_fit_the_screen(browser: Any, live_server: Any, width: int) -> None:
    urls = _site()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    failures: list[str] = []
    try:
        for name, url in urls.items():
            response = page.goto(live_server.url + url)
            assert response is not None
            assert response.status == (404 if name == "not found" else 200), name
            if not page.locator("main h1").first.is_visible():
                failures.append(f"{name} at {width}px: no visible heading")
            failures += _problems(name, page.evaluate(MEASURE), signed_in=False)
        page.goto(f"{live_server.url}/accounts/login")
        page.fill("input[name=username]", "reader")
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        for name, url in {"submit (signed in)": "/submit", "trending (signed in)": "/"}.items():
            response = page.goto(live_server.url + url)
            assert response is not None and response.status == 200, name
            assert page.url == live_server.url + url, f"{name}: not signed in"
            failures += _problems(name, page.evaluate(MEASURE), signed_in=True)
    finally:
        context.close()
    assert failures == [], "\n".join(failures)
