"""Deliver the digest outbox over SMTP: the ``papertrend digests send`` workers.

Claiming. A worker claims a batch of due digests (``status=pending``, ``next_attempt_at``
null or past, no live claim) by setting ``claimed_by`` and a lease ``claimed_until``
(``now + DIGEST_CLAIM_SECONDS``, 10 min), renewed before each message; a crashed
worker's claim simply expires and another worker takes the digest. On PostgreSQL the
batch is picked with ``SELECT ... FOR UPDATE SKIP LOCKED`` in a short transaction; on
SQLite (which serializes writers; the project opens transactions IMMEDIATE) with a
conditional ``UPDATE ... WHERE claim free``, then reading back the rows this worker
got. This is the claim of :mod:`papertrend.coderepos.stars`.

Confirmation emails (``kind="confirmation"`` rows, written by the subscribe view) go
through the same claims, retries and bounce counting; they are sent only while the
address is still not active (one confirmed meanwhile gets nothing: ``skipped``).

Sending. One SMTP connection (``django.core.mail.get_connection()``, opened once) is
reused for the batch. Per digest:

* subscriber no longer active (unsubscribed, disabled, unconfirmed): ``failed``,
  ``last_error="subscriber inactive"``; nothing is sent;
* accepted: ``sent``, ``sent_at``, ``message_id``, committed right away;
* transient failure (a 4xx reply, the server disconnecting, connection refused or a
  timeout): ``attempts += 1``, ``next_attempt_at = now + backoff`` (``DIGEST_RETRY_BASE_S``
  60 s, doubling, at most ``DIGEST_RETRY_MAX_S`` 6 h), still ``pending``; the
  connection is reopened. After ``DIGEST_MAX_ATTEMPTS`` (8) attempts: ``failed``;
* permanent failure (a 5xx reply): ``failed`` with ``last_error``, and the subscriber's
  ``hard_bounces`` grows; at ``DIGEST_HARD_BOUNCE_LIMIT`` (3) consecutive hard bounces
  ``disabled_at`` is set and nothing more is mailed there. A delivery resets the count.

Exactly once. A digest marked ``sent`` is never claimed again, and one is only marked
after the SMTP server accepted it. The one window that cannot be closed is between the
server's "250 accepted" and the commit that marks the row ``sent`` (a worker killed
there, or the database failing there): the lease then expires and another worker sends
the digest a second time. The window is kept to a single-row ``UPDATE`` in autocommit
issued as soon as ``send_messages`` returns, and the Message-ID is stored before the
send (``digest_email`` reuses it), so such a second copy is the same message to the
recipient's mail client. A worker killed *before* the send leaves a
claim that expires; the digest is then sent by whichever worker claims it next.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from papertrend import claims
from papertrend.digests.models import Digest, Subscriber

logger = logging.getLogger(__name__)

INACTIVE = "subscriber inactive"
ALREADY_ACTIVE = "already confirmed"

BuildMessage = Callable[[Digest], EmailMessage]

# Confirmation rows are written by every subscribe request, needed or not; once sent
# or skipped they only serve RESEND_AFTER (minutes), so a week is ample to keep them.
CONFIRMATIONS_KEPT = timedelta(days=7)


@dataclass
class SendSummary:
    """Counts for a batch or pass: messages ``sent``, ``retried`` later (transient
    failure), ``failed`` (permanent, or out of attempts), ``inactive``: digests for
    subscribers no longer active and confirmations for addresses confirmed meanwhile."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    inactive: int = 0

    def add(self, other: SendSummary) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def line(self) -> str:
        """One-line text, e.g. ``sent 3, retried 0, failed 1, inactive 0``."""
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self))


class Transient(Exception):
    """A failure worth retrying later; ``reconnect``: the connection is unusable."""

    def __init__(self, message: str, reconnect: bool) -> None:
        super().__init__(message)
        self.reconnect = reconnect


class Permanent(Exception):
    """The server refused the message for good (5xx): a hard bounce."""


