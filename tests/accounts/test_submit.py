"""Submitting papers: duplicates, new papers fetched from a replayed arXiv API, errors, limits."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from papertrend.accounts.models import Submission
from papertrend.papers.models import Paper
from tests.accounts.conftest import csrf_post, make_paper, make_user
from tests.replay_server import ReplayServer, Reply, recorded_api_reply

pytestmark = pytest.mark.django_db

RECORDED = Path("arxiv") / "api-atom" / "recorded_json"

# A hand-written arXiv API answer in the recorded shape, for one new paper.
NEW_PAPER_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <title>arXiv Query: id_list=2502.01234</title>
  <id>https://arxiv.org/api/x</id>
  <updated>2025-02-03T00:00:00Z</updated>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>100</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/2502.01234v2</id>
    <updated>2025-02-05T10:00:00Z</updated>
    <published>2025-02-03T12:00:00Z</published>
    <title>Sparse Mixtures of Tiny Experts</title>
    <summary>We route tokens to tiny experts.</summary>
    <author><name>Ada Lovelace</name></author>
    <arxiv:primary_category term="cs.LG"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
"""
EMPTY_FEED = (
    NEW_PAPER_FEED.split("<entry>")[0].replace(
        "<opensearch:totalResults>1", "<opensearch:totalResults>0"
    )
    + "</feed>\n"
)


def id_params(arxiv_id: str) -> dict[str, str]:
    return {"id_list": arxiv_id, "start": "0", "max_results": "100"}


def atom(body: str, status: int = 200) -> Reply:
    return Reply(status, {"Content-Type": "application/atom+xml"}, body.encode())


def submit(client: Client, raw: str):
    return csrf_post(client, "/submit", {"paper": raw}, follow=True)


def test_existing_paper_is_reported_not_created(
    signed_in: Client, user: User, server: ReplayServer
) -> None:
    paper = make_paper("Known", arxiv_id="2501.00042", feed_day=None)
    response = submit(signed_in, "https://arxiv.org/abs/2501.00042v3")
    assert "arXiv:2501.00042 is already on papertrend." in response.content.decode()
    assert response.redirect_chain[-1][0] == paper.get_absolute_url()
    assert Paper.objects.count() == 1
    assert server.received() == []
    # Nobody had submitted it: the submission is recorded; the paper keeps its day.
    assert Submission.objects.get().user == user
    paper.refresh_from_db()
    assert paper.feed_day != timezone.localdate()
    # A second person's duplicate records nothing more.
    other = Client(enforce_csrf_checks=True)
    other.force_login(make_user("grace"))
    submit(other, "2501.00042")
    assert Submission.objects.get().user == user
    assert Paper.objects.count() == 1


def test_existing_paper_keeps_its_feed_day(signed_in: Client, server: ReplayServer) -> None:
    paper = make_paper(arxiv_id="2501.00043", feed_day=date(2025, 1, 2))
    submit(signed_in, "2501.00043")
    paper.refresh_from_db()
    assert paper.feed_day == date(2025, 1, 2)
    assert Submission.objects.get().paper == paper  # the first submitter is credited


def test_new_paper_is_fetched_into_todays_feed(
    signed_in: Client, user: User, server: ReplayServer
) -> None:
    server.add("/api/query", id_params("2502.01234"), atom(NEW_PAPER_FEED))
    response = submit(signed_in, "arXiv:2502.01234v1")
    assert "Thank you: arXiv:2502.01234 is now in today&#x27;s papers." in (
        response.content.decode()
    )
    paper = Paper.objects.get()
    assert (paper.arxiv_id, paper.title) == ("2502.01234", "Sparse Mixtures of Tiny Experts")
    today = timezone.localdate()
    assert paper.feed_day == today
    assert Submission.objects.get().user == user
    feed = signed_in.get(f"/papers/date/{today.isoformat()}").content.decode()
    assert "Sparse Mixtures of Tiny Experts" in feed
    # Indexed at once: keyword search finds it.
    found = signed_in.get("/search", {"q": "tiny experts"}).content.decode()
    assert paper.get_absolute_url() in found


