"""Digest delivery against a real SMTP server (aiosmtpd on 127.0.0.1): claims, one
connection per batch, retries, hard bounces, killed and concurrent workers, dry runs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.db import connection, connections
from smtp_server import SMTPTestServer

from papertrend.digests import delivery
from papertrend.digests.delivery import DigestWorker, claim, send_batch
from papertrend.digests.models import Digest, Subscriber

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


class Clock:
    """A settable ``now``."""

    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def local_build(digest: Digest) -> EmailMessage:
    """A stand-in for the email module's ``digest_email``: just enough of a message."""
    return EmailMessage(
        subject=f"papertrend digest {digest.period}",
        body=f"{len(digest.items)} papers",
        from_email="papertrend <digests@localhost>",
        to=[digest.subscriber.email],
    )


def subscriber(email: str, confirmed: bool = True, **fields: object) -> Subscriber:
    return Subscriber.objects.create(
        email=email, confirmed_at=T0 - timedelta(days=1) if confirmed else None, **fields
    )


def digest(sub: Subscriber, period: str = "daily:2026-03-02", **fields: object) -> Digest:
    fields.setdefault("items", [{"paper": 1, "reason": "trending"}, {"paper": 2, "reason": "x"}])
    return Digest.objects.create(subscriber=sub, period=period, due_at=T0, **fields)


def make_digests(n: int, prefix: str = "reader") -> list[Digest]:
    return [digest(subscriber(f"{prefix}{i}@example.org")) for i in range(n)]


def worker(clock: Clock, name: str = "w1", batch: int = 50) -> DigestWorker:
    return DigestWorker(name, batch=batch, lease=LEASE, now=clock, build=local_build)


def assert_each_once(smtp: SMTPTestServer, emails: list[str]) -> None:
    assert sorted(smtp.recipients()) == sorted(emails)
    assert Counter(smtp.recipients()).most_common(1)[0][1] == 1


@pytest.mark.django_db
def test_a_batch_reuses_one_connection_and_records_the_message_id(smtp) -> None:
    digests = make_digests(5)
    summary = worker(Clock()).run_pass()
    assert summary.line() == "sent 5, retried 0, failed 0, inactive 0"
    assert smtp.sessions == 1 and len(smtp.messages) == 5
    assert_each_once(smtp, [d.subscriber.email for d in digests])
    by_rcpt = {m.rcpt_tos[0]: m.parsed() for m in smtp.messages}
    for row in Digest.objects.select_related("subscriber"):
        assert row.status == Digest.SENT and row.sent_at == T0
        assert row.claimed_by == "" and row.claimed_until is None
        assert by_rcpt[row.subscriber.email]["Message-ID"] == row.message_id
    assert worker(Clock()).run_pass().sent == 0  # sent is final


@pytest.mark.django_db
def test_smtp_down_then_up_sends_each_digest_exactly_once(smtp) -> None:
    emails = [d.subscriber.email for d in make_digests(4)]
    clock = Clock()
    smtp.down()
    assert worker(clock).run_pass().retried == 4
    rows = list(Digest.objects.all())
    assert {(r.status, r.attempts, r.claimed_by) for r in rows} == {("pending", 1, "")}
    assert all(r.next_attempt_at == T0 + timedelta(seconds=60) for r in rows)
    assert "connection failed" in rows[0].last_error
    assert worker(clock).run_pass().retried == 0  # backing off: nothing due yet

    clock.advance(seconds=61)
    smtp.drop_connections(1)  # coming back up: the first connection is cut before the greeting
    smtp.up()
    first = worker(clock).run_pass()
    assert (first.retried, first.sent) == (1, 3)
    clock.advance(seconds=121)
    assert worker(clock).run_pass().sent == 1
    clock.advance(days=1)
    assert worker(clock).run_pass().sent == 0
    assert_each_once(smtp, emails)
    assert set(Digest.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_a_4xx_is_retried_with_backoff_then_succeeds(smtp) -> None:
    digests = make_digests(3)
    greylisted = digests[1].subscriber.email
    smtp.refuse(greylisted, 451, times=2)
    clock = Clock()
    assert worker(clock).run_pass().line() == "sent 2, retried 1, failed 0, inactive 0"
    assert smtp.sessions == 1  # a refused recipient does not cost the connection
    row = Digest.objects.get(subscriber__email=greylisted)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        "pending",
        1,
        T0 + timedelta(seconds=60),
    )
    assert "451" in row.last_error
    clock.advance(seconds=61)
    assert worker(clock).run_pass().retried == 1
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at == clock.at + timedelta(seconds=120)
    clock.advance(seconds=121)
    assert worker(clock).run_pass().sent == 1
    assert_each_once(smtp, [d.subscriber.email for d in digests])
    assert smtp.rcpt_replies() == Counter({"250": 3, "451": 2})


