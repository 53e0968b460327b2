"""Star histories from files: ``papertrend stars import FILE...`` (no network needed).

Two formats, told apart by content (:func:`sniff`):

* **GitHub stargazers JSON**: the array ``GET /repos/{owner}/{repo}/stargazers``
  returns with ``Accept: application/vnd.github.star+json``
  (https://docs.github.com/en/rest/activity/starring#list-stargazers), i.e. objects
  with ``starred_at`` (ISO 8601) and the user (``user.login``, or ``username`` as in
  exports such as keploy/keploy-stargazers). The file does not name the repository,
  so the caller does: ``--repo OWNER/NAME``, ``OWNER/NAME=FILE``, or a file named
  ``OWNER__NAME.json`` / ``OWNER__NAME-stargazers.json``. A file name such as
  ``keploy-stargazers.json`` is *not* guessed from: it is the name of the repository
  that stores the export, not of the starred one (keploy/keploy). Each UTC day with
  stars becomes one cumulative ``StarSnapshot`` at 23:59:59 that day, counted from 0
  (the same rows ``stars refresh`` backfills); a user listed twice counts once.
* **Stars CSV**: rows ``owner/name,date,stars`` (the first column may also be a
  ``https://github.com/owner/name`` URL; an optional header row). ``date`` is a day
  (``2024-10-01``: the count at the end of that UTC day, 23:59:59) or an ISO 8601
  time (``2024-10-01T12:00:00Z``; without a zone it is read as UTC).

Repositories not stored yet are created; an existing one (matched by its key,
case-insensitively) keeps its paper links, so its papers get the stars. Re-importing
the same file changes nothing (rows are keyed by repository and moment); a row
whose count differs from the stored one updates it. A bad row is reported with its
file and line and the rest of the file loads. ``Repository.stars`` is set from the
newest imported count only for repositories never fetched from GitHub, so an
import never overwrites a live count.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from django.db import transaction

from papertrend.coderepos.extract import RepoRef, find_repositories
from papertrend.coderepos.models import Repository, StarSnapshot
from papertrend.coderepos.stars import DAY_END, daily_history

STARGAZERS_JSON = "stargazers-json"
STARS_CSV = "stars-csv"
_HEAD_BYTES = 64 * 1024
_CSV_HEADER = re.compile(
    r"^\s*\"?(?:repo|repository|full_name|name|owner/name|url)\"?\s*,\s*\"?"
    r"(?:date|day|time|observed_at|at)\"?\s*,\s*\"?stars\"?\s*$",
    re.IGNORECASE,
)
_CSV_ROW = re.compile(r"^\s*\"?[^,\s\"]+/[^,\s\"]+\"?\s*,\s*\"?[0-9][^,]*\"?\s*,\s*\"?\d+\"?\s*$")
_NAMED_FILE = re.compile(r"^(?P<owner>[^_]+)__(?P<name>.+?)(?:[-_.]stargazers)?$", re.IGNORECASE)


class StarFileError(ValueError):
    """A file that cannot be imported at all (unreadable, unknown format, no repository)."""


@dataclass(frozen=True)
class RowError:
    """A row that was not loaded: ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        # Line 0: the whole file (unreadable, unknown format, no repository named).
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class ImportSummary:
    """What an import did: rows read, snapshots new/updated/unchanged, bad rows."""

    files: int = 0
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    repositories_created: int = 0
    repositories: set[str] = field(default_factory=set)
    errors: list[RowError] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.errors)

    def render(self, shown: int = 200) -> str:
        """A few lines for a terminal: totals, then the first ``shown`` bad rows."""
        lines = [
            f"star files {self.files}: rows read {self.rows}, skipped {self.skipped}; "
            f"snapshots new {self.new}, updated {self.updated}, unchanged {self.unchanged}; "
            f"repositories {len(self.repositories)} ({self.repositories_created} new)"
        ]
        lines += [f"  skipped {error}" for error in self.errors[:shown]]
        if self.skipped > shown:
            lines.append(f"  ... and {self.skipped - shown} more skipped")
        return "\n".join(lines)


