"""Email digests: subscribers (double opt-in), what they asked for, and the outbox.

A subscriber is an email address, confirmed by a signed link before anything else is
sent to it. Its preferences say what a digest holds and when it is due (daily on
weekdays or weekly on a chosen day, at an hour in the subscriber's time zone).
``Digest`` is the outbox: one row per (subscriber, period), unique in the database,
claimed by `papertrend digests send` workers; confirmation emails go through it too
(``kind="confirmation"``), so a subscribe request never talks to the mail server.
``SentPaper`` records every paper a subscriber was sent, so none is ever sent twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from papertrend.papers.models import Paper


class Subscriber(models.Model):
    """An email address and what its digest should hold.

    ``email`` is stored lower-cased (the unique key). Nothing but the confirmation
    email is sent until ``confirmed_at`` is set. ``disabled_at`` is set after
    repeated hard bounces; ``unsubscribed_at`` by one-click unsubscribe.
    """

    DAILY = "daily"
    WEEKLY = "weekly"
    FREQUENCIES = [(DAILY, "daily on weekdays"), (WEEKLY, "weekly")]

    email = models.EmailField(max_length=254, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="digest_subscriptions",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    hard_bounces = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True, help_text="after hard bounces")
    # What the digest holds: any combination; an empty one means top trending papers.
    top_trending = models.PositiveSmallIntegerField(default=10, help_text="0: none")
    categories = models.JSONField(default=list, blank=True, help_text="arXiv categories")
    query = models.CharField(max_length=500, blank=True, help_text="keywords or a question")
    authors = models.JSONField(default=list, blank=True, help_text="author names")
    similar_to_saved = models.BooleanField(
        default=False, help_text="papers like the ones the account upvoted"
    )
    # When: daily on weekdays, or weekly on ``weekday`` (0 = Monday), at ``hour`` local time.
    frequency = models.CharField(max_length=8, choices=FREQUENCIES, default=DAILY)
    weekday = models.PositiveSmallIntegerField(default=0)
    hour = models.PositiveSmallIntegerField(default=8)
    timezone = models.CharField(max_length=64, default="UTC")
    last_digest_at = models.DateTimeField(null=True, blank=True)
    next_digest_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:
        """Confirmed, not unsubscribed, not disabled by bounces."""
        return bool(self.confirmed_at and not self.unsubscribed_at and not self.disabled_at)


class Digest(models.Model):
    """The outbox: one digest per subscriber and period, built once, sent at most once.

    ``kind="confirmation"`` rows are double opt-in emails, one per subscribe request
    (``period`` is ``confirm:<request time>``): ``pending`` when one is to be sent,
    ``skipped`` when the request needed none (already subscribed, or one went out
    within ``RESEND_AFTER``), so every request writes the same row.
    """

    DIGEST = "digest"
    CONFIRMATION = "confirmation"
    KINDS = [(DIGEST, "digest"), (CONFIRMATION, "confirmation email")]

    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    STATUSES = [
        (PENDING, "pending"),
        (SENT, "sent"),
        (SKIPPED, "skipped: empty digest, or no confirmation needed"),
        (FAILED, "failed"),
    ]

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="digests")
    kind = models.CharField(max_length=12, choices=KINDS, default=DIGEST)
    period = models.CharField(
        max_length=40,
        help_text='e.g. "daily:2026-11-30", "weekly:2026-W48", "confirm:<request time>"',
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=STATUSES, default=PENDING, db_index=True)
    items = models.JSONField(default=list, help_text='[{"paper": id, "reason": "..."}] in order')
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "period"], name="digest_once_per_period")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="digest_due_idx")]

    def __str__(self) -> str:
        return f"{self.subscriber} {self.period} {self.status}"


class SentPaper(models.Model):
    """A paper a subscriber has been sent (or is about to be): never twice."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="sent_papers")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="sent_papers")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "paper"], name="paper_sent_once")
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} to {self.subscriber_id}"
