"""A small client for the GitHub REST API: repository metadata and stargazer history.

Endpoints (https://docs.github.com/en/rest):

* ``GET /repos/{owner}/{repo}`` (https://docs.github.com/en/rest/repos/repos#get-a-repository),
  conditional with ``If-None-Match``: a ``304`` does not count against the rate limit.
  A renamed or transferred repository answers ``301`` with ``Location:
  /repositories/{id}``; the redirect is followed and :attr:`RepoResult.full_name`
  gives the current ``owner/name``.
* ``GET /repos/{owner}/{repo}/stargazers`` with ``Accept: application/vnd.github.star+json``
  (https://docs.github.com/en/rest/activity/starring), which adds ``starred_at`` to
  each item; paginated by the ``Link`` header, and capped by GitHub at 400 pages of 100.

Rate limits (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api):

* primary: ``x-ratelimit-remaining: 0`` (on a 403/429, or on a success, which then
  blocks the next request) → wait until ``x-ratelimit-reset`` (epoch seconds) + 1 s,
  then retry; without a reset header, wait 60 s;
* secondary: 403/429 with ``retry-after`` → wait that many seconds; a 403 whose message
  says "secondary rate limit" without ``retry-after`` → wait 60 s;
* any wait longer than ``max_wait_s`` raises :class:`RateLimited` instead (it carries
  the reset time), so a job can stop and come back later.

5xx answers and connection errors are retried ``max_retries`` times with exponential
back-off (``backoff_s``, doubled each time). Anything else raises :class:`GitHubError`.
``sleep`` and ``clock`` (epoch seconds) are injectable so tests never wait.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from papertrend.httpclient import PooledClient

logger = logging.getLogger(__name__)

USER_AGENT = "papertrend/0.1 (self-hosted trending-papers site; star tracker)"
API_VERSION = "2022-11-28"
JSON_MEDIA = "application/vnd.github+json"
STAR_MEDIA = "application/vnd.github.star+json"
PER_PAGE = 100
# GitHub lists at most 400 pages (40,000 items) of stargazers; later pages answer 422.
MAX_STARGAZER_PAGES = 400
# Without a reset time or Retry-After GitHub asks clients to wait at least a minute.
DEFAULT_RATE_LIMIT_WAIT_S = 60.0


class GitHubError(Exception):
    """A request failed for good: ``status`` (None when no response came), ``url``, ``message``."""

    def __init__(self, status: int | None, url: str, message: str) -> None:
        super().__init__(f"GitHub {status or 'no response'} for {url}: {message}")
        self.status = status
        self.url = url
        self.message = message


class Unreachable(GitHubError):
    """No response at all after the retries (DNS, refused connection, timeouts)."""


class RateLimited(GitHubError):
    """A rate limit would need a wait longer than allowed; ``reset_at`` is when it lifts (UTC)."""

    def __init__(self, status: int | None, url: str, message: str, reset_at: datetime) -> None:
        super().__init__(status, url, message)
        self.reset_at = reset_at


@dataclass(frozen=True)
class RepoResult:
    """What ``GET /repos/{owner}/{repo}`` said.

    ``owner``/``name`` are what was asked; ``full_name`` is the repository's current
    ``owner/name`` (differs after a rename or transfer). With ``not_modified`` (304) or
    ``missing`` (404) the metadata fields are empty. ``pushed_at`` is UTC.
    """

    owner: str
    name: str
    full_name: str = ""
    id: int | None = None
    stars: int | None = None
    description: str = ""
    language: str = ""
    archived: bool = False
    pushed_at: datetime | None = None
    topics: tuple[str, ...] = ()
    etag: str = ""
    not_modified: bool = False
    missing: bool = False

    @property
    def renamed(self) -> bool:
        """True when GitHub answered for a different ``owner/name`` (case-insensitively)."""
        asked = f"{self.owner}/{self.name}".lower()
        return bool(self.full_name) and self.full_name.lower() != asked


@dataclass(frozen=True)
class StarHistory:
    """Stargazer dates, sorted, UTC. ``truncated``: GitHub's list (or ``max_pages``) stopped
    before the end, so the earliest stars are missing. ``pages``: pages fetched."""

    starred_at: list[datetime] = field(default_factory=list)
    truncated: bool = False
    pages: int = 0


def parse_time(raw: str | None) -> datetime | None:
    """An ISO-8601 GitHub timestamp (``2024-10-01T12:00:00Z``) as an aware UTC datetime."""
    if not raw:
        return None
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)


class GitHubClient(PooledClient):
    """Retrying, rate-limit-aware access to the GitHub REST API at ``base_url``.

    ``token``: a personal access token (sent as ``Authorization: Bearer``); without one
    GitHub allows 60 requests an hour. ``timeout_s``: per request, seconds.
    ``max_retries``: extra attempts after a 5xx or connection error, and the most
    rate-limit waits for one request. ``max_wait_s``: longest single rate-limit wait
    before :class:`RateLimited` is raised. ``clock`` returns epoch seconds.
    """

    def __init__(
        self,
        base_url: str = "https://api.github.com",
        token: str | None = None,
        timeout_s: float = 20,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        *,
        max_wait_s: float = 900.0,
        backoff_s: float = 1.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.max_wait_s = max_wait_s
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._clock = clock
        self._blocked_until: float | None = None
        headers = {"User-Agent": USER_AGENT, "X-GitHub-Api-Version": API_VERSION}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            timeout=timeout_s, headers=headers, follow_redirects=True, transport=transport
        )

    @classmethod
    def from_settings(cls, **overrides: Any) -> GitHubClient:
        """A client from ``GITHUB_*`` Django settings (defaults when unset); overrides win.

        The token is ``settings.GITHUB_TOKEN`` or else the ``GITHUB_TOKEN`` environment variable.
        """
        from django.conf import settings

        options: dict[str, Any] = {
            "base_url": getattr(settings, "GITHUB_API_URL", "https://api.github.com"),
            "token": getattr(settings, "GITHUB_TOKEN", "") or os.environ.get("GITHUB_TOKEN"),
            "timeout_s": getattr(settings, "GITHUB_TIMEOUT", 20.0),
            "max_retries": getattr(settings, "GITHUB_MAX_RETRIES", 3),
            "max_wait_s": getattr(settings, "GITHUB_MAX_RATE_LIMIT_WAIT", 900.0),
        }
        options.update(overrides)
        return cls(**options)

    # --- endpoints -----------------------------------------------------------------

    def get_repository(self, owner: str, name: str, etag: str | None = None) -> RepoResult:
        """Metadata of ``owner/name``, following renames; ``etag`` makes the request conditional.

        Returns a :class:`RepoResult` (``not_modified`` on 304, ``missing`` on 404).
        Raises :class:`RateLimited` or :class:`GitHubError`.
        """
        headers = {"Accept": JSON_MEDIA}
        if etag:
            headers["If-None-Match"] = etag
        response = self._get(f"{self.base_url}/repos/{owner}/{name}", headers, ok=(304, 404))
        if response.status_code == 304:
            new_etag = response.headers.get("ETag", etag or "")
            return RepoResult(owner, name, etag=new_etag, not_modified=True)
        if response.status_code == 404:
            return RepoResult(owner, name, missing=True)
        data = self._json(response)
        return RepoResult(
            owner=owner,
            name=name,
            full_name=str(data.get("full_name") or f"{owner}/{name}"),
            id=data.get("id"),
            stars=data.get("stargazers_count"),
            description=data.get("description") or "",
            language=data.get("language") or "",
            archived=bool(data.get("archived")),
            pushed_at=parse_time(data.get("pushed_at")),
            topics=tuple(data.get("topics") or ()),
            etag=response.headers.get("ETag", ""),
        )

    def star_history(self, owner: str, name: str, max_pages: int | None = None) -> StarHistory:
        """When each current stargazer of ``owner/name`` starred it (UTC, sorted).

        Follows ``Link: rel="next"`` up to ``max_pages`` pages of 100 (and GitHub's own
        cap of 400 pages); ``truncated`` tells whether stars were left out. A 404 gives
        an empty history. Raises :class:`RateLimited` or :class:`GitHubError`.
        """
        limit = min(max_pages or MAX_STARGAZER_PAGES, MAX_STARGAZER_PAGES)
        url: str | None = f"{self.base_url}/repos/{owner}/{name}/stargazers?per_page={PER_PAGE}"
        dates: list[datetime] = []
        pages = 0
        truncated = False
        while url:
            response = self._get(url, {"Accept": STAR_MEDIA}, ok=(404, 422))
            if response.status_code == 404:
                break
            if response.status_code == 422:
                # Past GitHub's pagination cap ("pagination is limited for this resource").
                truncated = True
                break
            pages += 1
            items = self._json(response)
            if not isinstance(items, list):
                raise GitHubError(response.status_code, url, "stargazers: expected a JSON list")
            for item in items:
                when = parse_time(item.get("starred_at")) if isinstance(item, dict) else None
                if when is None:
                    raise GitHubError(response.status_code, url, "stargazer without starred_at")
                dates.append(when)
            url = self._next_url(response)
            if url and pages >= limit:
                truncated = True
                break
        dates.sort()
        return StarHistory(starred_at=dates, truncated=truncated, pages=pages)

    def get_json(self, path: str) -> Any:
        """``GET base_url + path`` as parsed JSON (for endpoints without a helper here)."""
        return self._json(self._get(f"{self.base_url}{path}", {"Accept": JSON_MEDIA}))

    # --- transport, retries and rate limits -------------------------------------------

    def _get(
        self, url: str, headers: Mapping[str, str], ok: tuple[int, ...] = ()
    ) -> httpx.Response:
        failures = 0
        waits = 0
        while True:
            self._wait_for_primary_reset(url)
            try:
                response = self._http.get(url, headers=dict(headers))
            except httpx.TransportError as exc:
                failures += 1
                if failures > self.max_retries:
                    raise Unreachable(None, url, f"{type(exc).__name__}: {exc}") from exc
                self._backoff(failures, url, str(exc))
                continue
            self._note_remaining(response)
            status = response.status_code
            if status < 300 or status in ok:
                return response
            wait = self._rate_limit_wait(response)
            if wait is not None:
                waits += 1
                if waits > max(self.max_retries, 1):
                    raise self._rate_limited(response, url, wait)
                self._pause(wait, response, url)
                continue
            if status >= 500:
                failures += 1
                if failures > self.max_retries:
                    raise GitHubError(status, url, _message(response))
                self._backoff(failures, url, f"HTTP {status}")
                continue
            raise GitHubError(status, url, _message(response))

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying a rate-limited answer, or None if it is not one."""
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("Retry-After")
        if retry_after is not None:
            try:
                return max(float(retry_after), 0.0)
            except ValueError:
                return DEFAULT_RATE_LIMIT_WAIT_S
        if response.headers.get("X-RateLimit-Remaining") == "0":
            reset = _reset_epoch(response)
            if reset is None:
                return DEFAULT_RATE_LIMIT_WAIT_S
            return max(reset - self._clock(), 0.0) + 1.0
        if response.status_code == 429 or "rate limit" in _message(response).lower():
            return DEFAULT_RATE_LIMIT_WAIT_S
        return None

    def _pause(self, wait: float, response: httpx.Response, url: str) -> None:
        if wait > self.max_wait_s:
            raise self._rate_limited(response, url, wait)
        logger.warning("GitHub rate limit on %s: waiting %.0f s", url, wait)
        self._sleep(wait)

    def _rate_limited(self, response: httpx.Response, url: str, wait: float) -> RateLimited:
        reset = _reset_epoch(response) or self._clock() + wait
        return RateLimited(
            response.status_code, url, _message(response), datetime.fromtimestamp(reset, UTC)
        )

    def _note_remaining(self, response: httpx.Response) -> None:
        # A success that used the last request of the window blocks the next one until reset.
        if response.status_code < 300 and response.headers.get("X-RateLimit-Remaining") == "0":
            self._blocked_until = _reset_epoch(response)

    def _wait_for_primary_reset(self, url: str) -> None:
        if self._blocked_until is None:
            return
        until, self._blocked_until = self._blocked_until, None
        wait = until - self._clock() + 1.0
        if wait <= 0:
            return
        if wait > self.max_wait_s:
            self._blocked_until = until
            reset_at = datetime.fromtimestamp(until, UTC)
            raise RateLimited(None, url, "primary rate limit used up", reset_at)
        logger.warning("GitHub primary rate limit used up: waiting %.0f s", wait)
        self._sleep(wait)

    def _backoff(self, failures: int, url: str, why: str) -> None:
        wait = self.backoff_s * 2 ** (failures - 1)
        logger.warning(
            "GitHub request %s failed (%s); retry %d in %.1f s", url, why, failures, wait
        )
        self._sleep(wait)

    def _next_url(self, response: httpx.Response) -> str | None:
        url = response.links.get("next", {}).get("url")
        if not url:
            return None
        # The token goes with every request: never follow a Link to another host.
        if urlsplit(url).netloc != urlsplit(self.base_url).netloc:
            raise GitHubError(response.status_code, str(response.url), f"foreign Link {url}")
        return str(url)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise GitHubError(response.status_code, str(response.url), "invalid JSON") from exc


def _reset_epoch(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["X-RateLimit-Reset"])
    except (KeyError, ValueError):
        return None


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return response.text[:200]