def test_new_paper_from_recorded_arxiv_answer(
    signed_in: Client, server: ReplayServer, shared_data: Path
) -> None:
    params, reply = recorded_api_reply(
        shared_data / RECORDED / "id_1605.08386_s0_m100_199195aa31ad.json"
    )
    server.add("/api/query", params, reply)
    submit(signed_in, "https://arxiv.org/pdf/1605.08386v1.pdf")
    paper = Paper.objects.get(arxiv_id="1605.08386")
    assert paper.title == "Heat-bath random walks with Markov bases"
    assert paper.feed_day == timezone.localdate()
    assert Submission.objects.filter(paper=paper).exists()


def test_unknown_id_is_a_form_error(
    signed_in: Client, server: ReplayServer, shared_data: Path
) -> None:
    # arXiv answers an unknown id with an empty feed (recorded for 0000.0000).
    _, empty = recorded_api_reply(shared_data / RECORDED / "id_0000.0000_s0_m100_8b51d9633a68.json")
    server.add("/api/query", id_params("2502.99999"), empty)
    server.add("/api/query", id_params("2502.99998"), atom(EMPTY_FEED))
    for arxiv_id in ("2502.99999", "2502.99998"):
        response = submit(signed_in, arxiv_id)
        assert response.status_code == 200
        assert f"arXiv has no paper arXiv:{arxiv_id}." in response.content.decode()
    assert Paper.objects.count() == 0
    assert Submission.objects.count() == 0


def test_arxiv_error_answer_is_a_form_error(
    signed_in: Client, server: ReplayServer, shared_data: Path
) -> None:
    _, error = recorded_api_reply(shared_data / RECORDED / "id_abc_s0_m100_b79c8dcf6bc3.json")
    server.add("/api/query", id_params("2502.99997"), error)
    response = submit(signed_in, "2502.99997")
    assert "arXiv does not know arXiv:2502.99997." in response.content.decode()
    assert Paper.objects.count() == 0


def test_unreachable_arxiv_is_a_form_error(settings, signed_in: Client) -> None:
    with ReplayServer() as gone:
        settings.ARXIV_API_URL = gone.url("/api/query")
    settings.ARXIV_MAX_RETRIES = 0
    response = submit(signed_in, "2502.01234")
    assert "arXiv could not be reached just now" in response.content.decode()
    assert Paper.objects.count() == 0
    assert Submission.objects.count() == 0


def test_not_an_identifier(signed_in: Client, server: ReplayServer) -> None:
    response = submit(signed_in, "not a paper")
    assert "That is not an arXiv identifier" in response.content.decode()
    assert server.received() == []


def test_hidden_paper_cannot_be_submitted(signed_in: Client, server: ReplayServer) -> None:
    make_paper(arxiv_id="2501.00044", hidden=True)
    response = submit(signed_in, "2501.00044")
    assert "cannot be submitted" in response.content.decode()
    assert Submission.objects.count() == 0


def test_submit_needs_sign_in(strict_client: Client) -> None:
    response = strict_client.get("/submit")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login?next=/submit"
    posted = csrf_post(strict_client, "/submit", {"paper": "2501.00042"})
    assert posted["Location"] == "/accounts/login?next=/submit"


def test_submission_rate_limit(settings, signed_in: Client, server: ReplayServer) -> None:
    settings.SUBMISSION_RATE = "2/d"
    make_paper(arxiv_id="2501.00045")
    for _ in range(2):
        assert csrf_post(signed_in, "/submit", {"paper": "2501.00045"}).status_code == 302
    Submission.objects.all().delete()
    over = csrf_post(signed_in, "/submit", {"paper": "2501.00045"})
    assert over.status_code == 429
    assert "too many paper submissions" in over.content.decode()
    assert Submission.objects.count() == 0
