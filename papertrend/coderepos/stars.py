"""Refresh GitHub star counts: the ``papertrend stars refresh`` job.

Which repositories, in what order (GitHub repositories that are not hidden):

1. never fetched (``fetched_at`` is null: newly linked), oldest first;
2. then those due (``next_fetch_at <= now``), most overdue first.

When each is fetched next (``next_fetch_at = now + interval``):

* missing (404) or archived: weekly (``STARS_COLD_INTERVAL``, 7 days);
* hot: linked to a paper first seen, or linked, in the last ``STARS_HOT_DAYS`` (7) days,
  or gained at least ``STARS_HOT_GAIN`` (5) stars since the newest snapshot at least a
  day old: hourly (``STARS_HOT_INTERVAL``);
* everything else: daily (``STARS_INTERVAL``);
* a fetch that failed: retried after ``STARS_HOT_INTERVAL``.

Workers claim a batch in the database before fetching, so two workers never fetch the
same repository: the claim sets ``claimed_by`` and a lease ``claimed_until`` (``now +
STARS_CLAIM_SECONDS``, 10 min), renewed before each repository; a crashed worker's
claim simply expires. On PostgreSQL the batch is picked with ``SELECT ... FOR UPDATE
SKIP LOCKED`` in a short transaction; on SQLite (which serializes writers; the project
opens transactions IMMEDIATE) with a conditional ``UPDATE ... WHERE claim expired`` and
reading back the rows this worker got.

Per repository: a conditional ``GET /repos/{owner}/{repo}`` with the stored ETag (a 304
only reschedules), 404 marks it missing, a rename updates owner/name/key (or merges into
the row that already has the new key), a ``StarSnapshot(source="api")`` records the
count; a repository never backfilled also gets its stargazer history as daily
cumulative ``StarSnapshot(source="history")`` rows at the end of each UTC day that had
stars (days before today only: today's count is the api snapshot). When the history is
truncated (GitHub lists 40,000 stars at most) the curve is offset by the stars missing
from it, so it ends at the current total.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from papertrend import claims
from papertrend.coderepos.github import (
    GitHubClient,
    GitHubError,
    RateLimited,
    RepoResult,
    Unreachable,
)
from papertrend.coderepos.models import PaperRepository, Repository, StarSnapshot

logger = logging.getLogger(__name__)

GITHUB = "github.com"
DAY_END = time(23, 59, 59, tzinfo=UTC)


def setting(name: str, default: Any) -> Any:
    """``settings.<name>``, or ``default`` where the project does not set it."""
    return getattr(settings, name, default)


@dataclass
class PassSummary:
    """Counts for one pass: repositories answered 200 (``fetched``), 304, 404, renamed;
    snapshots written (api + history rows); failures."""

    fetched: int = 0
    not_modified: int = 0
    missing: int = 0
    renamed: int = 0
    snapshots: int = 0
    errors: int = 0
    unreachable: bool = False  # the pass ended early: GitHub did not answer at all

    def add(self, other: PassSummary) -> None:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            setattr(self, f.name, (mine or theirs) if f.type == "bool" else mine + theirs)

    def line(self) -> str:
        """One-line text, e.g. ``fetched 3, not modified 1, missing 0, ...``."""
        text = ", ".join(
            f"{f.name.replace('_', ' ')} {getattr(self, f.name)}"
            for f in fields(self)
            if f.name != "unreachable"
        )
        return text + (" (GitHub unreachable: pass ended early)" if self.unreachable else "")


class Stopped(Exception):
    """A stop was asked for while the job was waiting."""


# --- claiming ---------------------------------------------------------------------------


def due(now: datetime) -> QuerySet[Repository]:
    """GitHub repositories to fetch at ``now``, never-fetched first, then most overdue."""
    return (
        Repository.objects.filter(host=GITHUB, hidden=False)
        .filter(Q(next_fetch_at__isnull=True) | Q(next_fetch_at__lte=now))
        .annotate(
            never=Case(
                When(fetched_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("never", "next_fetch_at", "id")
    )


def claim_batch(worker_id: str, size: int, now: datetime, lease: timedelta) -> list[int]:
    """Claim up to ``size`` due, unclaimed repositories for ``worker_id``; returns their ids."""
    return claims.claim(due(now), worker_id, size, now, lease)


def renew_claim(repo_id: int, worker_id: str, until: datetime) -> bool:
    """Extend this worker's lease on a repository; False when the claim was lost."""
    return claims.renew(Repository.objects.all(), repo_id, worker_id, until)


def release_claims(worker_id: str, ids: list[int] | None = None) -> int:
    """Drop ``worker_id``'s claims (on ``ids`` only, when given); returns how many."""
    return claims.release(Repository.objects.all(), worker_id, ids)


# --- scheduling -------------------------------------------------------------------------


