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
    # What the code host says (GitHub: GET /repos/{owner}/{repo}); null until fetched.
    host_id = models.BigIntegerField(null=True, blank=True, help_text="the host's numeric id")
    stars = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    language = models.CharField(max_length=100, blank=True)
    topics = models.JSONField(default=list, blank=True)
    archived = models.BooleanField(default=False)
    pushed_at = models.DateTimeField(null=True, blank=True)
    missing = models.BooleanField(default=False, help_text="the host answered 404")
    hidden = models.BooleanField(default=False, help_text="hidden by a moderator")
    # Star tracking: conditional requests, scheduling, and the claim a worker holds.
    etag = models.CharField(max_length=200, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    next_fetch_at = models.DateTimeField(null=True, blank=True, db_index=True)
    history_backfilled = models.BooleanField(default=False)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
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
    """A paper's link to a repository: where the link came from, and whose code it is.

    ``found_in`` is the link's *source*, the first place papertrend saw it: the paper's
    abstract or comments, a link in its arXiv record, a Papers with Code dump, a
    trending page, or a user. ``is_official``: True for the authors' own code, False
    for a community implementation, None when no source says. Papers with Code's flag
    wins over the default (see docs/pwc.md). ``framework`` is Papers with Code's value
    ("pytorch", "tf", "jax", ...), "" when unknown.
    """

    ABSTRACT = "abstract"
    COMMENTS = "comments"
    SOURCE_LINK = "link"
    PWC = "pwc"
    TRENDING = "trending-page"
    USER = "user"
    FOUND_IN = [
        (ABSTRACT, "abstract"),
        (COMMENTS, "comments"),
        (SOURCE_LINK, "arXiv record link"),
        (PWC, "Papers with Code"),
        (TRENDING, "trending page"),
        (USER, "user"),
    ]
    # A repository the paper itself names is taken as the authors' code.
    OFFICIAL_BY_DEFAULT = frozenset({ABSTRACT, COMMENTS, SOURCE_LINK})
    FRAMEWORK_NAMES = {
        "pytorch": "PyTorch",
        "tf": "TensorFlow",
        "jax": "JAX",
        "mxnet": "MXNet",
        "paddle": "PaddlePaddle",
        "caffe2": "Caffe2",
        "mindspore": "MindSpore",
        "torch": "Torch",
    }

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="repository_links")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="paper_links")
    found_in = models.CharField(max_length=16, choices=FOUND_IN)
    is_official = models.BooleanField(
        null=True, blank=True, help_text="authors' code (True), community (False), unknown"
    )
    framework = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "paper-repository link"
        constraints = [
            models.UniqueConstraint(fields=["paper", "repository"], name="paper_repository_unique")
        ]

    def __str__(self) -> str:
        return f"{self.paper.key} -> {self.repository}"

    @property
    def source(self) -> str:
        """Where the link came from (``found_in``): "abstract", "pwc", "trending-page", ..."""
        return self.found_in

    @property
    def framework_name(self) -> str:
        """The framework as people write it ("PyTorch"), or "" when unknown."""
        return self.FRAMEWORK_NAMES.get(self.framework, self.framework)

    @classmethod
    def default_official(cls, found_in: str) -> bool | None:
        """``is_official`` for a new link from ``found_in`` when the source gives no flag."""
        return True if found_in in cls.OFFICIAL_BY_DEFAULT else None


class StarSnapshot(models.Model):
    """A repository's star count at a moment (UTC): the time series star velocity reads.

    Rows come from refreshes (``source="api"``) and from the stargazer history
    backfilled when a repository is first linked (``source="history"``, one row per
    day with the cumulative count at the end of that day).
    """

    API = "api"
    HISTORY = "history"
    SOURCES = [(API, "repository metadata"), (HISTORY, "stargazer history")]

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="snapshots")
    observed_at = models.DateTimeField()
    stars = models.PositiveIntegerField()
    source = models.CharField(max_length=16, choices=SOURCES, default=API)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "observed_at"], name="snapshot_unique_moment"
            )
        ]
        indexes = [models.Index(fields=["repository", "-observed_at"], name="snapshot_latest_idx")]

    def __str__(self) -> str:
        return f"{self.repository} {self.stars} at {self.observed_at:%Y-%m-%d %H:%M}"