# --- recognising files and repositories ------------------------------------------------


def sniff(path: Path) -> str | None:
    """``STARGAZERS_JSON`` or ``STARS_CSV`` when ``path`` holds a star history, else None.

    Reads the first 64 KiB. A JSON array whose first element has ``starred_at``, or a
    text whose first line is the CSV header or an ``owner/name,date,stars`` row.

    Raises:
        OSError: the file cannot be read.
    """
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES).removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    text = head.lstrip()
    if text.startswith("["):
        opening = re.match(r"\[\s*\{", text)
        if opening is None:
            return None
        try:
            first, _ = json.JSONDecoder().raw_decode(text, opening.end() - 1)
        except ValueError:
            return None
        return STARGAZERS_JSON if isinstance(first, dict) and "starred_at" in first else None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if _CSV_HEADER.match(first_line) or _CSV_ROW.match(first_line):
        return STARS_CSV
    return None


def parse_repository(text: str) -> RepoRef | None:
    """``owner/name``, ``github.com/owner/name`` or a repository URL as a :class:`RepoRef`.

    A bare ``owner/name`` means GitHub. None when ``text`` names no single repository.
    """
    text = text.strip().removesuffix("/")
    if not text or any(c.isspace() for c in text):
        return None
    lowered = text.lower()
    url = text if ("github.com/" in lowered or "gitlab.com/" in lowered) else f"github.com/{text}"
    found = find_repositories(url)
    if len(found) != 1:
        return None
    ref = found[0]
    tail = f"{ref.owner}/{ref.name}".lower()
    # The text must be the repository, not a page inside it or something longer.
    return ref if lowered.removesuffix(".git").endswith(tail) else None


def repository_from_file_name(path: Path) -> RepoRef | None:
    """The repository an ``OWNER__NAME[-stargazers].json`` file name spells, else None."""
    match = _NAMED_FILE.match(path.stem)
    if match is None:
        return None
    return parse_repository(f"{match['owner']}/{match['name']}")


def split_target(arg: str) -> tuple[RepoRef | None, Path]:
    """``OWNER/NAME=FILE`` -> (the repository, FILE); any other argument -> (None, it)."""
    before, sep, after = arg.partition("=")
    if sep and after and "/" in before and not Path(arg).exists():
        ref = parse_repository(before)
        if ref is not None:
            return ref, Path(after)
    return None, Path(arg)


# --- parsing ---------------------------------------------------------------------------


Observation = tuple[RepoRef, datetime, int, int]  # repository, moment, stars, line


def _parse_time(raw: str) -> datetime:
    """A CSV date (end of that UTC day) or ISO time (naive = UTC). Raises ValueError."""
    raw = raw.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return datetime.combine(date.fromisoformat(raw), DAY_END)
    moment = datetime.fromisoformat(raw)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_csv(path: Path, errors: list[RowError]) -> Iterator[Observation]:
    """The observations of a stars CSV; bad rows go to ``errors`` (file, line, why).

    Raises:
        OSError: the file cannot be read.
    """
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row) or row[0].startswith("#"):
                continue
            if line == 1 and _CSV_HEADER.match(",".join(row)):
                continue
            if len(row) != 3:
                errors.append(RowError(str(path), line, f"expected 3 columns, got {len(row)}"))
                continue
            ref = parse_repository(row[0])
            if ref is None:
                errors.append(RowError(str(path), line, f"not a repository: {row[0]!r}"))
                continue
            try:
                moment = _parse_time(row[1])
            except ValueError:
                errors.append(RowError(str(path), line, f"not a date or ISO time: {row[1]!r}"))
                continue
            raw_stars = row[2].strip()
            if not raw_stars.isascii() or not raw_stars.isdigit():
                errors.append(RowError(str(path), line, f"stars is not a count: {row[2]!r}"))
                continue
            yield ref, moment, int(raw_stars), line


