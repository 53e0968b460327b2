"""Send rate to a local SMTP sink: one reused connection vs one connection per message.

Run: ``.venv/bin/python bench/digests_send_bench.py [messages]`` (default 2000). Starts
the aiosmtpd sink of ``tests/smtp_server.py`` on 127.0.0.1 and sends the same small
message through Django's SMTP backend both ways, in the same run; prints messages/s.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")

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
        reused = rate(sink.port, count, reuse=True)
        assert len(sink.messages) == 2 * count
        print(f"{count} messages each way, sessions seen: {sink.sessions}")
    print(f"one connection per message: {per_message:8.1f} messages/s")
    print(f"one reused connection:      {reused:8.1f} messages/s ({reused / per_message:.1f}x)")


if __name__ == "__main__":
    main()
