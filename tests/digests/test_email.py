"""The emails: one builder, three templates, inlined CSS, and the digest's bytes and headers."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from django.core import mail
from django.utils import timezone

from papertrend.coderepos.models import PaperRepository, Repository
from papertrend.digests import tokens
from papertrend.digests.email import build_email, confirmation_email, digest_email
from papertrend.digests.models import Digest, Subscriber
from tests.accounts.conftest import make_paper

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script> Attention $\\alpha$-stable"


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.SITE_URL = "https://papers.example.org"
    settings.DEFAULT_FROM_EMAIL = "papertrend <digests@papers.example.org>"
    settings.DIGEST_UNSUBSCRIBE_MAILTO = "unsubscribe@papers.example.org"


def parsed(message) -> EmailMessage:
    raw = message.message().as_bytes()
    result = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(result, EmailMessage)
    return result


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


@pytest.fixture
def digest() -> Digest:
    subscriber = Subscriber.objects.create(
        email="ada@example.org",
        confirmed_at=timezone.now(),
        frequency=Subscriber.WEEKLY,
        weekday=0,
        timezone="Europe/Paris",
    )
    hostile = make_paper(HOSTILE)
    hostile.abstract = "We show that $O(n^2)$ \\emph{suffices} & <img src=x onerror=alert(1)>."
    hostile.authors = [{"keyname": "Bal\\'azs", "forenames": "Eva"}]
    hostile.save()
    plain = make_paper("A plain title")
    hidden = make_paper("Hidden by a moderator", hidden=True)
    repository = Repository.objects.create(host="github.com", owner="ada", name="stable")
    PaperRepository.objects.create(paper=hostile, repository=repository)
    return Digest.objects.create(
        subscriber=subscriber,
        period="weekly:2026-W10",
        due_at=datetime(2026, 3, 2, 7, tzinfo=UTC),
        items=[
            {"paper": plain.pk, "reason": "+420 stars this week"},
            {"paper": hidden.pk, "reason": "hidden"},
            {"paper": hostile.pk, "reason": "matches 'test-time <adaptation>'"},
            {"paper": 10**9, "reason": "deleted"},
        ],
    )


def test_digest_bytes(digest: Digest) -> None:
    message = parsed(digest_email(digest))
    assert message["To"] == "ada@example.org"
    assert message["From"] == "papertrend <digests@papers.example.org>"
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith(
        "@papers.example.org>"
    )
    assert email.utils.parsedate_to_datetime(message["Date"]).tzinfo is not None
    token = tokens.unsubscribe_token(digest.subscriber)
    # Long headers are folded on the wire; unfolded, the value is exactly this.
    assert message["List-Unsubscribe"].strip() == (
        f"<https://papers.example.org/digests/unsubscribe/{token}>, "
        "<mailto:unsubscribe@papers.example.org?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)

    # Plain text: TeX as readable text, papers in order with reasons, no hidden/deleted.
    hostile_text = "<script>alert(1)</script> Attention \u03b1-stable"
    assert text.index("A plain title") < text.index(hostile_text)
    assert "+420 stars this week" in text and "matches 'test-time <adaptation>'" in text
    assert "O(n^2) suffices" in text and "Eva Balázs" in text
    assert "Hidden by a moderator" not in text and "deleted" not in text
    assert "https://github.com/ada/stable" in text
    assert "https://papers.example.org/papers/2501." in text
    assert f"https://papers.example.org/digests/unsubscribe/{token}" in text
    assert "/digests/preferences/" in text and "every Monday at 08:00 Europe/Paris time" in text

    # HTML: the hostile title and abstract escaped, CSS inlined, nothing loaded.
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x" in html
    assert "&lt;adaptation&gt;" in html
    assert "<style" not in html and 'style="' in html
    assert 'href="https://github.com/ada/stable"' in html
    assert html.index("A plain title") < html.index("&lt;script&gt;")
    assert f'href="https://papers.example.org/digests/unsubscribe/{token}"' in html


def test_digest_subject_and_no_mailto_when_unset(digest: Digest, settings) -> None:
    settings.DIGEST_UNSUBSCRIBE_MAILTO = ""
    built = digest_email(digest)
    assert built.subject.startswith("papertrend: 2 papers for you")
    assert "\n" not in built.subject
    message = parsed(built)
    assert (
        message["List-Unsubscribe"].strip().startswith("<https://")
        and "mailto" not in (message["List-Unsubscribe"])
    )


def test_retry_reuses_recorded_message_id(digest: Digest) -> None:
    digest.message_id = "<recorded.1@papers.example.org>"
    assert parsed(digest_email(digest))["Message-ID"] == "<recorded.1@papers.example.org>"
    digest.message_id = ""
    assert (
        digest_email(digest).extra_headers["Message-ID"]
        != digest_email(digest).extra_headers["Message-ID"]
    )


def test_confirmation_email_is_sent_through_backend() -> None:
    subscriber = Subscriber.objects.create(email="ada@example.org")
    confirmation_email(subscriber).send()
    assert len(mail.outbox) == 1
    message = parsed(mail.outbox[0])
    text, html = parts(message)
    found = re.search(r"https://papers\.example\.org/digests/confirm/(\S+)", text)
    assert found and tokens.read_confirmation_token(found.group(1)) == subscriber
    assert "7 days" in text and 'style="' in html and "<img" not in html
    assert "List-Unsubscribe" not in message  # not a list message
    assert message["Message-ID"].endswith("@papers.example.org>")


def test_build_email_keeps_given_headers() -> None:
    subscriber = Subscriber.objects.create(email="ada@example.org")
    built = build_email(
        "confirmation",
        {"subscriber": subscriber, "confirm_url": "https://x/c", "expires_days": 7},
        "ada@example.org",
        headers={"Date": "Mon, 02 Mar 2026 07:00:00 GMT", "X-Extra": "1"},
    )
    message = parsed(built)
    assert email.utils.parsedate_to_datetime(message["Date"]) == datetime(2026, 3, 2, 7, tzinfo=UTC)
    assert message["X-Extra"] == "1"