def _json_items(path: Path, text: str) -> Iterator[tuple[int, object]]:
    """(line, element) for each element of the top-level JSON array in ``text``.

    Decodes element by element so each one's line number is known.

    Raises:
        StarFileError: not a JSON array, or malformed JSON (with its line).
    """
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\n\r]*")
    pos = ws.match(text).end()  # type: ignore[union-attr]
    if not text.startswith("[", pos):
        raise StarFileError(f"{path}: not a JSON array of stargazers")
    pos = ws.match(text, pos + 1).end()  # type: ignore[union-attr]
    line = 1 + text.count("\n", 0, pos)
    if text.startswith("]", pos):
        return
    while True:
        try:
            item, end = decoder.raw_decode(text, pos)
        except ValueError as exc:
            raise StarFileError(f"{path}: invalid JSON: {exc}") from exc
        yield line, item
        after = ws.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith("]", after):
            return
        if not text.startswith(",", after):
            at = 1 + text.count("\n", 0, after)
            raise StarFileError(f"{path}:{at}: invalid JSON: expected ',' or ']'")
        pos = ws.match(text, after + 1).end()  # type: ignore[union-attr]
        line += text.count("\n", end, pos)


def parse_stargazers(path: Path, errors: list[RowError]) -> list[datetime]:
    """The UTC star times of a stargazers JSON file; bad elements go to ``errors``.

    An element needs ``starred_at`` (ISO 8601 with a zone). A user listed twice
    (``user.login`` or ``username``) counts once.

    Raises:
        StarFileError: not a JSON array, or malformed JSON.
        OSError: the file cannot be read.
    """
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    times: list[datetime] = []
    seen: set[str] = set()
    for line, item in _json_items(path, text):
        if not isinstance(item, dict) or not isinstance(item.get("starred_at"), str):
            errors.append(RowError(str(path), line, "element without a starred_at text"))
            continue
        try:
            moment = datetime.fromisoformat(item["starred_at"])
        except ValueError:
            errors.append(RowError(str(path), line, f"bad starred_at {item['starred_at']!r}"))
            continue
        if moment.tzinfo is None:
            errors.append(RowError(str(path), line, "starred_at without a time zone"))
            continue
        user = item.get("user")
        login = user.get("login") if isinstance(user, dict) else item.get("username")
        if isinstance(login, str) and login:
            if login.lower() in seen:
                errors.append(RowError(str(path), line, f"user {login!r} listed twice"))
                continue
            seen.add(login.lower())
        times.append(moment.astimezone(UTC))
    return times


# --- storing ---------------------------------------------------------------------------


def _repository(ref: RepoRef, summary: ImportSummary) -> Repository:
    repo, created = Repository.objects.get_or_create(
        key=ref.key, defaults={"host": ref.host, "owner": ref.owner, "name": ref.name}
    )
    summary.repositories_created += int(created)
    summary.repositories.add(ref.key)
    return repo


def store(ref: RepoRef, rows: Iterable[tuple[datetime, int]], summary: ImportSummary) -> None:
    """Upsert one repository's ``(moment, stars)`` rows as ``source="history"`` snapshots.

    Counts new, updated and unchanged rows into ``summary``. One transaction.
    """
    wanted = dict(rows)
    with transaction.atomic():
        repo = _repository(ref, summary)
        # All of the repository's rows (one a day or an hour: thousands at most), not an
        # IN list of the file's moments, which could pass SQLite's limit on parameters.
        stored = {
            at: (pk, stars)
            for pk, at, stars in StarSnapshot.objects.filter(repository=repo).values_list(
                "pk", "observed_at", "stars"
            )
        }
        new, changed = [], []
        for at, stars in wanted.items():
            if at not in stored:
                new.append(
                    StarSnapshot(
                        repository=repo, observed_at=at, stars=stars, source=StarSnapshot.HISTORY
                    )
                )
            elif stored[at][1] != stars:
                changed.append(StarSnapshot(pk=stored[at][0], stars=stars))
            else:
                summary.unchanged += 1
        StarSnapshot.objects.bulk_create(new, batch_size=1000)
        StarSnapshot.objects.bulk_update(changed, ["stars"], batch_size=1000)
        summary.new += len(new)
        summary.updated += len(changed)
        if repo.fetched_at is None:
            # Never fetched live: the newest imported count is the best one known.
            latest = repo.snapshots.order_by("-observed_at").values_list("stars", flat=True)
            repo.stars = latest.first()
            repo.save(update_fields=["stars"])


