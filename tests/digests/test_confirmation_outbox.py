"""Confirmation emails go through the outbox: the subscribe request never talks SMTP.

Every subscribe request (new, pending, confirmed, unsubscribed address) does the same
work and gets the same bytes; the ``digests send`` worker delivers exactly one
confirmation over a real SMTP server (aiosmtpd); an old confirmation link cannot
re-subscribe an address that has unsubscribed since.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from smtp_server import Received

from papertrend.digests import tokens
from papertrend.digests.delivery import DigestWorker
from papertrend.digests.models import Digest, Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_url(settings) -> None:
    settings.SITE_URL = "https://papers.example.org"


def subscribe(email: str):
    client = Client(enforce_csrf_checks=True)
    client.get("/digests/subscribe")
    token = client.cookies["csrftoken"].value
    return client.post("/digests/subscribe", {"email": email, "csrfmiddlewaretoken": token})


def send_pass() -> str:
    return DigestWorker("test-worker").run_pass().line()


def confirm_path(message: Received) -> str:
    body = message.raw.decode("utf-8", "replace").replace("=\r\n", "")
    found = re.search(r"https://papers\.example\.org(/digests/confirm/[^\s\"<>]+)", body)
    assert found, body
    return found.group(1)


def post_form(path: str):
    """POST the page's form as a browser would (the CSRF cookie from a page with a form)."""
    client = Client(enforce_csrf_checks=True)
    client.get("/digests/subscribe")
    return client.post(path, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_the_request_sends_nothing_and_the_worker_sends_exactly_one(smtp) -> None:
    response = subscribe("ada@example.org")
    assert response.status_code == 302
    assert smtp.messages == [] and smtp.sessions == 0  # no SMTP during the request
    row = Digest.objects.get()
    assert (row.kind, row.status, row.subscriber.email) == (
        "confirmation",
        "pending",
        "ada@example.org",
    )

    assert send_pass().startswith("sent 1")
    (message,) = smtp.messages
    assert message.rcpt_tos == ["ada@example.org"]
    assert "Confirm" in message.parsed()["Subject"]
    row.refresh_from_db()
    assert row.status == "sent" and row.message_id == message.parsed()["Message-ID"]
    assert send_pass().startswith("sent 0")
    assert len(smtp.messages) == 1


def test_resend_at_most_every_ten_minutes(smtp) -> None:
    subscribe("ada@example.org")
    subscribe("ada@example.org")
    send_pass()
    assert len(smtp.messages) == 1
    # Ten minutes later a new request queues a new confirmation.
    Subscriber.objects.update(confirmation_sent_at=timezone.now() - timedelta(minutes=10))
    subscribe("ada@example.org")
    send_pass()
    assert [m.rcpt_tos for m in smtp.messages] == [["ada@example.org"]] * 2


def test_every_address_state_does_the_same_work_and_gets_the_same_bytes(smtp) -> None:
    now = timezone.now()
    Subscriber.objects.create(email="pending@example.org")
    Subscriber.objects.create(email="known@example.org", confirmed_at=now)
    Subscriber.objects.create(email="gone@example.org", confirmed_at=now, unsubscribed_at=now)
    emails = ["new@example.org", "pending@example.org", "known@example.org", "gone@example.org"]
    responses = [subscribe(email) for email in emails]
    assert {(r.status_code, r["Location"], r.content) for r in responses} == {
        (302, "/digests/subscribe/sent", b"")
    }
    assert smtp.sessions == 0
    # One outbox row per request, whatever the state; only the active one is skipped.
    rows = {d.subscriber.email: d.status for d in Digest.objects.select_related("subscriber")}
    assert rows == {
        "new@example.org": "pending",
        "pending@example.org": "pending",
        "known@example.org": "skipped",
        "gone@example.org": "pending",
    }
    send_pass()
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(
        ["new@example.org", "pending@example.org", "gone@example.org"]
    )


def test_a_confirmation_queued_for_an_address_confirmed_meanwhile_is_not_sent(smtp) -> None:
    subscribe("ada@example.org")
    Subscriber.objects.update(confirmed_at=timezone.now())
    assert "inactive 1" in send_pass()
    assert smtp.messages == []
    assert Digest.objects.get().status == "skipped"


def test_a_failed_confirmation_is_retried_by_the_worker(smtp) -> None:
    subscribe("ada@example.org")
    smtp.refuse("ada@example.org", 451, times=1)
    assert "retried 1" in send_pass()
    Digest.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert send_pass().startswith("sent 1")
    assert [m.rcpt_tos for m in smtp.messages] == [["ada@example.org"]]


def test_an_old_confirmation_link_does_not_resubscribe(smtp) -> None:
    subscribe("ada@example.org")
    send_pass()
    old_link = confirm_path(smtp.messages[0])
    assert post_form(old_link).status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.is_active
    assert post_form(old_link).status_code == 200  # confirming twice is harmless

    unsubscribe = f"/digests/unsubscribe/{tokens.unsubscribe_token(subscriber)}"
    assert Client().post(unsubscribe).status_code == 200
    # The old link no longer works: it shows the bad-link page and changes nothing.
    response = post_form(old_link)
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert not subscriber.is_active and subscriber.unsubscribed_at is not None

    # Subscribing again sends a new link, which works.
    Subscriber.objects.update(confirmation_sent_at=None)
    subscribe("ada@example.org")
    send_pass()
    new_link = confirm_path(smtp.messages[-1])
    assert new_link != old_link and post_form(new_link).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.is_active


def test_an_old_confirmation_link_does_not_re_enable_a_bounced_address(smtp) -> None:
    subscriber = Subscriber.objects.create(email="ada@example.org")
    link = f"/digests/confirm/{tokens.confirmation_token(subscriber)}"
    Subscriber.objects.update(
        confirmed_at=timezone.now(), disabled_at=timezone.now() + timedelta(seconds=1)
    )
    assert post_form(link).status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.disabled_at is not None


def test_the_worker_prunes_old_confirmation_rows_but_keeps_failed_ones(smtp) -> None:
    # Every subscribe request writes a row; without pruning the outbox grows forever.
    for number in range(3):
        subscribe(f"reader{number}@example.org")
    send_pass()
    assert Digest.objects.filter(kind=Digest.CONFIRMATION, status=Digest.SENT).count() == 3
    subscribe("reader0@example.org")  # within RESEND_AFTER: a skipped row
    failed = Digest.objects.filter(kind=Digest.CONFIRMATION).order_by("id").first()
    assert failed is not None
    Digest.objects.filter(pk=failed.pk).update(status=Digest.FAILED)
    Digest.objects.filter(kind=Digest.CONFIRMATION).update(
        due_at=timezone.now() - timedelta(days=8)
    )
    subscribe("reader9@example.org")  # a fresh one stays and is sent
    send_pass()
    left = Digest.objects.filter(kind=Digest.CONFIRMATION)
    assert sorted(left.values_list("status", flat=True)) == [Digest.FAILED, Digest.SENT]
    assert left.get(status=Digest.SENT).subscriber.email == "reader9@example.org"
    assert len(smtp.messages) == 4


def test_a_dry_run_calls_a_confirmation_a_confirmation(smtp) -> None:
    subscribe("brandnew@example.org")
    lines: list[str] = []
    DigestWorker("test-worker").run(dry_run=True, echo=lines.append)
    (line,) = lines
    assert line.startswith("would send confirmation email ")
    assert "brandnew@example.org" in line and "digest" not in line.split(":")[0]
    assert smtp.messages == []
