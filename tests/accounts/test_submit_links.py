"""``/submit`` takes every arXiv link and id form people paste (issue 15, item 10).

Each form goes through the page as a signed-in person would send it (POST with
CSRF); the paper is fetched from a replayed arXiv API on 127.0.0.1 under the id
the form names, and stored.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from papertrend.accounts.models import Submission
from papertrend.digests.builder import build_due
from papertrend.digests.models import Digest, SentPaper, Subscriber
from papertrend.papers.identifiers import ArxivId
from papertrend.papers.models import Paper
from tests.accounts.conftest import csrf_post
from tests.papers.test_identifiers import LINK_FORMS
from tests.replay_server import ReplayServer, Reply

pytestmark = pytest.mark.django_db

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <title>arXiv Query: id_list={id}</title>
  <id>https://arxiv.org/api/x</id>
  <updated>2025-02-03T00:00:00Z</updated>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>100</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/{id}v2</id>
    <updated>2021-01-05T10:00:00Z</updated>
    <published>2021-01-03T12:00:00Z</published>
    <title>A Paper Pasted As A Link</title>
    <summary>We paste links.</summary>
    <author><name>Ada Lovelace</name></author>
    <arxiv:primary_category term="cs.LG"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
"""


@pytest.mark.parametrize(("raw", "expected"), LINK_FORMS)
def test_submit_accepts_every_link_form(
    signed_in: Client, server: ReplayServer, raw: str, expected: ArxivId
) -> None:
    body = FEED.format(id=expected.base).encode()
    server.add(
        "/api/query",
        {"id_list": expected.base, "start": "0", "max_results": "100"},
        Reply(200, {"Content-Type": "application/atom+xml"}, body),
    )
    response = csrf_post(signed_in, "/submit", {"paper": raw}, follow=True)
    assert response.status_code == 200
    assert f"arXiv:{expected.base} is now in today" in response.content.decode()
    paper = Paper.objects.get()
    assert (paper.arxiv_id, paper.title) == (expected.base, "A Paper Pasted As A Link")
    assert Submission.objects.get().paper == paper
    assert [r.params["id_list"] for r in server.received()] == [expected.base]


@pytest.mark.parametrize(
    "raw", ["https://alphaxiv.org/abs/2101.00001", "https://arxiv.org/list/cs.LG/recent"]
)
def test_submit_refuses_other_links(signed_in: Client, server: ReplayServer, raw: str) -> None:
    response = csrf_post(signed_in, "/submit", {"paper": raw}, follow=True)
    assert "That is not an arXiv identifier" in response.content.decode()
    assert server.received() == []
    assert Paper.objects.count() == 0


def test_an_old_paper_submitted_today_is_listed_today_but_not_mailed_as_new(
    signed_in: Client, server: ReplayServer
) -> None:
    # A reader features a 2021 paper: it joins today's page (as community submissions
    # do), but digest subscribers get it as news only through trending, never as "new".
    server.add(
        "/api/query",
        {"id_list": "2101.00001", "start": "0", "max_results": "100"},
        Reply(200, {"Content-Type": "application/atom+xml"}, FEED.format(id="2101.00001").encode()),
    )
    now = timezone.now()
    reader = Subscriber.objects.create(
        email="reader@example.org",
        confirmed_at=now - timedelta(days=30),
        next_digest_at=now + timedelta(hours=1),
        categories=["cs.LG"],
        top_trending=0,
        hour=(now + timedelta(hours=1)).hour,
    )
    csrf_post(signed_in, "/submit", {"paper": "2101.00001"}, follow=True)
    paper = Paper.objects.get()
    assert paper.feed_day == timezone.localdate()
    assert paper.published is not None and paper.published.year == 2021
    build_due(now + timedelta(hours=1, minutes=5))
    assert not SentPaper.objects.filter(subscriber=reader).exists()
    assert Digest.objects.get(subscriber=reader).status == Digest.SKIPPED
