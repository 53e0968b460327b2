"""``papertrend ingest`` as operators run it: the report file, the exit status, and a
search index that another process is writing.

The in-process tests run on the suite's database (SQLite or PostgreSQL). The
``papertrend`` subprocess tests use a SQLite file of their own, as two ingests run
side by side on a default install do.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from papertrend.papers.management.commands.ingest import EXIT_SKIPPED
from papertrend.papers.models import Paper
from papertrend.search import backend
from papertrend.search.models import IndexQueue
from tests.papers.bad_kaggle import dumps, good_row

CHECKOUT = Path(__file__).resolve().parents[2]  # the papertrend these tests belong to
# The ``papertrend`` console script, run as a module of this checkout (see _env).
PAPERTREND = [sys.executable, "-m", "papertrend.manage"]


def _snapshot(path: Path, good: int, bad: int = 0, repaired: int = 0, first: int = 0) -> Path:
    """A Kaggle file: ``good`` records, then ``bad`` ones without a title, then
    ``repaired`` ones with a NUL in the title; ids count up from ``first``."""
    lines = [dumps(good_row(first + n)) for n in range(good)]
    for n in range(good, good + bad):
        lines.append(dumps({**good_row(first + n), "title": ""}))
    for n in range(good + bad, good + bad + repaired):
        lines.append(dumps({**good_row(first + n), "title": "Fixed\u0000 title"}))
    path.write_bytes(b"".join(lines))
    return path


def _rows(report: Path) -> list[dict[str, str]]:
    with report.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, dialect="excel-tab"))


def _ingest(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ingest", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_every_skipped_record_is_in_the_report_and_the_exit_status_says_so(
    tmp_path: Path,
) -> None:
    data = _snapshot(tmp_path / "snap.jsonl", good=5, bad=250, repaired=2)
    report = tmp_path / "out" / "report.tsv"
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("ingest", str(data), "--no-progress", "--report", str(report), stdout=out)

    assert raised.value.returncode == EXIT_SKIPPED
    assert str(report) in str(raised.value)
    assert f"report of every skipped and repaired record: {report}" in out.getvalue()
    assert "... and 50 more skipped (all in the report)" in out.getvalue()
    assert Paper.objects.count() == 7
    rows = _rows(report)
    skipped = [row for row in rows if row["action"] == "skipped"]
    assert [row["position"] for row in skipped] == [f"line {n}" for n in range(6, 256)]
    assert {row["file"] for row in rows} == {str(data)}
    assert all(row["reason"].endswith("missing title") for row in skipped)
    assert [(r["action"], r["position"]) for r in rows[-2:]] == [
        ("repaired", "line 256"),
        ("repaired", "line 257"),
    ]
    assert "title: removed NUL characters" in rows[-1]["reason"]


@pytest.mark.django_db
def test_allow_skipped_exits_zero_and_still_writes_the_report(tmp_path: Path) -> None:
    data = _snapshot(tmp_path / "snap.jsonl", good=3, bad=1)
    report = tmp_path / "report.tsv"
    out, _ = _ingest(str(data), "--report", str(report), "--allow-skipped")
    assert "skipped 1" in out
    assert [row["position"] for row in _rows(report)] == ["line 4"]


@pytest.mark.django_db
def test_default_report_goes_to_the_data_folder_and_clean_runs_write_none(
    tmp_path: Path, settings
) -> None:
    settings.DATA_DIR = tmp_path / "var"
    _ingest(str(_snapshot(tmp_path / "clean.jsonl", good=3)))
    assert not (tmp_path / "var" / "ingest-reports").exists()

    with pytest.raises(CommandError):
        _ingest(str(_snapshot(tmp_path / "bad.jsonl", good=1, bad=1, first=10)))
    (report,) = (tmp_path / "var" / "ingest-reports").iterdir()
    assert report.suffix == ".tsv"
    assert [row["file"] for row in _rows(report)] == [str(tmp_path / "bad.jsonl")]


@pytest.mark.django_db
def test_serve_starts_with_what_loaded_when_records_are_skipped(tmp_path: Path, settings) -> None:
    settings.DATA_DIR = tmp_path / "var"
    out = StringIO()
    data = _snapshot(tmp_path / "snap.jsonl", good=2, bad=1)
    call_command("serve", "--prepare-only", "--load", str(data), stdout=out, stderr=out)
    assert "skipped 1" in out.getvalue()
    assert "report of every skipped and repaired record" in out.getvalue()
    assert Paper.objects.count() == 2


@pytest.fixture
def index_held_by_another_writer() -> Iterator[threading.Event]:
    """The search index's writer lock, held by this thread until the event is set."""
    index = backend.get_index()
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with index.writer():
            taken.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(30)
    yield release
    release.set()
    holder.join()


@pytest.mark.django_db
def test_busy_index_leaves_the_changes_queued_with_a_message(
    tmp_path: Path, index_held_by_another_writer: threading.Event
) -> None:
    data = _snapshot(tmp_path / "snap.jsonl", good=4)
    out, err = _ingest(str(data), "--index-wait", "0.5")
    assert "read 4, new 4" in out
    assert "not updated: another process" in err
    assert "4 queued changes stay queued for the next `papertrend index sync`" in err
    assert IndexQueue.objects.count() == 4
    assert Paper.objects.count() == 4


@pytest.mark.django_db
def test_ingest_waits_for_the_index_lock(
    tmp_path: Path, index_held_by_another_writer: threading.Event
) -> None:
    threading.Timer(1.0, index_held_by_another_writer.set).start()
    out, err = _ingest(str(_snapshot(tmp_path / "snap.jsonl", good=2)), "--index-wait", "60")
    assert "search index: rebuilt: 2 indexed" in out, err
    assert IndexQueue.objects.count() == 0
    assert backend.search("sparse attention", limit=5)[1] == 2


