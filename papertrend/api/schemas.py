"""Shapes of the JSON API's responses (pydantic models through django-ninja), and
the functions that fill them from model rows.

Daily papers mirror Hugging Face's ``GET /api/daily_papers``
(https://huggingface.co/docs/hub/en/api#get-apidailypapers) field for field, so
scripts written against it run unchanged: camelCase names, ISO 8601 UTC times
ending in ``Z``. Fields papertrend cannot fill honestly (project pages,
thumbnails, comments) are null or 0 rather than invented. Every text field is
plain text taken from untrusted sources; clients must escape it before
putting it in HTML.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from ninja import Schema

from papertrend.coderepos.codeinfo import with_link_details
from papertrend.coderepos.models import Repository
from papertrend.papers.models import Paper
from papertrend.papers.text import tex_to_text
from papertrend.trending.models import TrendingScore
from papertrend.trending.score import reasons


class ErrorBody(Schema):
    """``status``: the HTTP status; ``code``: a stable machine word; ``message``: for people."""

    status: int
    code: str
    message: str


class ErrorOut(Schema):
    """The one shape of every error the API answers: ``{"error": {...}}``."""

    error: ErrorBody


class AuthorOut(Schema):
    """An author as Hugging Face lists them: the full name, plain text."""

    name: str


class PaperOut(Schema):
    """A paper in Hugging Face's ``paper`` shape.

    ``id``: the versionless arXiv id, or papertrend's key (``t:…``) for a paper
    known only by title; ``publishedAt``: v1 submission (UTC), else the feed day;
    ``githubRepo``/``githubStars``: the first visible linked repository.
    """

    id: str
    title: str
    summary: str
    publishedAt: str
    upvotes: int
    authors: list[AuthorOut]
    githubRepo: str | None
    githubStars: int | None
    projectPage: str | None


class DailyPaperOut(Schema):
    """One item of ``/api/daily_papers`` (and of search results).

    ``publishedAt`` here is the day the paper was listed (its feed day, 00:00 UTC).
    """

    paper: PaperOut
    title: str
    summary: str
    publishedAt: str
    numComments: int
    thumbnail: str | None


class RepositoryRefOut(Schema):
    """A visible repository linked to a paper, and what the link says about it.

    ``is_official``: the authors' code (true), a community implementation (false),
    or unknown (null). ``framework``: Papers with Code's value ("pytorch", "tf",
    "jax", ...) or null. ``source``: where the link was first found: "abstract",
    "comments", "link" (the arXiv record), "pwc" (Papers with Code), "trending-page",
    "user".
    """

    url: str
    owner: str
    name: str
    stars: int | None
    is_official: bool | None
    framework: str | None
    source: str


class PaperDetailOut(PaperOut):
    """``/api/papers/{id}``: the paper plus what papertrend adds about it."""

    categories: list[str]
    primaryCategory: str
    updatedAt: str | None
    latestVersion: int
    withdrawn: bool
    doi: str
    arxivUrl: str | None
    repositories: list[RepositoryRefOut]


class RelatedOut(Schema):
    """One row of ``/api/related/{id}``: ``how`` is ``embedding`` (nearest by meaning,
    ``similarity`` = cosine) or ``keywords`` (BM25 on the title; ``similarity`` null)."""

    paper: PaperOut
    similarity: float | None
    how: str


class TrendingOut(Schema):
    """One row of ``/api/trending``: ``rank`` is 1-based over the whole window."""

    rank: int
    paper: PaperOut
    score: float
    stars_gained: int
    upvotes: int
    reason: str


class StarPointOut(Schema):
    """Stars at the end of a UTC day (``date`` is ``YYYY-MM-DD``)."""

    date: str
    stars: int


class RepositoryOut(Schema):
    """``/api/repos/{owner}/{name}``: a repository, its daily star history and its papers."""

    host: str
    owner: str
    name: str
    url: str
    stars: int | None
    description: str
    language: str
    archived: bool
    pushedAt: str | None
    history: list[StarPointOut]
    papers: list[str]


# --- from models to these shapes (plain dicts; ninja validates them) ----------------


def iso_z(moment: datetime | None) -> str | None:
    """``2024-01-02T03:04:05.000Z`` (UTC, milliseconds, as Hugging Face writes times)."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def day_z(day: date | None) -> str | None:
    """Midnight UTC of ``day`` in :func:`iso_z`'s form."""
    return iso_z(datetime.combine(day, time.min, tzinfo=UTC)) if day else None