@pytest.mark.django_db
def test_transient_failures_give_up_after_max_attempts(smtp, settings) -> None:
    settings.DIGEST_MAX_ATTEMPTS = 2
    make_digests(1)
    smtp.down()
    clock = Clock()
    assert worker(clock).run_pass().retried == 1
    clock.advance(hours=1)
    worker(clock).run_pass()
    row = Digest.objects.get()
    assert (row.status, row.attempts) == ("failed", 2)


@pytest.mark.django_db
def test_5xx_fails_and_repeated_hard_bounces_disable_the_subscriber(smtp, settings) -> None:
    settings.DIGEST_HARD_BOUNCE_LIMIT = 3
    bouncing = subscriber("gone@example.org")
    fine = subscriber("fine@example.org")
    smtp.refuse("gone@example.org", 550)
    clock = Clock()
    for day in range(1, 5):
        digest(bouncing, f"daily:2026-03-0{day}")
        digest(fine, f"daily:2026-03-0{day}")
        worker(clock).run_pass()
        clock.advance(days=1)
    bouncing.refresh_from_db()
    assert bouncing.hard_bounces == 3 and bouncing.disabled_at == T0 + timedelta(days=2)
    rows = Digest.objects.filter(subscriber=bouncing).order_by("period")
    assert [(r.status, r.last_error[:22]) for r in rows] == [
        ("failed", "recipient refused: 550"),
        ("failed", "recipient refused: 550"),
        ("failed", "recipient refused: 550"),
        ("failed", "subscriber inactive"),
    ]
    assert smtp.recipients() == ["fine@example.org"] * 4
    assert smtp.rcpt_replies()["550"] == 3  # nothing tried after the address was disabled


@pytest.mark.django_db
def test_the_default_message_is_digest_email_with_its_message_id_kept(smtp) -> None:
    row = digest(subscriber("reader@example.org"), items=[])
    assert DigestWorker("w1", now=Clock()).run_pass().sent == 1
    row.refresh_from_db()
    received = smtp.messages[0].parsed()
    assert received["Message-ID"] == row.message_id != ""
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.django_db
def test_unconfirmed_or_unsubscribed_subscribers_receive_nothing(smtp) -> None:
    digest(subscriber("unconfirmed@example.org", confirmed=False))
    digest(subscriber("left@example.org", unsubscribed_at=T0))
    digest(subscriber("reader@example.org"))
    summary = worker(Clock()).run_pass()
    assert (summary.sent, summary.inactive) == (1, 2)
    assert smtp.recipients() == ["reader@example.org"]
    assert set(Digest.objects.filter(status="failed").values_list("last_error", flat=True)) == {
        "subscriber inactive"
    }


class Killed(Exception):
    """The worker process dying mid-batch."""


@pytest.mark.django_db
def test_a_worker_killed_mid_batch_then_another_worker_sends_the_rest(smtp) -> None:
    emails = [d.subscriber.email for d in make_digests(6)]
    ids = claim("doomed", 6, T0, LEASE)
    assert len(ids) == 6
    calls = iter(range(10))

    def dies_after_three() -> bool:
        if next(calls) == 3:
            raise Killed
        return False

    mail = delivery.get_connection(fail_silently=False)
    with pytest.raises(Killed):
        send_batch(
            ids,
            mail,
            worker_id="doomed",
            lease=LEASE,
            now=Clock(),
            should_stop=dies_after_three,
            build=local_build,
        )
    assert len(smtp.messages) == 3
    assert Digest.objects.filter(status="pending", claimed_by="doomed").count() == 3
    clock = Clock(T0 + timedelta(seconds=30))
    assert worker(clock, "rescuer").run_pass().sent == 0  # the lease still holds
    clock.advance(seconds=31)
    assert worker(clock, "rescuer").run_pass().sent == 3
    assert_each_once(smtp, emails)


