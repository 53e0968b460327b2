"""The Django admin: pages load, and every change reaches the search-index queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from papertrend.coderepos.models import PaperRepository, Repository
from papertrend.papers.models import Paper, PaperSource, Version
from papertrend.search.models import IndexQueue

pytestmark = pytest.mark.django_db


def make_paper(key: str, title: str = "A paper", **fields: Any) -> Paper:
    fields.setdefault("arxiv_id", key)
    fields.setdefault("title_key", key[:24])
    return Paper.objects.create(key=key, title=title, **fields)


def queued() -> list[str]:
    return sorted(IndexQueue.objects.values_list("paper_key", flat=True))


@pytest.fixture
def paper() -> Paper:
    paper = make_paper(
        "0704.0002",
        "Sparsity-certifying Graph Decompositions",
        primary_category="cs.CG",
        categories=["cs.CG", "math.CO"],
        published=datetime(2007, 3, 31, 2, tzinfo=UTC),
    )
    Version.objects.create(paper=paper, number=1, submitted=paper.published, size="13kb")
    PaperSource.objects.create(paper=paper, source_format="abs", origin="0704.0002.abs")
    repo = Repository.objects.create(
        host="github.com", owner="Pebble", name="Game", key="github.com/pebble/game"
    )
    PaperRepository.objects.create(paper=paper, repository=repo, found_in="abstract")
    return paper


def test_changelist_loads(admin_client: Client, paper: Paper) -> None:
    response = admin_client.get("/admin/papers/paper/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "0704.0002" in body
    assert "Sparsity-certifying Graph Decompositions" in body


@pytest.mark.parametrize("query", ["0704.0002", "Sparsity", "0704.0002v1", "arXiv:0704.0002"])
def test_changelist_search(admin_client: Client, paper: Paper, query: str) -> None:
    make_paper("0704.0003", "Something else")
    body = admin_client.get("/admin/papers/paper/", {"q": query}).content.decode()
    assert f"/admin/papers/paper/{paper.pk}/change/" in body
    assert "Something else" not in body


def test_changelist_filters(admin_client: Client, paper: Paper) -> None:
    make_paper("0704.0003", "A hidden one", hidden=True)
    body = admin_client.get("/admin/papers/paper/", {"hidden__exact": "1"}).content.decode()
    assert "A hidden one" in body
    assert "Sparsity-certifying" not in body
    response = admin_client.get("/admin/papers/paper/", {"primary_category": "cs.CG"})
    assert response.status_code == 200


def test_change_page_loads_with_inlines(admin_client: Client, paper: Paper) -> None:
    response = admin_client.get(f"/admin/papers/paper/{paper.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sparsity-certifying Graph Decompositions" in body
    assert 'name="versions-0-number"' in body
    assert 'name="sources-0-origin"' in body
    assert 'name="repository_links-0-repository"' in body
    assert "Modified at" in body  # read-only timestamps are shown


def _change_form_data(paper: Paper, **overrides: str) -> dict[str, str]:
    """POST data for the change form of a paper with no versions, sources or links."""
    data = {
        "key": paper.key,
        "arxiv_id": paper.arxiv_id or "",
        "title_key": paper.title_key,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": "[]",
        "comments": "",
        "journal_ref": "",
        "doi": "",
        "report_no": "",
        "license": "",
        "msc_class": "",
        "acm_class": "",
        "submitter": "",
        "latest_version": "0",
        "published_0": "",
        "published_1": "",
        "updated_0": "",
        "updated_1": "",
        "announced": "",
        "_save": "Save",
    }
    for prefix in ("versions", "sources", "repository_links"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(overrides)
    return data


def test_saving_a_paper_enqueues_its_key(admin_client: Client) -> None:
    paper = make_paper("0704.0005", "Old title")
    response = admin_client.post(
        f"/admin/papers/paper/{paper.pk}/change/",
        _change_form_data(paper, title="New title", hidden="on"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    paper.refresh_from_db()
    assert paper.title == "New title"
    assert paper.hidden
    assert queued() == ["0704.0005"]


def test_changing_a_key_enqueues_old_and_new(admin_client: Client) -> None:
    paper = make_paper("t:abc", "Trending only", arxiv_id=None)
    response = admin_client.post(
        f"/admin/papers/paper/{paper.pk}/change/",
        _change_form_data(paper, key="0704.0006", arxiv_id="0704.0006"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert queued() == ["0704.0006", "t:abc"]


def test_admin_delete_goes_through_delete_papers(admin_client: Client, paper: Paper) -> None:
    url = f"/admin/papers/paper/{paper.pk}/delete/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Paper.objects.exists()
    assert not Version.objects.exists()
    assert not PaperRepository.objects.exists()
    assert Repository.objects.count() == 1  # the repository itself stays
    assert queued() == ["0704.0002"]


def test_bulk_delete_action_enqueues_every_key(admin_client: Client, paper: Paper) -> None:
    other = make_paper("hep-th/9901001", "Old style")
    keep = make_paper("0704.0009", "Kept")
    response = admin_client.post(
        "/admin/papers/paper/",
        {"action": "delete_selected", "_selected_action": [paper.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert list(Paper.objects.values_list("key", flat=True)) == [keep.key]
    assert queued() == ["0704.0002", "hep-th/9901001"]


def test_hide_and_unhide_actions_enqueue(admin_client: Client, paper: Paper) -> None:
    response = admin_client.post(
        "/admin/papers/paper/", {"action": "hide_papers", "_selected_action": [paper.pk]}
    )
    assert response.status_code == 302
    paper.refresh_from_db()
    assert paper.hidden
    assert queued() == ["0704.0002"]
    admin_client.post(
        "/admin/papers/paper/", {"action": "unhide_papers", "_selected_action": [paper.pk]}
    )
    paper.refresh_from_db()
    assert not paper.hidden


def test_repository_admin_pages_load(admin_client: Client, paper: Paper) -> None:
    repo = Repository.objects.get()
    link = PaperRepository.objects.get()
    for url in (
        "/admin/coderepos/repository/",
        f"/admin/coderepos/repository/{repo.pk}/change/",
        "/admin/coderepos/paperrepository/",
        f"/admin/coderepos/paperrepository/{link.pk}/change/",
        "/admin/coderepos/repository/?q=pebble",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert "github.com/Pebble/Game" in response.content.decode()


def test_admin_requires_staff(client: Client) -> None:
    response = client.get("/admin/papers/paper/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
