"""``papertrend digests build|send``: build due digests into the outbox and deliver them.

``send`` also delivers the confirmation emails subscribe requests queue in the outbox;
``papertrend serve`` starts one ``send`` loop beside the site (``--no-mail-worker`` not).

One cron entry is enough: ``send`` builds due digests at the start of every pass, e.g.
``*/5 * * * * papertrend digests send --once``, or run ``papertrend digests send`` as a
long-lived service (a pass every ``DIGEST_LOOP_SLEEP`` seconds, 60). SMTP settings come
from the environment (``EMAIL_BACKEND``, ``EMAIL_HOST``, ``EMAIL_PORT``, ...); the
default backend writes ``.eml`` files under ``var/outbox``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from papertrend.claims import stop_on_signals
from papertrend.digests.delivery import DigestWorker, next_due_text

logger = logging.getLogger(__name__)


def build_due_now() -> str:
    """Run the digest builder for ``now``; returns its stats as text."""
    from papertrend.digests.builder import build_due  # the builder module

    return str(build_due(timezone.now()))


def stop_when_parent_exits(request_stop: Callable[[], object], poll_s: float = 1.0) -> None:
    """Call ``request_stop`` once this process's parent has exited (it is re-parented).

    For the worker ``papertrend serve`` starts beside gunicorn: it should not outlive the
    site. Polls ``os.getppid()`` in a daemon thread every ``poll_s`` seconds.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        logger.info("digests: the process that started this one exited; stopping")
        request_stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


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
        send.add_argument(
            "--stop-with-parent",
            action="store_true",
            help="stop when the process that started this one exits (used by `papertrend serve`)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "build":
            self.stdout.write(f"digests build: {build_due_now()}; {next_due_text()}")
            return
        if options["batch"] is not None and options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        worker = DigestWorker(worker_id=options["worker_id"], batch=options["batch"])
        if options["stop_with_parent"]:
            stop_when_parent_exits(lambda: worker.request_stop())
        with stop_on_signals(worker.request_stop):
            worker.run(
                once=options["once"],
                dry_run=options["dry_run"],
                before_pass=lambda: self.stdout.write(
                    f"digests build: {build_due_now()}; {next_due_text()}"
                ),
                echo=self.stdout.write,
            )