# -- real processes on a SQLite file ----------------------------------------------


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file, made once and copied by ``papertrend_env``."""
    folder = tmp_path_factory.mktemp("migrated")
    env = _env(folder / "db.sqlite3", folder)
    subprocess.run([*PAPERTREND, "migrate", "-v0"], env=env, check=True, timeout=120)
    return folder / "db.sqlite3"


@pytest.fixture
def papertrend_env(migrated_sqlite: Path, tmp_path: Path) -> dict[str, str]:
    """Environment for ``papertrend`` subprocesses: a fresh copy of the database and index."""
    shutil.copy(migrated_sqlite, tmp_path / "db.sqlite3")
    env = _env(tmp_path / "db.sqlite3", tmp_path / "var")
    env["PAPERTREND_SEARCH_INDEX_DIR"] = str(tmp_path / "search-index")
    return env


def _env(database: Path, data_dir: Path) -> dict[str, str]:
    """This checkout's code (whichever one is installed) on a SQLite file of its own."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env["PAPERTREND_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
    return env


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [*PAPERTREND, "ingest", "--no-progress", *args]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_command_exit_status_and_report_from_the_shell(
    papertrend_env: dict[str, str], tmp_path: Path
) -> None:
    data = _snapshot(tmp_path / "snap.jsonl", good=2, bad=1)
    done = subprocess.run(
        [*PAPERTREND, "ingest", "--no-progress", str(data)],
        env=papertrend_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_SKIPPED, done.stderr
    assert "Traceback" not in done.stderr
    (report,) = (tmp_path / "var" / "ingest-reports").iterdir()
    assert f"report of every skipped and repaired record: {report}" in done.stdout
    assert "1 of 3 records skipped" in done.stderr
    assert [(row["file"], row["position"]) for row in _rows(report)] == [(str(data), "line 3")]


def test_two_ingests_at_once_both_finish_and_index_everything(
    papertrend_env: dict[str, str], tmp_path: Path
) -> None:
    """Two ingests side by side while the index is busy for longer than a sync used to
    wait (a long rebuild, another ingest's sync): both wait, neither fails, and every
    paper of both ends up in the index."""
    index = backend.get_index(Path(papertrend_env["PAPERTREND_SEARCH_INDEX_DIR"]))
    env = {**papertrend_env, "PYTHONUNBUFFERED": "1"}  # each summary line as it is written
    files = [
        _snapshot(tmp_path / "a.jsonl", good=300),
        _snapshot(tmp_path / "b.jsonl", good=300, first=300),
    ]
    with index.writer():
        runs = [_start(env, str(path)) for path in files]
        summaries = []
        for run in runs:
            assert run.stdout is not None
            summaries.append(run.stdout.readline())  # the summary: rows are committed
        # Both are at the index step now; hold it longer than backend.LOCK_WAIT_SECONDS.
        time.sleep(backend.LOCK_WAIT_SECONDS + 1)
    results = [run.communicate(timeout=180) for run in runs]
    for run, summary, (_, err) in zip(runs, summaries, results, strict=True):
        assert "read 300, new 300" in summary
        assert run.returncode == 0, err
        assert "Traceback" not in err
    assert index.status().num_docs == 600


def test_busy_index_is_caught_up_by_the_next_sync(
    papertrend_env: dict[str, str], tmp_path: Path
) -> None:
    index = backend.get_index(Path(papertrend_env["PAPERTREND_SEARCH_INDEX_DIR"]))
    with index.writer():
        run = _start(
            papertrend_env, str(_snapshot(tmp_path / "a.jsonl", good=5)), "--index-wait", "1"
        )
        _, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "Traceback" not in err
    assert "5 queued changes stay queued for the next `papertrend index sync`" in err
    subprocess.run([*PAPERTREND, "index", "sync"], env=papertrend_env, check=True, timeout=120)
    assert index.status().num_docs == 5


FEED = """<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
<entry><id>http://arxiv.org/abs/2104.12255v1</id><title>Attention, again</title>
<published>2021-04-25T08:00:00Z</published></entry>
<entry><id>http://arxiv.org/abs/2104.12256v1</id><title>A DOI too long</title>
<arxiv:doi>10.1000/{doi}</arxiv:doi><published>2021-04-25T08:00:00Z</published></entry>
</feed>"""


@pytest.mark.django_db
def test_harvest_reports_skipped_records_and_exits_with_the_same_status(
    tmp_path: Path, settings
) -> None:
    from tests.replay_server import ReplayServer, Reply

    settings.ARXIV_REQUEST_INTERVAL = 0.0
    settings.ARXIV_MAX_RETRIES = 0
    feed = FEED.format(doi="x" * 300).encode()
    with ReplayServer() as server:
        server.add("/api/query", None, Reply(200, {"Content-Type": "application/atom+xml"}, feed))
        settings.ARXIV_API_URL = server.url("/api/query")
        report = tmp_path / "harvest.tsv"
        out = StringIO()
        with pytest.raises(CommandError) as raised:
            call_command(
                "harvest",
                "--query",
                "ti:attention",
                "--max-results",
                "2",
                "--report",
                str(report),
                stdout=out,
            )
        assert raised.value.returncode == EXIT_SKIPPED
        assert f"report of every skipped and repaired record: {report}" in out.getvalue()
        (row,) = _rows(report)
        assert row["action"] == "skipped" and row["reason"].startswith("doi: ")
        assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2104.12255"]

        call_command(
            "harvest",
            "--query",
            "ti:attention",
            "--max-results",
            "2",
            "--allow-skipped",
            stdout=StringIO(),
        )