def classify(exc: BaseException) -> Transient | Permanent:
    """Sort an exception raised by sending into :class:`Transient` or :class:`Permanent`.

    Recipients refused: permanent only when every refusal is 5xx. Other SMTP replies: by
    their code (4xx transient, 5xx permanent; 421 also closes the connection). The
    server disconnecting, refused connections, timeouts and other ``OSError``: transient,
    reconnect. Anything else from smtplib: transient.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(f"{code} {msg!r}" for code, msg in exc.recipients.values())
        if codes and all(500 <= code <= 599 for code in codes):
            return Permanent(f"recipient refused: {text}")
        return Transient(f"recipient refused: {text}", reconnect=False)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Transient(f"server disconnected: {exc}", reconnect=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {exc.smtp_error!r}"
        if 500 <= exc.smtp_code <= 599:
            return Permanent(text)
        return Transient(text, reconnect=exc.smtp_code == 421 or exc.smtp_code < 400)
    if isinstance(exc, OSError):
        return Transient(f"connection failed: {exc!r}", reconnect=True)
    return Transient(f"{type(exc).__name__}: {exc}", reconnect=True)


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: base * 2**(attempts-1), capped."""
    base = float(getattr(settings, "DIGEST_RETRY_BASE_S", 60))
    cap = float(getattr(settings, "DIGEST_RETRY_MAX_S", 6 * 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


# --- claiming ---------------------------------------------------------------------------


def due(now: datetime) -> QuerySet[Digest]:
    """Pending digests whose (next) attempt is due at ``now``, oldest due first."""
    return (
        Digest.objects.filter(status=Digest.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("due_at", "id")
    )


def claim(worker_id: str, batch: int, now: datetime, lease: timedelta) -> list[int]:
    """Claim up to ``batch`` due, unclaimed digests for ``worker_id``; returns their ids."""
    return claims.claim(due(now), worker_id, batch, now, lease)


def renew_claim(digest_id: int, worker_id: str, until: datetime) -> bool:
    """Extend this worker's lease on a pending digest; False when the claim was lost."""
    pending = Digest.objects.filter(status=Digest.PENDING)
    return claims.renew(pending, digest_id, worker_id, until)


def release_claims(worker_id: str, ids: Sequence[int] | None = None) -> int:
    """Drop ``worker_id``'s claims (on ``ids`` only, when given); returns how many."""
    return claims.release(Digest.objects.all(), worker_id, ids)


# --- building ---------------------------------------------------------------------------


def next_due_text() -> str:
    """When the next digests fall due, for a person reading the command's output."""
    from django.db.models import Count, Min

    from papertrend.digests.builder import active_subscribers

    upcoming = active_subscribers().filter(next_digest_at__isnull=False)
    first = upcoming.aggregate(at=Min("next_digest_at"))["at"]
    if first is None:
        return "no confirmed subscribers have a digest scheduled"
    count = upcoming.filter(next_digest_at=first).aggregate(n=Count("id"))["n"]
    return f"next digests due {first:%Y-%m-%d %H:%M} UTC ({count} subscriber(s))"


def prune_confirmations(now: datetime) -> int:
    """Delete confirmation rows sent or skipped more than ``CONFIRMATIONS_KEPT`` ago.

    Failed ones stay for the operator. Returns the number of rows deleted.
    """
    deleted, _ = Digest.objects.filter(
        kind=Digest.CONFIRMATION,
        status__in=(Digest.SENT, Digest.SKIPPED),
        due_at__lt=now - CONFIRMATIONS_KEPT,
    ).delete()
    return deleted


def default_build_message(digest: Digest) -> EmailMessage:
    """The row's message: :func:`papertrend.digests.email.digest_email` for a digest,
    :func:`~papertrend.digests.email.confirmation_email` for a confirmation."""
    from papertrend.digests.email import confirmation_email, digest_email

    if digest.kind == Digest.CONFIRMATION:
        return confirmation_email(digest.subscriber, message_id=digest.message_id)
    return digest_email(digest)


def deliverable(digest: Digest) -> bool:
    """Whether the row may go out now: digests only to active subscribers, confirmations
    only to addresses not active yet."""
    if digest.kind == Digest.CONFIRMATION:
        return not digest.subscriber.is_active
    return digest.subscriber.is_active


def with_message_id(message: EmailMessage) -> str:
    """The message's ``Message-ID``, set now when the builder left it out.

    Django makes a new id each time a message without one is rendered, so it is fixed
    before sending: the one stored is the one the recipient sees.
    """
    for name, value in message.extra_headers.items():
        if name.lower() == "message-id":
            return str(value)
    message_id = make_msgid(domain="papertrend")
    message.extra_headers["Message-ID"] = message_id
    return message_id


# --- recording outcomes -----------------------------------------------------------------


def _done(digest_id: int, **values: object) -> None:
    Digest.objects.filter(id=digest_id).update(claimed_by="", claimed_until=None, **values)


def mark_sent(digest: Digest, message_id: str, now: datetime) -> None:
    """Record an accepted message (autocommit: one statement, right after the send)."""
    _done(digest.id, status=Digest.SENT, sent_at=now, message_id=message_id[:255], last_error="")
    if digest.subscriber.hard_bounces:
        Subscriber.objects.filter(id=digest.subscriber_id).update(hard_bounces=0)


def mark_transient(digest: Digest, error: str, now: datetime) -> bool:
    """Count a failed attempt; True when the digest will be retried, False when it gave up."""
    attempts = digest.attempts + 1
    if attempts >= int(getattr(settings, "DIGEST_MAX_ATTEMPTS", 8)):
        _done(digest.id, status=Digest.FAILED, attempts=attempts, last_error=error)
        return False
    _done(digest.id, attempts=attempts, next_attempt_at=now + backoff(attempts), last_error=error)
    return True


def mark_permanent(digest: Digest, error: str, now: datetime) -> None:
    """Record a hard bounce; disable the subscriber after too many in a row."""
    limit = int(getattr(settings, "DIGEST_HARD_BOUNCE_LIMIT", 3))
    with transaction.atomic():
        _done(digest.id, status=Digest.FAILED, attempts=digest.attempts + 1, last_error=error)
        subscriber = Subscriber.objects.filter(id=digest.subscriber_id)
        subscriber.update(hard_bounces=F("hard_bounces") + 1)
        subscriber.filter(hard_bounces__gte=limit, disabled_at__isnull=True).update(disabled_at=now)


# --- sending ----------------------------------------------------------------------------


def _close_quietly(mail: BaseEmailBackend) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):  # being dropped anyway
        mail.close()


def send_one(
    digest: Digest, mail: BaseEmailBackend, build: BuildMessage, now: Callable[[], datetime]
) -> str:
    """Send one claimed digest over ``mail`` and record the outcome.

    Returns ``"sent"``, ``"retried"``, ``"failed"`` (also when the message cannot be
    built) or ``"inactive"``. Raises
    :class:`Transient` (after recording it) when the connection must be reopened.
    """
    if not deliverable(digest):
        if digest.kind == Digest.CONFIRMATION:
            _done(digest.id, status=Digest.SKIPPED, last_error=ALREADY_ACTIVE)
        else:
            _done(digest.id, status=Digest.FAILED, last_error=INACTIVE)
        return "inactive"
    try:
        message = build(digest)
    except Exception as exc:  # a digest that cannot be built is not retried
        logger.exception("digests: building digest %s failed", digest.id)
        _done(digest.id, status=Digest.FAILED, last_error=f"build failed: {exc!r}"[:2000])
        return "failed"
    message_id = with_message_id(message)
    if digest.message_id != message_id:
        # Recorded before sending: a copy sent again after the crash window carries the
        # same Message-ID, which lets mail clients drop the duplicate.
        Digest.objects.filter(id=digest.id).update(message_id=message_id[:255])
    try:
        mail.send_messages([message])
    except Exception as exc:  # every failure is classified and recorded
        outcome = classify(exc)
        logger.warning("digests: %s to %s: %s", digest.id, digest.subscriber.email, outcome)
        if isinstance(outcome, Permanent):
            mark_permanent(digest, str(outcome), now())
            return "failed"
        retried = mark_transient(digest, str(outcome), now())
        if outcome.reconnect:
            raise outcome from exc
        return "retried" if retried else "failed"
    # The crash window (module docstring): accepted by SMTP, not yet marked sent.
    mark_sent(digest, message_id, now())
    return "sent"


def send_batch(
    ids: Sequence[int],
    connection: BaseEmailBackend,
    *,
    worker_id: str,
    lease: timedelta | None = None,
    now: Callable[[], datetime] = timezone.now,
    should_stop: Callable[[], bool] = lambda: False,
    build: BuildMessage | None = None,
) -> SendSummary:
    """Send the digests ``ids`` claimed by ``worker_id``, in order, over ``connection``.

    ``connection`` (a Django email backend, ``fail_silently=False``) is opened once and
    reused, reopened after a connection-level failure, and closed at the end. Digests
    whose claim was lost (lease expired, taken by another worker) are skipped; those
    not reached because ``should_stop()`` turned true keep their claim, for the caller to
    release. Returns the counts.
    """
    lease = lease or timedelta(seconds=getattr(settings, "DIGEST_CLAIM_SECONDS", 600))
    build = build or default_build_message
    summary = SendSummary()
    try:
        for digest_id in ids:
            if should_stop():
                break
            if not renew_claim(digest_id, worker_id, now() + lease):
                continue
            digest = Digest.objects.select_related("subscriber").filter(id=digest_id).first()
            if digest is None:
                continue
            try:
                connection.open()
                outcome = send_one(digest, connection, build, now)
            except Transient:
                _close_quietly(connection)
                summary.retried += 1
                continue
            except OSError as exc:  # opening the connection failed
                mark_transient(digest, str(classify(exc)), now())
                _close_quietly(connection)
                summary.retried += 1
                continue
            setattr(summary, outcome, getattr(summary, outcome) + 1)
    finally:
        _close_quietly(connection)
    return summary


# --- the worker -------------------------------------------------------------------------


@dataclass
class Preview:
    """What a dry run would send: outbox row, recipient, subject, number of items."""

    digest_id: int
    to: str
    subject: str
    items: int
    kind: str = Digest.DIGEST

    def line(self) -> str:
        """e.g. ``digest 3 to a@b.org: 'Subject' (5 items)``; confirmations say so."""
        if self.kind == Digest.CONFIRMATION:
            return f"confirmation email {self.digest_id} to {self.to}: {self.subject!r}"
        return f"digest {self.digest_id} to {self.to}: {self.subject!r} ({self.items} items)"


class DigestWorker:
    """Claims due digests and sends them (see the module docstring).

    ``worker_id``: name of this worker's claims (default ``host:pid:random``);
    ``batch``: digests per claim (``DIGEST_BATCH_SIZE``, 50); ``lease``: claim lease
    (``DIGEST_CLAIM_SECONDS``, 600 s); ``now`` returns an aware datetime; ``build``
    turns a digest into its message (default: the email module's ``digest_email``);
    ``mail``: makes the email backend (default ``get_connection(fail_silently=False)``).
    """

    def __init__(
        self,
        worker_id: str | None = None,
        batch: int | None = None,
        lease: timedelta | None = None,
        now: Callable[[], datetime] = timezone.now,
        build: BuildMessage | None = None,
        mail: Callable[[], BaseEmailBackend] | None = None,
    ) -> None:
        self._stop = threading.Event()
        self.worker_id = worker_id or claims.default_worker_id()
        self.batch = batch or int(getattr(settings, "DIGEST_BATCH_SIZE", 50))
        self.lease = lease or timedelta(seconds=getattr(settings, "DIGEST_CLAIM_SECONDS", 600))
        self.now = now
        self.build = build or default_build_message
        self.mail = mail or (lambda: get_connection(fail_silently=False))

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def request_stop(self, signum: int | None = None, frame: object = None) -> None:
        """Stop after the current message (usable as a signal handler)."""
        logger.info("digests: stop requested (signal %s)", signum)
        self._stop.set()

    def previews(self) -> list[Preview]:
        """What one pass would send now, without claiming, sending or changing anything."""
        result = []
        for digest in (
            due(self.now()).filter(claims.unclaimed(self.now())).select_related("subscriber")
        ):
            if deliverable(digest):
                message = self.build(digest)
                result.append(
                    Preview(
                        digest.id,
                        ", ".join(message.to),
                        str(message.subject),
                        len(digest.items),
                        digest.kind,
                    )
                )
        return result

    def run_pass(self) -> SendSummary:
        """Prune old confirmation rows, then claim and send batches until nothing is
        due or a stop is asked for."""
        prune_confirmations(self.now())
        total = SendSummary()
        while not self.stopping:
            ids = claim(self.worker_id, self.batch, self.now(), self.lease)
            if not ids:
                break
            try:
                total.add(
                    send_batch(
                        ids,
                        self.mail(),
                        worker_id=self.worker_id,
                        lease=self.lease,
                        now=self.now,
                        should_stop=lambda: self.stopping,
                        build=self.build,
                    )
                )
            finally:
                release_claims(self.worker_id, ids)
        return total

    def run(
        self,
        once: bool = False,
        dry_run: bool = False,
        pause_s: float | None = None,
        before_pass: Callable[[], object] | None = None,
        echo: Callable[[str], None] = print,
    ) -> SendSummary:
        """Run passes until stopped (or one, with ``once``), echoing a line per pass.

        ``dry_run`` echoes what would be sent and returns empty counts (always one pass).
        ``before_pass`` runs first on each pass (the command builds due digests there).
        """
        if dry_run:
            previews = self.previews()
            for preview in previews:
                echo(f"would send {preview.line()}")
            if not previews:
                echo(f"nothing to send now; {next_due_text()}")
            return SendSummary()
        pause = (
            pause_s if pause_s is not None else float(getattr(settings, "DIGEST_LOOP_SLEEP", 60.0))
        )
        summary = SendSummary()
        while not self.stopping:
            if before_pass is not None:
                before_pass()
            summary = self.run_pass()
            echo(f"digests send [{self.worker_id}]: {summary.line()}")
            if once or self._stop.wait(pause):
                break
        return summary
