"""Subscribing with double opt-in, signed links, unsubscribing, preferences and preview."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from papertrend.digests import tokens
from papertrend.digests.delivery import DigestWorker
from papertrend.digests.models import Subscriber
from papertrend.papers.models import Paper
from tests.accounts.conftest import make_paper, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_cache(settings) -> None:
    """Rate-limit counters in a fresh in-process cache, so tests never share counts."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4()}",
        }
    }
    settings.SITE_URL = "https://papers.example.org"


@pytest.fixture
def strict() -> Client:
    return Client(enforce_csrf_checks=True)


def csrf_post(client: Client, page: str, data: dict[str, str] | None = None):
    """Load ``page`` (a form) and POST ``data`` back to it with the CSRF token, like a browser."""
    client.get(page)
    token = client.cookies["csrftoken"].value
    return client.post(page, {**(data or {}), "csrfmiddlewaretoken": token})


def link_in(message: mail.EmailMessage, kind: str) -> str:
    """The site path of the first ``/digests/<kind>/...`` link in the text part."""
    found = re.search(rf"https://papers\.example\.org(/digests/{kind}/\S+)", str(message.body))
    assert found, message.body
    return found.group(1)


def deliver() -> str:
    """One pass of the outbox worker (``papertrend digests send``), into ``mail.outbox``."""
    return DigestWorker("test").run_pass().line()


def active(email: str = "ada@example.org", **fields: object) -> Subscriber:
    return Subscriber.objects.create(email=email, confirmed_at=timezone.now(), **fields)


def test_opt_in_flow(strict: Client) -> None:
    page = strict.get("/digests/subscribe")
    assert page.status_code == 200 and 'name="email"' in page.content.decode()
    response = csrf_post(strict, "/digests/subscribe", {"email": " Ada@Example.ORG "})
    assert response.status_code == 302 and response["Location"] == "/digests/subscribe/sent"
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "ada@example.org" and not subscriber.is_active
    assert mail.outbox == []  # the worker sends it, not the request
    assert deliver().startswith("sent 1")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert "Confirm" in message.subject
    confirm = link_in(message, "confirm")

    # A link scanner (no session, no CSRF) GETs the link: a page, nothing confirmed.
    scanned = Client().get(confirm)
    assert scanned.status_code == 200 and '<form method="post">' in scanned.content.decode()
    assert scanned["Referrer-Policy"] == "no-referrer"
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None

    confirmed = csrf_post(strict, confirm)
    assert confirmed.status_code == 200 and "You are subscribed" in confirmed.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.is_active
    assert subscriber.next_digest_at is not None and subscriber.next_digest_at > timezone.now()
    assert len(mail.outbox) == 1  # confirming sends nothing


def test_confirm_post_without_csrf_token_is_refused(strict: Client) -> None:
    subscriber = Subscriber.objects.create(email="ada@example.org")
    path = f"/digests/confirm/{tokens.confirmation_token(subscriber)}"
    assert strict.post(path).status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None


def test_resubscribing_reveals_nothing(strict: Client) -> None:
    active("known@example.org")
    Subscriber.objects.create(email="pending@example.org")
    responses = [
        csrf_post(strict, "/digests/subscribe", {"email": email})
        for email in ("new@example.org", "known@example.org", "pending@example.org")
    ]
    assert {(r.status_code, r["Location"], r.content) for r in responses} == {
        (302, "/digests/subscribe/sent", b"")
    }
    deliver()
    # The confirmed address gets nothing; new and unconfirmed ones get the confirmation.
    assert sorted(m.to[0] for m in mail.outbox) == ["new@example.org", "pending@example.org"]
    known = Subscriber.objects.get(email="known@example.org")
    assert known.is_active
    # Asking again at once sends no second confirmation; the answer is the same.
    again = csrf_post(strict, "/digests/subscribe", {"email": "new@example.org"})
    deliver()
    assert again["Location"] == "/digests/subscribe/sent" and len(mail.outbox) == 2


def test_unsubscribed_address_must_confirm_again(strict: Client) -> None:
    active("ada@example.org", unsubscribed_at=timezone.now())
    csrf_post(strict, "/digests/subscribe", {"email": "ada@example.org"})
    deliver()
    assert len(mail.outbox) == 1
    subscriber = Subscriber.objects.get()
    assert not subscriber.is_active
    csrf_post(strict, link_in(mail.outbox[0], "confirm"))
    subscriber.refresh_from_db()
    assert subscriber.is_active


def test_signed_in_subscription_is_attached_and_prefilled(strict: Client) -> None:
    user = make_user("grace")
    strict.force_login(user)
    assert 'value="grace@example.org"' in strict.get("/digests/subscribe").content.decode()
    csrf_post(strict, "/digests/subscribe", {"email": "grace@example.org"})
    assert Subscriber.objects.get().user == user


def test_invalid_email_is_a_form_error(strict: Client) -> None:
    response = csrf_post(strict, "/digests/subscribe", {"email": "not an address"})
    assert response.status_code == 400 and "valid email" in response.content.decode()
    assert not Subscriber.objects.exists() and not mail.outbox


def test_subscribe_is_rate_limited_per_ip(strict: Client, settings) -> None:
    settings.SUBSCRIBE_RATE = "2/h"
    codes = [
        csrf_post(strict, "/digests/subscribe", {"email": f"p{n}@example.org"}).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]
    assert Subscriber.objects.count() == 2


