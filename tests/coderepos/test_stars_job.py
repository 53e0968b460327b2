"""The ``stars refresh`` job against a local replay of api.github.com."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from papertrend.coderepos.github import GitHubClient
from papertrend.coderepos.models import PaperRepository, Repository, StarSnapshot
from papertrend.coderepos.stars import (
    PassSummary,
    StarsJob,
    claim_batch,
    daily_history,
    release_claims,
)
from papertrend.papers.models import Paper
from tests.github_replay import (
    GitHubReplayServer,
    json_reply,
    moved,
    primary_limit,
    repo_json,
    serve_keploy,
)

LEASE = timedelta(minutes=10)


def make_repo(owner: str, name: str, **fields) -> Repository:
    key = f"github.com/{owner}/{name}".lower()
    return Repository.objects.create(host="github.com", owner=owner, name=name, key=key, **fields)


def make_paper(key: str) -> Paper:
    return Paper.objects.create(key=key, arxiv_id=key, title_key=key, title=f"Paper {key}")


def serve_small(server: GitHubReplayServer, full_name: str, stars: int, etag: str = "") -> None:
    server.serve_repository(full_name, repo_json(full_name, stars), etag=etag)
    events = [(f"u{i}", f"2024-01-{1 + i % 28:02d}T12:00:00Z") for i in range(stars)]
    server.serve_stargazers(full_name, events)


@pytest.fixture
def server():
    with GitHubReplayServer() as running:
        yield running


def job_for(server: GitHubReplayServer, worker_id: str = "w1", batch: int = 10) -> StarsJob:
    return StarsJob(GitHubClient(server.base_url, sleep=lambda s: None), worker_id, batch)


def test_daily_history_offsets_a_truncated_list() -> None:
    dates = [datetime(2024, 1, d, 10, tzinfo=UTC) for d in (1, 1, 3)]
    today = date(2024, 2, 1)
    assert daily_history(dates, 3, today)[-1][1] == 3
    rows = daily_history(dates, 10, today)  # 7 stars older than the list
    assert rows == [
        (datetime(2024, 1, 1, 23, 59, 59, tzinfo=UTC), 9),
        (datetime(2024, 1, 3, 23, 59, 59, tzinfo=UTC), 10),
    ]
    assert daily_history(dates, 10, date(2024, 1, 3)) == rows[:1]  # today is left to the api


@pytest.mark.shared_data
@pytest.mark.django_db
def test_pass_backfills_keploy_history(server, shared_data: Path) -> None:
    stars = serve_keploy(server, shared_data / "github" / "keploy-stargazers.json", etag='W/"k1"')
    repo = make_repo("keploy", "keploy")
    job = job_for(server)
    summary = job.run_pass()
    assert summary == PassSummary(fetched=1, snapshots=StarSnapshot.objects.count())
    repo.refresh_from_db()
    assert (repo.stars, repo.host_id, repo.language, repo.etag) == (stars, 1000, "Go", 'W/"k1"')
    assert repo.history_backfilled and repo.claimed_by == "" and repo.claimed_until is None
    assert repo.next_fetch_at - repo.fetched_at == timedelta(days=1)

    history = StarSnapshot.objects.filter(repository=repo, source=StarSnapshot.HISTORY)
    oct1 = history.get(observed_at=datetime(2024, 10, 1, 23, 59, 59, tzinfo=UTC))
    sep30 = history.get(observed_at=datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC))
    assert oct1.stars - sep30.stars == 397
    assert history.order_by("observed_at").first().stars == 1  # 2022-01-19
    assert history.order_by("observed_at").last().stars == stars
    api = StarSnapshot.objects.get(repository=repo, source=StarSnapshot.API)
    assert api.stars == stars and api.observed_at == repo.fetched_at

    requests = len(server.received())
    assert job.run_pass() == PassSummary()  # nothing due within the interval
    assert len(server.received()) == requests

    Repository.objects.update(next_fetch_at=timezone.now() - timedelta(seconds=1))
    assert job.run_pass() == PassSummary(not_modified=1)
    assert server.received()[-1].headers["if-none-match"] == 'W/"k1"'
    assert StarSnapshot.objects.filter(source=StarSnapshot.API).count() == 1


@pytest.mark.django_db
def test_missing_archived_and_hot_intervals(server) -> None:
    make_repo("gone", "away")
    server.add("/repos/old/thing", json_reply(repo_json("old/thing", 2, archived=True)))
    make_repo("old", "thing")
    serve_small(server, "hot/new", 4)
    hot = make_repo("hot", "new")
    PaperRepository.objects.create(
        paper=make_paper("2501.00001"), repository=hot, found_in="abstract"
    )
    summary = job_for(server).run_pass()
    assert (summary.fetched, summary.missing) == (2, 1)
    intervals = {r.full_name: r.next_fetch_at - r.fetched_at for r in Repository.objects.all()}
    assert intervals == {
        "gone/away": timedelta(days=7),
        "old/thing": timedelta(days=7),
        "hot/new": timedelta(hours=1),
    }
    assert Repository.objects.get(owner="gone").missing
    history = StarSnapshot.objects.filter(repository=hot, source="history").order_by("observed_at")
    assert list(history.values_list("stars", flat=True)) == [1, 2, 3, 4]


@pytest.mark.django_db
def test_rename_updates_the_key(server) -> None:
    server.add("/repos/Old/Name", moved("https://api.github.com/repositories/7"))
    server.add("/repositories/7", json_reply(repo_json("New/Name", 0, repo_id=7)))
    repo = make_repo("Old", "Name")
    assert job_for(server).run_pass().renamed == 1
    repo.refresh_from_db()
    assert (repo.owner, repo.name, repo.key, repo.host_id) == (
        "New",
        "Name",
        "github.com/new/name",
        7,
    )


@pytest.mark.django_db
def test_rename_merges_into_the_existing_row(server) -> None:
    server.add("/repos/old/name", moved("https://api.github.com/repositories/7"))
    server.add("/repositories/7", json_reply(repo_json("new/name", 3, repo_id=7)))
    old = make_repo("old", "name")
    later = timezone.now() + timedelta(days=1)
    target = make_repo("new", "name", history_backfilled=True, fetched_at=timezone.now())
    Repository.objects.filter(id=target.id).update(next_fetch_at=later)
    both, only_old = make_paper("2501.00001"), make_paper("2501.00002")
    for paper, repo in ((both, old), (both, target), (only_old, old)):
        PaperRepository.objects.create(paper=paper, repository=repo, found_in="abstract")
    StarSnapshot.objects.create(
        repository=old, observed_at=datetime(2024, 1, 1, tzinfo=UTC), stars=1
    )
    summary = job_for(server).run_pass()
    assert (summary.fetched, summary.renamed) == (1, 1)
    assert not Repository.objects.filter(id=old.id).exists()
    target.refresh_from_db()
    assert target.stars == 3
    assert set(target.paper_links.values_list("paper__key", flat=True)) == {both.key, only_old.key}
    assert target.snapshots.count() == 2  # the old row's snapshot and today's


@pytest.mark.django_db
def test_claims_exclude_other_workers_until_they_expire() -> None:
    ids = {make_repo("o", f"r{i}").id for i in range(3)}
    now = timezone.now()
    assert set(claim_batch("a", 10, now, LEASE)) == ids
    assert claim_batch("b", 10, now + timedelta(minutes=9), LEASE) == []
    assert set(claim_batch("b", 10, now + timedelta(minutes=11), LEASE)) == ids
    assert set(Repository.objects.values_list("claimed_by", flat=True)) == {"b"}
    assert release_claims("b") == 3


@pytest.mark.django_db
def test_never_fetched_come_first() -> None:
    now = timezone.now()
    due = make_repo("o", "due", fetched_at=now, next_fetch_at=now - timedelta(hours=1))
    fresh = make_repo("o", "fresh")
    make_repo("o", "later", fetched_at=now, next_fetch_at=now + timedelta(hours=1))
    assert claim_batch("a", 1, now, LEASE) == [fresh.id]
    assert claim_batch("a", 5, now, LEASE) == [due.id]


@pytest.mark.django_db
def test_stop_finishes_the_current_repository_and_releases_claims(server) -> None:
    names = ["r0", "r1", "r2"]
    for name in names:
        serve_small(server, f"o/{name}", 1)
        make_repo("o", name)
    job = job_for(server, batch=3)

    def stop_on_first(request):
        job.request_stop(signal.SIGTERM)
        return json_reply(repo_json("o/r0", 1))

    server.add_handler("/repos/o/r0", stop_on_first)
    summary = job.run_pass()
    assert summary.fetched == 1
    assert set(Repository.objects.values_list("claimed_by", flat=True)) == {""}
    assert list(
        Repository.objects.filter(fetched_at__isnull=False).values_list("name", flat=True)
    ) == ["r0"]


@pytest.mark.django_db
def test_rate_limit_over_the_cap_ends_the_pass(server) -> None:
    server.add("/repos/o/a", primary_limit(reset_in_s=7200))
    make_repo("o", "a")
    job = StarsJob(GitHubClient(server.base_url, max_wait_s=60), "w1")
    assert job.run_pass().errors == 1
    repo = Repository.objects.get()
    assert repo.claimed_by == "" and repo.fetched_at is None


@pytest.mark.django_db
def test_command_once_prints_a_summary(server, settings, capsys) -> None:
    settings.GITHUB_API_URL = server.base_url
    serve_small(server, "o/a", 2)
    make_repo("o", "a")
    call_command("stars", "refresh", "--once", "--worker-id", "cli")
    out = capsys.readouterr().out
    expected = "fetched 1, not modified 0, missing 0, renamed 0, snapshots 3, errors 0"
    assert f"stars refresh [cli]: {expected}" in out
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.django_db
def test_command_stops_on_sigterm(server, settings, capsys) -> None:
    settings.GITHUB_API_URL = server.base_url
    settings.STARS_LOOP_SLEEP = 30.0

    def terminate(request):
        os.kill(os.getpid(), signal.SIGTERM)
        return json_reply(repo_json("o/a", 1))

    server.add_handler("/repos/o/a", terminate)
    server.serve_stargazers("o/a", [("u", "2024-01-01T00:00:00Z")])
    make_repo("o", "a")
    call_command("stars", "refresh", "--worker-id", "loop")  # no --once: the signal ends it
    assert "fetched 1" in capsys.readouterr().out
    assert Repository.objects.get().claimed_by == ""


def _run_worker(
    job: StarsJob, results: dict[str, PassSummary], errors: list[BaseException]
) -> None:
    try:
        results[job.worker_id] = job.run_pass()
    except BaseException as exc:  # reported by the test thread
        errors.append(exc)
    finally:
        connection.close()


def _assert_each_fetched_once(counts: dict[str, int], count: int) -> None:
    for i in range(count):
        assert counts[f"/repos/o/r{i}"] == 1
        assert counts[f"/repos/o/r{i}/stargazers"] == 1


@pytest.mark.django_db(transaction=True)
def test_two_worker_threads_never_fetch_the_same_repository() -> None:
    if connection.vendor == "sqlite":
        # The in-memory test database is shared between threads through SQLite's shared
        # cache, whose table locks fail at once instead of waiting; the process test
        # below covers SQLite on a file, as deployed.
        pytest.skip("needs PostgreSQL (DATABASE_URL); SQLite is covered with processes")
    count = 16
    with GitHubReplayServer(latency_s=0.01) as server:
        for i in range(count):
            serve_small(server, f"o/r{i}", 2)
            make_repo("o", f"r{i}")
        jobs = [job_for(server, worker_id=f"w{n}", batch=2) for n in (1, 2)]
        results: dict[str, PassSummary] = {}
        errors: list[BaseException] = []
        threads = [threading.Thread(target=_run_worker, args=(j, results, errors)) for j in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        _assert_each_fetched_once(server.counts(), count)
    assert sum(r.fetched for r in results.values()) == count
    assert all(r.fetched > 0 for r in results.values()), results
    assert Repository.objects.filter(history_backfilled=True, claimed_by="").count() == count


# Runs a management command in a fresh process, with GITHUB_API_URL pointed at the replay.
DRIVER = """
import sys
import django
django.setup()
from django.conf import settings
from django.core.management import CommandError, call_command
settings.GITHUB_API_URL = sys.argv[1]
if sys.argv[2] == "seed":
    from papertrend.coderepos.models import Repository
    for i in range(int(sys.argv[3])):
        key = f"github.com/o/r{i}"
        Repository.objects.create(host="github.com", owner="o", name=f"r{i}", key=key)
