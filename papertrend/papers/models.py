"""Papers as papertrend stores them: one row per paper, keyed by its versionless arXiv id.

A paper seen only on a page without an arXiv identifier (a trending page) is kept
under a key derived from its normalized title (``t:<hash>``, see
``papers.text.title_key``) and is merged into the arXiv paper when that arrives.
Authors are kept in order on the paper itself (JSON), so a list of cards needs no join.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone

from papertrend.papers import identifiers
from papertrend.papers.summary import CardSummary, card_summary


class Paper(models.Model):
    """A paper: the newest version's metadata plus what papertrend knows about it.

    ``authors`` is a list of ``{"keyname", "forenames", "suffix", "affiliation"}``
    dicts in author order, every part TeX source. ``categories`` lists arXiv
    category codes in source order; ``primary_category`` is the first unless a
    source says otherwise. Dates are UTC.
    """

    key = models.CharField(max_length=64, unique=True)
    arxiv_id = models.CharField(max_length=40, unique=True, null=True, blank=True)
    title_key = models.CharField(max_length=24, db_index=True)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    primary_category = models.CharField(max_length=40, blank=True, db_index=True)
    comments = models.TextField(blank=True)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField(max_length=255, blank=True)
    report_no = models.TextField(blank=True)
    license = models.CharField(max_length=255, blank=True)
    msc_class = models.CharField(max_length=255, blank=True)
    acm_class = models.CharField(max_length=255, blank=True)
    submitter = models.CharField(max_length=255, blank=True)
    latest_version = models.PositiveIntegerField(default=0, help_text="0 when unknown")
    published = models.DateTimeField(null=True, blank=True, help_text="v1 submitted (UTC)")
    updated = models.DateTimeField(null=True, blank=True, help_text="latest version (UTC)")
    announced = models.DateField(null=True, blank=True, help_text="day a listing showed it")
    feed_day = models.DateField(
        null=True,
        blank=True,
        db_index=True,
        help_text="day it appears in feeds: announced or submitted, else v1, else first seen",
    )
    withdrawn = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False, help_text="hidden by a moderator")
    # The card's summary: the abstract's most central sentence (papers.summary), found
    # by ``papertrend index build`` with the embedding model. A database default, so
    # rows inserted by raw SQL (bulk loads, benchmarks) need not name it.
    summary = models.TextField(
        blank=True, default="", db_default="", help_text="extractive: a span of the abstract"
    )
    summary_modified = models.DateTimeField(
        null=True, blank=True, help_text="the paper's modified_at when summary was chosen"
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="first seen by papertrend")
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["-published", "-id"], name="paper_published_idx"),
            models.Index(fields=["-created_at", "-id"], name="paper_created_idx"),
            models.Index(fields=["-feed_day", "-id"], name="paper_feed_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.title[:80]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; a paper always gets a feed day, the column /new and the feeds sort on."""
        if self.feed_day is None:
            self.feed_day = self.default_feed_day()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("papers:detail", args=[self.key])

    def default_feed_day(self) -> date:
        """Announced day, else v1 day, else first-seen day (today for a new row).

        Every paper has one, so /new and the daily feeds read one index on (feed_day, id).
        """
        first = self.published or self.created_at or timezone.now()
        return self.announced or first.date()

    @property
    def abs_url(self) -> str:
        """arxiv.org abstract page, or "" for a paper with no arXiv id."""
        return identifiers.abs_url(self.arxiv_id) if self.arxiv_id else ""

    @property
    def pdf_url(self) -> str:
        """arxiv.org PDF, or "" for a paper with no arXiv id."""
        return identifiers.pdf_url(self.arxiv_id) if self.arxiv_id else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    def author_names(self) -> list[str]:
        """Full names in TeX source, in author order."""
        names = []
        for author in self.authors:
            parts = (
                author.get("forenames", ""),
                author.get("keyname", ""),
                author.get("suffix", ""),
            )
            names.append(" ".join(p for p in parts if p))
        return names

    def card_summary(self) -> CardSummary | None:
        """The sentence(s) of the abstract a card shows; see ``papers.summary``."""
        return card_summary(self.abstract, self.summary)

    def search_date(self) -> datetime | None:
        """The date search filters on: v1 submitted (UTC), else the day it was listed,
        as the paper's card shows it (papers from a trending page have only the latter)."""
        if self.published is not None:
            return self.published
        if self.feed_day is not None:
            return datetime.combine(self.feed_day, time.min, tzinfo=UTC)
        return None

    def as_search_document(self) -> dict[str, Any]:
        """The fields the full-text index needs (see ``search.backend``)."""
        return {
            "key": self.key,
            "arxiv_id": self.arxiv_id or "",
            "title": self.title,
            "abstract": self.abstract,
            "authors": self.author_names(),
            "categories": list(self.categories),
            "published": self.search_date(),
        }


class Version(models.Model):
    """One arXiv version of a paper: v``number`` submitted at ``submitted`` (UTC)."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    submitted = models.DateTimeField(null=True, blank=True)
    size = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["paper", "number"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "number"], name="version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.paper.key}v{self.number}"


class PaperCategory(models.Model):
    """A paper's membership in an arXiv category, for filtering by category."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="category_rows")
    category = models.CharField(max_length=40)
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "category"], name="category_unique_paper")
        ]
        indexes = [models.Index(fields=["category", "paper"], name="category_paper_idx")]

    def __str__(self) -> str:
        return f"{self.paper.key} in {self.category}"


class PaperSource(models.Model):
    """Where papertrend learned about a paper: a format and an origin (a file or a URL)."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="sources")
    source_format = models.CharField(max_length=32)
    origin = models.CharField(max_length=500)
    first_seen = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "source_format", "origin"], name="source_unique_origin"
            )
        ]

    def __str__(self) -> str:
        return f"{self.paper.key} from {self.source_format} {self.origin}"


class HarvestState(models.Model):
    """How far an incremental OAI-PMH harvest got, e.g. key ``oai:arXivRaw:cs``."""

    key = models.CharField(max_length=100, unique=True)
    last_datestamp = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key} @ {self.last_datestamp}"
