"""``papertrend index sync|rebuild|build|status``: output, progress lines and status."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from papertrend.search.embedders import Embedder
from papertrend.search.models import PaperEmbedding

from .conftest import MakePaper

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("index", *args, stdout=out)
    return out.getvalue()


def test_sync_rebuild_and_status(make_paper: MakePaper) -> None:
    make_paper("2401.00001", "Sparse attention")
    make_paper("2401.00002", "Hidden", hidden=True)
    status = _run("status")
    assert "documents:         0" in status and "queued changes:    2" in status
    assert "needs a rebuild" in status
    assert "rebuilt: 1 indexed" in _run("sync")
    status = _run("status")
    assert "documents:         1" in status
    assert "visible papers:    1 (of 2)" in status
    assert "queued changes:    0" in status
    make_paper("2401.00003", "Dense attention")
    assert "synced: 1 indexed" in _run("sync", "--batch-size", "5")
    assert "rebuilt: 2 indexed" in _run("rebuild")


# ``index build`` progress (issue 15, item 12): log lines as it goes, status from the database.

PROGRESS_LINE = re.compile(
    r"progress: (?P<done>\d+) done, (?P<pending>\d+) pending"
    r"(?:, (?P<rate>[\d.]+) papers/s, about (?P<eta>[\dhmins ]+) left|: complete)"
)


@pytest.fixture
def six_papers(make_paper: MakePaper, embedder: Embedder) -> None:
    for i in range(1, 7):
        make_paper(f"2401.{i:05d}", f"Paper number {i} on sparse attention", "An abstract.")


def test_build_logs_done_pending_rate_and_eta(six_papers: None) -> None:
    out = _run("build", "--no-progress", "--batch-size", "2", "--progress-interval", "0")
    lines = [m.groupdict() for m in PROGRESS_LINE.finditer(out)]
    assert [(int(m["done"]), int(m["pending"])) for m in lines] == [(2, 4), (4, 2), (6, 0)]
    assert all(float(m["rate"]) > 0 and m["eta"] for m in lines[:2])
    assert "6 done, 0 pending: complete" in out


def test_status_shows_progress_from_the_database(six_papers: None) -> None:
    _run("build", "--no-progress", "--limit", "2")
    status = _run("status")
    match = PROGRESS_LINE.search(status.replace("build progress:    ", "progress: "))
    assert match is not None, status
    assert (match["done"], match["pending"]) == ("2", "4")
    assert float(match["rate"]) > 0 and match["eta"]
    # Nothing stored for ten minutes: no build is running, and the status says so.
    PaperEmbedding.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    status = _run("status")
    assert (
        "build progress:    2 done, 4 pending, rate unknown "
        "(no build running; last vector stored 10 min 0 s ago)"
    ) in status
    _run("build", "--no-progress")
    assert "build progress:    6 done, 0 pending: complete" in _run("status")