else:
    call_command(*sys.argv[2:])
"""


def test_two_worker_processes_on_sqlite(tmp_path: Path) -> None:
    count = 16
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "papertrend.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'stars.sqlite3'}",
        "PAPERTREND_DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    root = Path(__file__).resolve().parents[2]

    def driver(url: str, *args: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-c", DRIVER, url, *args]
        return subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, text=True)

    with GitHubReplayServer(latency_s=0.01) as server:
        for i in range(count):
            serve_small(server, f"o/r{i}", 2)
        for setup in (("migrate", "--verbosity", "0"), ("seed", str(count))):
            assert driver(server.base_url, *setup).wait(timeout=120) == 0
        workers = [
            driver(server.base_url, "stars", "refresh", "--once", "--batch", "2", "--worker-id", w)
            for w in ("p1", "p2")
        ]
        outputs = [w.communicate(timeout=120)[0] for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        _assert_each_fetched_once(server.counts(), count)
    fetched = [int(re.search(r"fetched (\d+)", out).group(1)) for out in outputs]
    assert sum(fetched) == count, outputs
    with sqlite3.connect(tmp_path / "stars.sqlite3") as db:
        rows = db.execute(
            "SELECT claimed_by, history_backfilled FROM coderepos_repository"
        ).fetchall()
    assert rows == [("", 1)] * count


@pytest.mark.django_db
def test_unreachable_github_ends_the_pass_and_the_command_fails(settings) -> None:
    for i in range(3):
        make_repo("org", f"repo{i}")
    sleeps: list[float] = []
    client = GitHubClient("http://127.0.0.1:9", max_retries=1, sleep=sleeps.append)
    summary = StarsJob(client, "offline").run_pass()
    assert summary.unreachable and summary.errors == 1 and summary.fetched == 0
    assert len(sleeps) == 1  # one back-off for the first repository, none for the others
    assert Repository.objects.filter(claimed_by="").count() == 3  # claims released

    settings.GITHUB_API_URL = "http://127.0.0.1:9"
    settings.GITHUB_MAX_RETRIES = 0
    with pytest.raises(CommandError, match="GitHub could not be reached"):
        call_command("stars", "refresh", "--once", "--worker-id", "cli")
