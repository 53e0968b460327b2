"""Send rate to a local SMTP sink: one reused connection vs one connection per message.

Run: ``.venv/bin/python bench/digests_send_bench.py [messages]`` (default 2000). Starts
the aiosmtpd sink of ``tests/smtp_server.py`` on 127.0.0.1 and sends the same small
message through Django's SMTP backend both ways, in the same run; prints messages/s.
Then the whole pipeline: ``messages`` pending digests of 10 papers each in a throwaway
SQLite database, sent by one ``DigestWorker`` pass (claim, render with
``digest_email``, send, mark sent).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
os.environ["PAPERTREND_DATA_DIR"] = __import__("tempfile").mkdtemp(prefix="send-bench-")

import django  # noqa: E402

django.setup()

from django.core.mail import EmailMessage  # noqa: E402
from django.core.mail.backends.smtp import EmailBackend  # noqa: E402
from smtp_server import SMTPTestServer  # noqa: E402


def message(i: int) -> EmailMessage:
    """A digest-sized plain message (about 4 KB) to reader ``i``."""
    return EmailMessage(f"digest {i}", "paper line\n" * 400, "d@localhost", [f"r{i}@example.org"])


def rate(port: int, count: int, reuse: bool) -> float:
    """Messages per second sending ``count`` messages, reusing one connection or not."""
    start = time.perf_counter()
    if reuse:
        backend = EmailBackend(host="127.0.0.1", port=port, fail_silently=False)
        backend.open()
        for i in range(count):
            backend.send_messages([message(i)])
        backend.close()
    else:
        for i in range(count):
            EmailBackend(host="127.0.0.1", port=port, fail_silently=False).send_messages(
                [message(i)]
            )
    return count / (time.perf_counter() - start)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with SMTPTestServer() as sink:
        per_message = rate(sink.port, count, reuse=False)
        per_message_rate.append(per_message)
        reused = rate(sink.port, count, reuse=True)
        assert len(sink.messages) == 2 * count
        print(f"{count} messages each way, sessions seen: {sink.sessions}")
    print(f"one connection per message: {per_message:8.1f} messages/s")
    print(f"one reused connection:      {reused:8.1f} messages/s ({reused / per_message:.1f}x)")
    pipeline(count)


def pipeline(count: int) -> None:
    """Digests per second through a DigestWorker pass, to the same kind of sink."""
    from datetime import UTC, datetime, timedelta

    from django.conf import settings
    from django.core.management import call_command

    from papertrend.digests.delivery import DigestWorker
    from papertrend.digests.models import Digest, Subscriber
    from papertrend.papers.models import Paper

    call_command("migrate", interactive=False, verbosity=0)
    now = datetime(2026, 11, 27, 9, tzinfo=UTC)
    papers = Paper.objects.bulk_create(
        Paper(
            key=f"2611.{i:05d}",
            arxiv_id=f"2611.{i:05d}",
            title_key=f"t{i}",
            title=f"Paper {i} on sparse attention",
            abstract="An abstract. " * 40,
            feed_day=now.date(),
        )
        for i in range(10)
    )
    items = [{"paper": p.pk, "reason": "new this period"} for p in papers]
    subs = Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{i}@example.org", confirmed_at=now - timedelta(days=1))
        for i in range(count)
    )
    Digest.objects.bulk_create(
        Digest(subscriber=s, period="daily:2026-11-27", due_at=now, items=items) for s in subs
    )
    with SMTPTestServer() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        start = time.perf_counter()
        summary = DigestWorker("bench", batch=200, now=lambda: now).run_pass()
        took = time.perf_counter() - start
        assert len(sink.messages) == count, summary
    print(
        f"pipeline (claim, digest_email, send, mark sent): {count / took:8.1f} digests/s "
        f"({summary.line()}); {count / took / per_message_rate[0]:.2f}x the per-message "
        "connection baseline"
    )


per_message_rate: list[float] = []


if __name__ == "__main__":
    main()