def _import_csv(path: Path, summary: ImportSummary) -> None:
    by_repo: dict[str, tuple[RepoRef, dict[datetime, tuple[int, int]]]] = {}
    errors_before = len(summary.errors)
    for ref, moment, stars, line in parse_csv(path, summary.errors):
        summary.rows += 1
        _, seen = by_repo.setdefault(ref.key, (ref, {}))
        if moment in seen and seen[moment][0] != stars:
            first_line = seen[moment][1]
            summary.errors.append(
                RowError(
                    str(path),
                    line,
                    f"{stars} stars contradicts line {first_line} "
                    f"({seen[moment][0]} stars at the same moment)",
                )
            )
            errors_before += 1  # counted as a row above
            continue
        seen.setdefault(moment, (stars, line))
    summary.rows += len(summary.errors) - errors_before  # rows the parser refused
    for ref, seen in by_repo.values():
        store(ref, ((at, stars) for at, (stars, _) in seen.items()), summary)


def _import_stargazers(path: Path, ref: RepoRef | None, summary: ImportSummary) -> None:
    ref = ref or repository_from_file_name(path)
    if ref is None:
        raise StarFileError(
            f"{path}: a stargazers file does not say whose stars it lists; name the "
            "repository: --repo OWNER/NAME, OWNER/NAME=FILE, or a file named "
            "OWNER__NAME-stargazers.json"
        )
    errors_before = len(summary.errors)
    times = parse_stargazers(path, summary.errors)
    summary.rows += len(times) + len(summary.errors) - errors_before
    store(ref, daily_history(times, len(times), date.max), summary)


def import_file(path: Path, summary: ImportSummary, repo: RepoRef | None = None) -> None:
    """Import one star file into ``summary``; ``repo`` names a stargazers file's repository.

    Raises:
        StarFileError: unknown format, unreadable, or a stargazers file without a repository.
    """
    try:
        kind = sniff(path)
        if kind is None:
            raise StarFileError(
                f"{path}: not a star history (a stargazers JSON array with starred_at, "
                "or a CSV of owner/name,date,stars)"
            )
        summary.files += 1
        if kind == STARS_CSV:
            _import_csv(path, summary)
        else:
            _import_stargazers(path, repo, summary)
    except OSError as exc:
        raise StarFileError(f"{path}: unreadable: {exc}") from exc


def import_files(args: Iterable[str], repo: RepoRef | None = None) -> ImportSummary:
    """Import every file in ``args`` (``FILE`` or ``OWNER/NAME=FILE``); returns the counts.

    ``repo`` applies to stargazers files given without one. A file that cannot be
    imported at all becomes one :class:`RowError` (line 0) and the next file is read.
    """
    summary = ImportSummary()
    for arg in args:
        target, path = split_target(arg)
        try:
            import_file(path, summary, target or repo)
        except StarFileError as exc:
            summary.errors.append(RowError(str(path), 0, str(exc).removeprefix(f"{path}: ")))
    return summary


__all__ = [
    "STARGAZERS_JSON",
    "STARS_CSV",
    "ImportSummary",
    "RowError",
    "StarFileError",
    "import_file",
    "import_files",
    "parse_csv",
    "parse_repository",
    "parse_stargazers",
    "repository_from_file_name",
    "sniff",
    "split_target",
    "store",
]