def _shown_repositories(paper: Paper) -> list[Repository]:
    """Linked repositories a visitor may see, oldest first (needs them prefetched)."""
    return [r for r in paper.repositories.all() if not r.hidden and not r.missing]


def paper_fields(paper: Paper) -> dict[str, Any]:
    """:class:`PaperOut` fields; ``paper`` needs ``upvote_count`` and prefetched repositories."""
    repos = _shown_repositories(paper)
    first = repos[0] if repos else None
    return {
        "id": paper.arxiv_id or paper.key,
        "title": tex_to_text(paper.title),
        "summary": tex_to_text(paper.abstract),
        "publishedAt": iso_z(paper.published) or day_z(paper.feed_day) or "",
        "upvotes": int(getattr(paper, "upvote_count", 0) or 0),
        "authors": [{"name": tex_to_text(name)} for name in paper.author_names()],
        "githubRepo": first.url if first else None,
        "githubStars": first.stars if first else None,
        "projectPage": None,
    }


def daily_item(paper: Paper) -> dict[str, Any]:
    """A :class:`DailyPaperOut` item for ``paper`` (see :func:`paper_fields`)."""
    fields = paper_fields(paper)
    return {
        "paper": fields,
        "title": fields["title"],
        "summary": fields["summary"],
        "publishedAt": day_z(paper.feed_day) or fields["publishedAt"],
        "numComments": 0,
        "thumbnail": None,
    }


def paper_detail(paper: Paper) -> dict[str, Any]:
    """A :class:`PaperDetailOut` for ``paper`` (see :func:`paper_fields`)."""
    return {
        **paper_fields(paper),
        "categories": list(paper.categories),
        "primaryCategory": paper.primary_category,
        "updatedAt": iso_z(paper.updated),
        "latestVersion": paper.latest_version,
        "withdrawn": paper.withdrawn,
        "doi": paper.doi,
        "arxivUrl": paper.abs_url or None,
        "repositories": [
            _repository_ref(r) for r in with_link_details(paper, _shown_repositories(paper))
        ],
    }


def _repository_ref(repository: Repository) -> dict[str, Any]:
    """A :class:`RepositoryRefOut` (``repository.link`` set by ``with_link_details``)."""
    link = getattr(repository, "link", None)
    return {
        "url": repository.url,
        "owner": repository.owner,
        "name": repository.name,
        "stars": repository.stars,
        "is_official": link.is_official if link else None,
        "framework": (link.framework or None) if link else None,
        "source": link.found_in if link else "",
    }


def trending_row(row: TrendingScore, rank: int) -> dict[str, Any]:
    """A :class:`TrendingOut` for a ranked score row (paper with ``upvote_count``)."""
    return {
        "rank": rank,
        "paper": paper_fields(row.paper),
        "score": row.score,
        "stars_gained": row.stars_gained,
        "upvotes": row.upvotes,
        "reason": reasons(row),
    }


def repository(
    repo: Repository, history: list[tuple[date, int]], papers: list[str]
) -> dict[str, Any]:
    """A :class:`RepositoryOut`: ``history`` is (UTC day, stars at its end), oldest first."""
    return {
        "host": repo.host,
        "owner": repo.owner,
        "name": repo.name,
        "url": repo.url,
        "stars": repo.stars,
        "description": repo.description,
        "language": repo.language,
        "archived": repo.archived,
        "pushedAt": iso_z(repo.pushed_at),
        "history": [{"date": day.isoformat(), "stars": stars} for day, stars in history],
        "papers": papers,
    }
