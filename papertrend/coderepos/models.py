"""Code repositories (GitHub, GitLab) and their links to papers."""

from __future__ import annotations

from django.db import models

from papertrend.papers.models import Paper


class Repository(models.Model):
    """A repository on a code host. ``key`` is ``host/owner/name`` lowercased, for dedup.

    ``owner`` and ``name`` keep the case as first written, for display.
    """

    host = models.CharField(max_length=64)
    owner = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    key = models.CharField(max_length=600, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    papers: models.ManyToManyField[Paper, PaperRepository] = models.ManyToManyField(
        Paper, through="PaperRepository", related_name="repositories"
    )

    class Meta:
        verbose_name_plural = "repositories"

    def __str__(self) -> str:
        return f"{self.host}/{self.owner}/{self.name}"

    @property
    def url(self) -> str:
        return f"https://{self.host}/{self.owner}/{self.name}"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class PaperRepository(models.Model):
    """A paper's link to a repository, and where the link was found."""

    ABSTRACT = "abstract"
    COMMENTS = "comments"
    SOURCE_LINK = "link"
    FOUND_IN = [(ABSTRACT, "abstract"), (COMMENTS, "comments"), (SOURCE_LINK, "source link")]

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="repository_links")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="paper_links")
    found_in = models.CharField(max_length=16, choices=FOUND_IN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "repository"], name="paper_repository_unique")
        ]

    def __str__(self) -> str:
        return f"{self.paper.key} -> {self.repository}"
