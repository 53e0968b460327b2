"""Precomputed trending scores, so a trending page is one indexed query.

``papertrend trending compute`` (``trending.score``) rewrites these rows; the
formula and its sources are in docs/trending.md.
"""

from __future__ import annotations

from django.db import models

from papertrend.papers.models import Paper


class TrendingScore(models.Model):
    """A paper's score in one window (day, week or month) and the facts behind it."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    WINDOWS = [(DAY, "day"), (WEEK, "week"), (MONTH, "month")]

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="trending_scores")
    window = models.CharField(max_length=8, choices=WINDOWS)
    score = models.FloatField()
    stars_gained = models.IntegerField(default=0, help_text="stars gained in the window")
    upvotes = models.IntegerField(default=0, help_text="upvotes in the window")
    age_hours = models.FloatField(help_text="hours since the paper appeared, at computed_at")
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "window"], name="score_unique_window")
        ]
        # The page's whole ORDER BY (trending.page.ranked_scores), so no window ever
        # sorts: with every score 0 (a quiet day) the tie-breaks decide the order.
        indexes = [
            models.Index(
                fields=["window", "-score", "-stars_gained", "-upvotes", "age_hours", "paper"],
                name="score_rank_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.paper.key} {self.window} {self.score:.3f}"
