"""`papertrend serve --prepare-only`: migrate, load given files, or say what to do offline."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from papertrend.papers.models import Paper

pytestmark = pytest.mark.django_db


def _serve(*args: str) -> str:
    out = StringIO()
    call_command("serve", "--prepare-only", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_load_option_ingests_the_files_first(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(
        "Trending papers\n\nMar 14\n\nA Tiny Paper About Sparse Attention\n\n"
        "We propose sparse attention for long documents and show that it is fast. "
        "Long inputs are split into blocks, each block attends to a few others, and the "
        "cost grows linearly with the length of the document rather than quadratically. "
        "Code: https://github.com/example/sparse.\n"
    )
    output = _serve("--load", str(page))
    assert "new 1" in output
    paper = Paper.objects.get()
    assert paper.title == "A Tiny Paper About Sparse Attention"
    assert paper.repositories.get().full_name == "example/sparse"


def test_load_variable_ingests_the_files_first(tmp_path, monkeypatch, shared_data):
    monkeypatch.setenv("PAPERTREND_LOAD", str(shared_data / "trending-page" / "trending-page.txt"))
    _serve()
    assert Paper.objects.count() == 62


def test_empty_database_offline_says_what_to_do(settings):
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api/query"  # nothing listens on port 9
    settings.ARXIV_REQUEST_INTERVAL = 0.0
    output = _serve()
    assert "arXiv could not be reached" in output
    assert "papertrend ingest" in output
    assert Paper.objects.count() == 0


def test_no_fetch_leaves_an_empty_database_alone(settings):
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api/query"
    assert "arXiv" not in _serve("--no-fetch")
