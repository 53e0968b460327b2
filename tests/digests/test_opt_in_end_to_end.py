"""The whole double opt-in flow over a real SMTP server, down to the first digest."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.test import Client
from django.utils import timezone

from papertrend.digests.builder import build_due
from papertrend.digests.delivery import DigestWorker
from papertrend.digests.models import Subscriber
from papertrend.papers.models import Paper
from papertrend.trending.score import compute_scores


def _csrf_post(client: Client, url: str, data: dict[str, str]):
    client.get(url)
    token = client.cookies["csrftoken"].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


@pytest.mark.django_db
def test_subscribe_confirm_and_receive_the_first_digest(smtp, settings) -> None:
    client = Client(enforce_csrf_checks=True)
    _csrf_post(client, "/digests/subscribe", {"email": "Reader@Example.org"})
    assert smtp.messages == []  # the request only queues it
    DigestWorker("w0").run_pass()
    (confirmation,) = smtp.messages
    assert confirmation.rcpt_tos == ["reader@example.org"]
    body = confirmation.raw.decode("utf-8", "replace")
    link = re.search(r"(/digests/confirm/[^\s\"<>]+)", body.replace("=\r\n", ""))
    assert link, body

    # A mail scanner following the link confirms nothing.
    scanner = Client()
    assert scanner.get(link.group(1)).status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed_at is None

    # Nothing is ever built or sent for an unconfirmed address.
    later = timezone.now() + timedelta(days=8)
    assert str(build_due(later)).startswith("0 due")
    assert len(smtp.messages) == 1

    _csrf_post(client, link.group(1), {})
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is not None and subscriber.next_digest_at is not None

    due = subscriber.next_digest_at
    paper = Paper.objects.create(
        key="2611.00001",
        arxiv_id="2611.00001",
        title_key="k",
        title="Sparse <script>alert(1)</script> Attention",
        feed_day=(due - timedelta(hours=1)).date(),
        published=due - timedelta(hours=30),
    )
    compute_scores(due)
    build_due(due + timedelta(minutes=1))
    summary = DigestWorker("w1", now=lambda: due + timedelta(minutes=2)).run_pass()
    assert summary.line().startswith("sent 1")
    digest = smtp.messages[-1]
    assert digest.rcpt_tos == ["reader@example.org"] and len(smtp.messages) == 2
    message = message_from_bytes(digest.raw, policy=policy.default)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html  # the hostile title, escaped
    assert paper.key in html and "new this period" in text
