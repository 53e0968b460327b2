"""``papertrend index sync|rebuild|status``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

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