@pytest.mark.django_db
def test_sigterm_finishes_the_current_message_and_releases_the_rest(smtp) -> None:
    make_digests(4)
    w = worker(Clock())

    def build_then_stop(d: Digest) -> EmailMessage:
        w.request_stop()  # as the SIGTERM handler would, while this message is in flight
        return local_build(d)

    w.build = build_then_stop
    assert w.run(once=False, pause_s=0, echo=lambda line: None).sent == 1
    assert len(smtp.messages) == 1
    assert Digest.objects.filter(status="pending", claimed_by="").count() == 3


@pytest.mark.django_db
def test_dry_run_prints_and_sends_and_changes_nothing(smtp) -> None:
    make_digests(2)
    digest(subscriber("unconfirmed@example.org", confirmed=False))
    before = list(Digest.objects.order_by("id").values())
    lines: list[str] = []
    worker(Clock()).run(dry_run=True, echo=lines.append)
    assert len(lines) == 2
    assert "to reader0@example.org: 'papertrend digest daily:2026-03-02' (2 items)" in lines[0]
    assert smtp.sessions == 0 and smtp.messages == []
    assert list(Digest.objects.order_by("id").values()) == before


@pytest.mark.django_db
def test_the_command_dry_run(smtp, monkeypatch, capsys) -> None:
    monkeypatch.setattr(delivery, "default_build_message", local_build)
    make_digests(1)
    call_command("digests", "send", "--dry-run")
    assert "would send digest" in capsys.readouterr().out
    assert smtp.messages == [] and Digest.objects.get().status == "pending"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_worker_threads_on_postgresql(smtp) -> None:
    emails = [d.subscriber.email for d in make_digests(30)]
    results: list[int] = []
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            results.append(worker(Clock(), name, batch=3).run_pass().sent)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(f"t{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and sum(results) == 30
    assert_each_once(smtp, emails)


DRIVER = """
import sys
import django
django.setup()
from django.core.management import call_command
if sys.argv[1] == "seed":
    from datetime import datetime, UTC
    from papertrend.digests.models import Digest, Subscriber
    for i in range(int(sys.argv[2])):
        s = Subscriber.objects.create(email=f"p{i}@example.org", confirmed_at=datetime.now(UTC))
        Digest.objects.create(subscriber=s, period="daily:x", due_at=datetime.now(UTC))
    sys.exit(0)
call_command(*sys.argv[1:])
"""


def test_two_worker_processes_on_sqlite(tmp_path: Path) -> None:
    count = 20
    with SMTPTestServer() as smtp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "papertrend.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'digests.sqlite3'}",
            "PAPERTREND_DATA_DIR": str(tmp_path),
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": smtp.host,
            "EMAIL_PORT": str(smtp.port),
        }
        root = Path(__file__).resolve().parents[2]

        def driver(*args: str) -> subprocess.Popen[str]:
            command = [sys.executable, "-c", DRIVER, *args]
            return subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, text=True)

        for setup in (("migrate", "--verbosity", "0"), ("seed", str(count))):
            assert driver(*setup).wait(timeout=120) == 0
        workers = [
            driver("digests", "send", "--once", "--batch", "2", "--worker-id", w)
            for w in ("p1", "p2")
        ]
        outputs = [w.communicate(timeout=120)[0] for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        assert_each_once(smtp, [f"p{i}@example.org" for i in range(count)])
    with sqlite3.connect(tmp_path / "digests.sqlite3") as db:
        rows = db.execute("SELECT status, claimed_by FROM digests_digest").fetchall()
    assert rows == [("sent", "")] * count
