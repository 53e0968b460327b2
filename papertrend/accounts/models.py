"""What signed-in people do: upvote papers and submit papers to the site."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from papertrend.papers.models import Paper


class Upvote(models.Model):
    """One person's upvote of one paper (at most one: undoing deletes the row)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upvotes"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="upvotes")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="upvote_once")]
        indexes = [models.Index(fields=["paper", "created_at"], name="upvote_paper_time_idx")]

    def __str__(self) -> str:
        return f"{self.user} ↑ {self.paper.key}"


class Submission(models.Model):
    """A person brought a paper to the site's daily feed (the first submission counts)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="submission")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.paper.key} submitted by {self.user}"


class RateCounter(models.Model):
    """Events counted in one rate-limit window (:mod:`papertrend.accounts.ratelimits`).

    ``name`` is ``group:window:key``; ``expires`` is a Unix time (s) after which the
    row is deleted. Written only by one atomic SQL upsert, never through the ORM.
    """

    name = models.CharField(max_length=255, unique=True)
    expires = models.BigIntegerField(db_index=True)
    hits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.hits}"