def test_expired_confirmation_link(client: Client) -> None:
    subscriber = Subscriber.objects.create(email="ada@example.org")
    token = tokens.confirmation_token(subscriber)
    later = timezone.now() + tokens.CONFIRMATION_MAX_AGE + timedelta(minutes=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: later.timestamp())
        with pytest.raises(tokens.ExpiredToken):
            tokens.read_confirmation_token(token)
        response = client.post(f"/digests/confirm/{token}")
    assert response.status_code == 410 and "expired" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None


def test_tampered_and_cross_purpose_tokens_are_refused(client: Client) -> None:
    subscriber = active()
    other = active("bob@example.org")
    unsubscribe = tokens.unsubscribe_token(subscriber)
    forged = unsubscribe.replace(f"{subscriber.pk}.", f"{other.pk}.", 1)
    for path in (
        f"/digests/unsubscribe/{forged}",
        f"/digests/unsubscribe/{unsubscribe[:-2]}",
        f"/digests/unsubscribe/{tokens.preferences_token(subscriber)}",  # wrong purpose
        f"/digests/confirm/{unsubscribe}",
        f"/digests/preferences/{unsubscribe}",
        "/digests/preview?token=junk",
    ):
        response = client.post(path) if "unsubscribe" in path else client.get(path)
        assert response.status_code == 400, path
    assert Subscriber.objects.filter(unsubscribed_at__isnull=False).count() == 0


def test_changed_address_invalidates_tokens() -> None:
    subscriber = active()
    unsubscribe = tokens.unsubscribe_token(subscriber)
    preferences = tokens.preferences_token(subscriber)
    assert tokens.read_unsubscribe_token(unsubscribe) == subscriber
    Subscriber.objects.filter(pk=subscriber.pk).update(email="new@example.org")
    with pytest.raises(tokens.InvalidToken):
        tokens.read_unsubscribe_token(unsubscribe)
    with pytest.raises(tokens.InvalidToken):
        tokens.read_preferences_token(preferences)


def test_one_click_unsubscribe_by_post_without_session_or_csrf() -> None:
    subscriber = active()
    path = f"/digests/unsubscribe/{tokens.unsubscribe_token(subscriber)}"
    mail_provider = Client(enforce_csrf_checks=True)
    response = mail_provider.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None and not subscriber.is_active
    assert not mail_provider.cookies.get("sessionid")
    # Idempotent: a second POST keeps the first time.
    first = subscriber.unsubscribed_at
    assert mail_provider.post(path).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at == first


def test_get_does_not_unsubscribe(client: Client) -> None:
    subscriber = active()
    path = f"/digests/unsubscribe/{tokens.unsubscribe_token(subscriber)}"
    for method in (client.get, client.head):
        assert method(path).status_code == 200
    assert "Unsubscribe</button>" in client.get(path).content.decode()
    assert client.put(path).status_code == 405
    subscriber.refresh_from_db()
    assert subscriber.is_active


def test_preferences_update(strict: Client) -> None:
    subscriber = active(user=make_user("ada"))
    page = f"/digests/preferences/{tokens.preferences_token(subscriber)}"
    form = strict.get(page)
    assert form.status_code == 200 and "similar_to_saved" in form.content.decode()
    response = csrf_post(
        strict,
        page,
        {
            "top_trending": "5",
            "categories": "cs.LG, cs.CL cs.LG",
            "query": "  test-time   adaptation ",
            "authors": "Yann LeCun\n\n Hinton, Geoffrey \n",
            "similar_to_saved": "on",
            "frequency": "weekly",
            "weekday": "2",
            "hour": "7",
            "timezone": "Europe/Paris",
        },
    )
    assert response.status_code == 200 and "Saved." in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.top_trending == 5
    assert subscriber.categories == ["cs.LG", "cs.CL"]
    assert subscriber.query == "test-time adaptation"
    assert subscriber.authors == ["Yann LeCun", "Hinton, Geoffrey"]
    assert subscriber.similar_to_saved
    assert (subscriber.frequency, subscriber.weekday, subscriber.hour) == ("weekly", 2, 7)
    assert subscriber.timezone == "Europe/Paris"
    due = subscriber.next_digest_at
    assert due is not None
    local = timezone.localtime(due, timezone=__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert (local.weekday(), local.hour) == (2, 7)


def test_preferences_reject_bad_values(strict: Client) -> None:
    subscriber = active()
    page = f"/digests/preferences/{tokens.preferences_token(subscriber)}"
    assert "similar_to_saved" not in strict.get(page).content.decode()  # no account
    response = csrf_post(
        strict,
        page,
        {
            "top_trending": "500",
            "categories": "cs.LG <script>",
            "frequency": "hourly",
            "weekday": "0",
            "hour": "24",
            "timezone": "Mars/Olympus",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"top_trending", "categories", "frequency", "hour", "timezone"}
    subscriber.refresh_from_db()
    assert subscriber.top_trending == 10 and subscriber.timezone == "UTC"


def test_preview_renders_next_digest(client: Client) -> None:
    now = timezone.now()
    subscriber = active(categories=["cs.LG"], next_digest_at=now + timedelta(hours=1))
    paper = make_paper("Previewed <b>paper</b> $\\alpha$", feed_day=now.date())
    Paper.objects.filter(pk=paper.pk).update(categories=["cs.LG"], primary_category="cs.LG")
    response = client.get(f"/digests/preview?token={tokens.preferences_token(subscriber)}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview" in html and "<b>paper" not in html
    assert "Previewed &lt;b&gt;paper&lt;/b&gt; \u03b1" in html and "new in cs.LG" in html
    subscriber.refresh_from_db()
    assert not subscriber.digests.exists() and not subscriber.sent_papers.exists()