def next_interval(repo: Repository, now: datetime) -> timedelta:
    """How long until ``repo`` is fetched again (the rule in the module docstring)."""
    if repo.missing or repo.archived:
        return timedelta(seconds=setting("STARS_COLD_INTERVAL", 7 * 86400))
    hot = timedelta(seconds=setting("STARS_HOT_INTERVAL", 3600))
    recent = now - timedelta(days=setting("STARS_HOT_DAYS", 7))
    links = PaperRepository.objects.filter(repository=repo)
    if links.filter(Q(created_at__gte=recent) | Q(paper__created_at__gte=recent)).exists():
        return hot
    older = (
        StarSnapshot.objects.filter(repository=repo, observed_at__lte=now - timedelta(days=1))
        .order_by("-observed_at")
        .values_list("stars", flat=True)
        .first()
    )
    gain = (repo.stars - older) if repo.stars is not None and older is not None else 0
    if gain >= setting("STARS_HOT_GAIN", 5):
        return hot
    return timedelta(seconds=setting("STARS_INTERVAL", 86400))


# --- storing ----------------------------------------------------------------------------


def daily_history(dates: list[datetime], total: int, today: date) -> list[tuple[datetime, int]]:
    """Cumulative stars at the end of each UTC day (before ``today``) that had stars.

    ``dates`` are UTC star times; ``total`` the current count. Stars missing from
    ``dates`` (a truncated list, or stars given since) offset the whole curve, so it
    would end at ``total``. Returns ``(day end 23:59:59 UTC, stars)`` pairs, oldest first.
    """
    per_day = Counter(d.astimezone(UTC).date() for d in dates)
    running = total - len(dates)
    result: list[tuple[datetime, int]] = []
    for day in sorted(per_day):
        running += per_day[day]
        if day < today:
            result.append((datetime.combine(day, DAY_END), max(running, 0)))
    return result


def _rename(repo: Repository, full_name: str) -> Repository:
    """Point ``repo`` at ``full_name``; merge into the row already holding that key, if any."""
    owner, _, name = full_name.partition("/")
    key = f"{repo.host}/{owner}/{name}".lower()
    other = Repository.objects.filter(key=key).exclude(id=repo.id).first()
    if other is None:
        repo.owner, repo.name, repo.key = owner, name, key
        return repo
    linked = set(
        PaperRepository.objects.filter(repository=other).values_list("paper_id", flat=True)
    )
    PaperRepository.objects.filter(repository=repo).exclude(paper_id__in=linked).update(
        repository=other
    )
    taken = set(StarSnapshot.objects.filter(repository=other).values_list("observed_at", flat=True))
    StarSnapshot.objects.filter(repository=repo).exclude(observed_at__in=taken).update(
        repository=other
    )
    repo.delete()
    other.owner, other.name = owner, name
    return other


def _apply(repo: Repository, result: RepoResult) -> None:
    repo.host_id = result.id
    repo.stars = result.stars
    repo.description = result.description
    repo.language = result.language[:100]
    repo.topics = list(result.topics)
    repo.archived = result.archived
    repo.pushed_at = result.pushed_at
    repo.missing = False
    repo.etag = result.etag[:200]


def _snapshot(repo: Repository, at: datetime, stars: int, source: str) -> int:
    StarSnapshot.objects.update_or_create(
        repository=repo, observed_at=at, defaults={"stars": stars, "source": source}
    )
    return 1


def backfill(client: GitHubClient, repo: Repository, now: datetime) -> int:
    """Store ``repo``'s daily star history and mark it backfilled; returns rows written."""
    history = client.star_history(repo.owner, repo.name, setting("STARS_HISTORY_MAX_PAGES", None))
    if history.truncated:
        logger.info(
            "%s: stargazer history truncated at %d stars of %s; earlier days are offset",
            repo.full_name,
            len(history.starred_at),
            repo.stars,
        )
    rows = daily_history(history.starred_at, repo.stars or 0, now.astimezone(UTC).date())
    existing = set(
        StarSnapshot.objects.filter(repository=repo).values_list("observed_at", flat=True)
    )
    StarSnapshot.objects.bulk_create(
        [
            StarSnapshot(repository=repo, observed_at=at, stars=stars, source=StarSnapshot.HISTORY)
            for at, stars in rows
            if at not in existing
        ],
        batch_size=1000,
    )
    repo.history_backfilled = True
    return len([at for at, _ in rows if at not in existing])


# --- the job ----------------------------------------------------------------------------


