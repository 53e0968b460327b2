"""``papertrend digests build|send``: build due digests into the outbox and deliver them.

One cron entry is enough: ``send`` builds due digests at the start of every pass, e.g.
``*/5 * * * * papertrend digests send --once``, or run ``papertrend digests send`` as a
long-lived service (a pass every ``DIGEST_LOOP_SLEEP`` seconds, 60). SMTP settings come
from the environment (``EMAIL_BACKEND``, ``EMAIL_HOST``, ``EMAIL_PORT``, ...); the
default backend writes ``.eml`` files under ``var/outbox``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from papertrend.claims import stop_on_signals
from papertrend.digests.delivery import DigestWorker, next_due_text


def build_due_now() -> str:
    """Run the digest builder for ``now``; returns its stats as text."""
    from papertrend.digests.builder import build_due  # the builder module

    return str(build_due(timezone.now()))


class Command(BaseCommand):
    help = (
        "Email digests. 'build' creates the due digests (outbox rows); 'send' builds, "
        "then claims due digests and sends them over SMTP, retrying transient failures "
        "with backoff. Several senders may run at once. SIGTERM/SIGINT finish the "
        "current message and exit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("build", help="create the digests that are due now")
        send = actions.add_parser("send", help="build, then send due digests")
        send.add_argument("--once", action="store_true", help="one pass, then exit")
        send.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would be sent (to, subject, items); send and change nothing",
        )
        send.add_argument("--batch", type=int, default=None, help="digests per claim")
        send.add_argument("--worker-id", default=None, help="name of this worker's claims")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "build":
            self.stdout.write(f"digests build: {build_due_now()}; {next_due_text()}")
            return
        if options["batch"] is not None and options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        worker = DigestWorker(worker_id=options["worker_id"], batch=options["batch"])
        with stop_on_signals(worker.request_stop):
            worker.run(
                once=options["once"],
                dry_run=options["dry_run"],
                before_pass=lambda: self.stdout.write(
                    f"digests build: {build_due_now()}; {next_due_text()}"
                ),
                echo=self.stdout.write,
            )