class StarsJob:
    """Claims due repositories and refreshes their star counts (see the module docstring).

    ``client``: a :class:`GitHubClient`; by default one from settings that sleeps
    through :meth:`wait`, so a stop cuts rate-limit waits short. ``batch``: repositories
    per claim; ``lease_s``: claim lease, seconds; ``now`` returns an aware datetime.
    """

    def __init__(
        self,
        client: GitHubClient | None = None,
        worker_id: str | None = None,
        batch: int | None = None,
        lease_s: float | None = None,
        now: Callable[[], datetime] = timezone.now,
    ) -> None:
        self._stop = threading.Event()
        self.client = client or GitHubClient.from_settings(sleep=self.wait)
        self.worker_id = worker_id or claims.default_worker_id()
        self.batch = batch or setting("STARS_BATCH_SIZE", 50)
        self.lease = timedelta(seconds=lease_s or setting("STARS_CLAIM_SECONDS", 600))
        self.now = now

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def request_stop(self, signum: int | None = None, frame: object = None) -> None:
        """Ask the job to stop after the current repository (usable as a signal handler)."""
        logger.info("stars: stop requested (signal %s)", signum)
        self._stop.set()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` unless a stop is asked for first; then raise :class:`Stopped`."""
        if self._stop.wait(seconds):
            raise Stopped

    def run_pass(self) -> PassSummary:
        """Claim and refresh batches until nothing is due (or a stop); returns the counts."""
        total = PassSummary()
        while not self.stopping:
            ids = claim_batch(self.worker_id, self.batch, self.now(), self.lease)
            if not ids:
                break
            try:
                total.add(self.refresh_batch(ids))
            except RateLimited as exc:
                logger.warning("stars: rate limited until %s; ending the pass", exc.reset_at)
                total.errors += 1
                break
            except Unreachable as exc:
                # Every other repository would wait through the same retries.
                logger.warning("stars: GitHub unreachable (%s); ending the pass", exc.message)
                total.errors += 1
                total.unreachable = True
                break
            finally:
                release_claims(self.worker_id, ids)
        return total

    def run(
        self, once: bool = False, pause_s: float | None = None, echo: Callable[[str], None] = print
    ) -> PassSummary:
        """Run passes, printing a summary line after each, until stopped (or after one pass).

        Returns the last pass's summary.
        """
        pause = pause_s if pause_s is not None else setting("STARS_LOOP_SLEEP", 60.0)
        summary = PassSummary()
        while not self.stopping:
            summary = self.run_pass()
            echo(f"stars refresh [{self.worker_id}]: {summary.line()}")
            if once:
                break
            try:
                self.wait(pause)
            except Stopped:
                break
        return summary

    def refresh_batch(self, ids: list[int]) -> PassSummary:
        """Refresh the claimed repositories ``ids``, in order, until a stop is asked for.

        Claims on repositories not processed are left for the caller to release.
        Raises :class:`RateLimited` when GitHub asks for a longer wait than allowed.
        """
        summary = PassSummary()
        for repo_id in ids:
            if self.stopping:
                break
            if not renew_claim(repo_id, self.worker_id, self.now() + self.lease):
                continue  # the lease ran out and another worker took it
            repo = Repository.objects.filter(id=repo_id).first()
            if repo is None:
                continue
            try:
                self.refresh(repo, summary)
            except Stopped:
                break
            except (RateLimited, Unreachable):
                raise
            except GitHubError as exc:
                logger.warning("stars: %s failed: %s", repo.full_name, exc)
                summary.errors += 1
                self._reschedule_after_error(repo_id)
            release_claims(self.worker_id, [repo_id])
        return summary

    def refresh(self, repo: Repository, summary: PassSummary) -> None:
        """Fetch one repository and store what changed (counts go into ``summary``)."""
        now = self.now()
        result = self.client.get_repository(repo.owner, repo.name, etag=repo.etag or None)
        if result.not_modified:
            summary.not_modified += 1
        elif result.missing:
            summary.missing += 1
            repo.missing, repo.etag = True, ""
        else:
            summary.fetched += 1
            if result.renamed:
                summary.renamed += 1
                with transaction.atomic():
                    repo = _rename(repo, result.full_name)
            _apply(repo, result)
            if result.stars is not None:
                summary.snapshots += _snapshot(repo, now, result.stars, StarSnapshot.API)
        if not repo.history_backfilled and not repo.missing and repo.stars is not None:
            try:
                summary.snapshots += backfill(self.client, repo, now)
            except (RateLimited, Unreachable):
                self._save(repo, now)
                raise
            except GitHubError as exc:
                logger.warning("stars: history of %s failed: %s", repo.full_name, exc)
                summary.errors += 1
        self._save(repo, now)

    def _save(self, repo: Repository, now: datetime) -> None:
        repo.fetched_at = now
        repo.next_fetch_at = now + next_interval(repo, now)
        repo.claimed_by, repo.claimed_until = "", None
        repo.save()

    def _reschedule_after_error(self, repo_id: int) -> None:
        retry = self.now() + timedelta(seconds=setting("STARS_HOT_INTERVAL", 3600))
        Repository.objects.filter(id=repo_id).update(next_fetch_at=retry)
