"""Which day a paper is listed on, and when it is "new" (issue 15, items 1 and 2).

A paper's dates come from v1, never from whichever version papertrend saw first;
the day it is listed on is the day arXiv announced it when a source says so (an
OAI-PMH datestamp of a paper's first version, a listing, the day a live harvest
first saw a new paper), and it is new for listings and digests only then.
Everything goes through the real parts: a replayed arXiv over HTTP, the database,
the pages, the API, BibTeX and the digest builder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from papertrend.digests.builder import build_due
from papertrend.digests.models import Digest, SentPaper, Subscriber
from papertrend.papers.arxiv_client import ArxivClient
from papertrend.papers.formats import atom
from papertrend.papers.harvest import harvest_api, harvest_oai
from papertrend.papers.ingest import ingest_records
from papertrend.papers.models import Paper
from tests.replay_server import ReplayServer, Reply

pytestmark = pytest.mark.django_db

FEED_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <title>arXiv Query</title>
  <id>https://arxiv.org/api/x</id>
  <updated>2026-12-03T00:00:00Z</updated>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>100</opensearch:itemsPerPage>
"""
ENTRY = """  <entry>
    <id>http://arxiv.org/abs/{id}</id>
    <updated>{updated}</updated>
    <published>{published}</published>
    <title>{title}</title>
    <summary>We revisit attention.</summary>
    <author><name>Ada Lovelace</name></author>
    <arxiv:primary_category term="cs.CL"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
"""
# A 2017 paper whose seventh version came out this week: the API's only entry is v7.
REVISED = ENTRY.format(
    id="1706.03762v7",
    updated="2026-12-03T10:00:00Z",
    published="2017-06-12T17:57:34Z",
    title="Attention Revisited Again",
)


def feed(*entries: str) -> bytes:
    return (FEED_HEAD + "".join(entries) + "</feed>\n").encode()


def atom_reply(*entries: str) -> Reply:
    return Reply(200, {"Content-Type": "application/atom+xml"}, feed(*entries))


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


def client_for(server: ReplayServer) -> ArxivClient:
    return ArxivClient(
        server.url("/oai"), server.url("/api/query"), interval_s=0.0, max_retries=0, timeout_s=5
    )


def subscriber(due: datetime, email: str = "reader@example.org") -> Subscriber:
    return Subscriber.objects.create(
        email=email,
        confirmed_at=due - timedelta(days=30),
        next_digest_at=due,
        categories=["cs.CL"],
        top_trending=0,
        hour=due.hour,
    )


def mailed(reader: Subscriber) -> list[str]:
    """Keys of the papers the reader's digests hold."""
    return list(
        SentPaper.objects.filter(subscriber=reader)
        .order_by("id")
        .values_list("paper__key", flat=True)
    )


# --- item 1: dates come from v1, not from the version seen first -------------------------


def test_revised_old_paper_from_the_api_keeps_its_2017_dates(
    server: ReplayServer, client: Client
) -> None:
    server.add(
        "/api/query",
        {"id_list": "1706.03762", "start": "0", "max_results": "100"},
        atom_reply(REVISED),
    )
    harvest_api(client_for(server), id_list=["1706.03762"])
    paper = Paper.objects.get(arxiv_id="1706.03762")
    assert paper.published == datetime(2017, 6, 12, 17, 57, 34, tzinfo=UTC)
    assert paper.updated == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert paper.feed_day == date(2017, 6, 12)
    assert dict(paper.versions.values_list("number", "submitted")) == {
        1: datetime(2017, 6, 12, 17, 57, 34, tzinfo=UTC),
        7: datetime(2026, 12, 3, 10, 0, tzinfo=UTC),
    }
    # "Submitted", the daily listing, BibTeX and the API all say 2017.
    detail = client.get("/papers/1706.03762").content.decode()
    assert 'Submitted <time datetime="2017-06-12T17:57:34+00:00">Mon, 12 Jun 2017</time>' in detail
    assert "Attention Revisited Again" not in client.get("/papers/date/2026-12-03").content.decode()
    assert "Attention Revisited Again" in client.get("/papers/date/2017-06-12").content.decode()
    bibtex = client.get("/export/bibtex/paper/1706.03762").content.decode()
    assert re.search(r"year\s*=\s*\{?2017\b", bibtex), bibtex
    assert "Lovelace2017Attention" in bibtex
    api = client.get("/api/papers/1706.03762").json()
    assert api["publishedAt"].startswith("2017-06-12T17:57:34")


def test_atom_file_of_a_later_version_gives_v1_date(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(feed(REVISED))
    ingest_records(atom.parse(path))
    paper = Paper.objects.get()
    assert (paper.published.date(), paper.feed_day) == (date(2017, 6, 12), date(2017, 6, 12))
    assert paper.latest_version == 7


def test_revised_old_paper_is_not_mailed_as_new(server: ReplayServer) -> None:
    # Harvested within the digest's period (first seen now), revised an hour ago.
    now = timezone.now()
    due = now + timedelta(hours=1)
    reader = subscriber(due)
    revised = REVISED.replace(
        "2026-12-03T10:00:00Z", f"{now - timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"
    )
    server.add("/api/query", None, atom_reply(revised))
    harvest_api(client_for(server), query="cat:cs.CL")
    build_due(due + timedelta(minutes=5))
    assert mailed(reader) == []
    assert Digest.objects.get(subscriber=reader).status == Digest.SKIPPED


def test_stored_paper_with_a_wrong_v1_date_is_repaired_by_the_api_record(
    server: ReplayServer,
) -> None:
    # Rows written before the fix hold the later version's date as "published".
    Paper.objects.create(
        key="1706.03762",
        arxiv_id="1706.03762",
        title_key="x",
        title="Attention Revisited Again",
        published=datetime(2026, 12, 3, 10, 0, tzinfo=UTC),
        latest_version=7,
    )
    server.add("/api/query", None, atom_reply(REVISED))
    harvest_api(client_for(server), id_list=["1706.03762"])
    paper = Paper.objects.get()
    assert paper.published == datetime(2017, 6, 12, 17, 57, 34, tzinfo=UTC)
    assert paper.feed_day == date(2017, 6, 12)


def test_new_version_of_a_known_paper_never_makes_it_new_again(server: ReplayServer) -> None:
    v1 = ENTRY.format(
        id="2611.00001v1",
        updated="2026-11-02T10:00:00Z",
        published="2026-11-02T10:00:00Z",
        title="Tiny Experts",
    )
    server.add("/api/query", None, atom_reply(v1))
    harvest_api(client_for(server), query="cat:cs.CL", today=date(2026, 11, 3))
    assert Paper.objects.get().feed_day == date(2026, 11, 3)
    reader = subscriber(datetime(2026, 12, 4, 8, 0, tzinfo=UTC))
    v2 = v1.replace("v1</id>", "v2</id>").replace(
        "<updated>2026-11-02T10:00:00Z", "<updated>2026-12-03T09:00:00Z"
    )
    with ReplayServer() as later:
        later.add("/api/query", None, atom_reply(v2))
        harvest_api(client_for(later), query="cat:cs.CL", today=date(2026, 12, 3))
    paper = Paper.objects.get()
    assert (paper.latest_version, paper.feed_day) == (2, date(2026, 11, 3))
    build_due(datetime(2026, 12, 4, 8, 5, tzinfo=UTC))
    assert mailed(reader) == []


# --- item 2: the announcement day decides the listing -----------------------------------

OAI_PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2026-10-23T00:00:00Z</responseDate>
  <request verb="ListRecords" metadataPrefix="arXivRaw" set="cs">http://export.arxiv.org/oai2</request>
  <ListRecords>{records}</ListRecords>
</OAI-PMH>
"""
RAW_RECORD = """
    <record>
      <header>
        <identifier>oai:arXiv.org:{id}</identifier>
        <datestamp>{datestamp}</datestamp>
        <setSpec>cs</setSpec>
      </header>
      <metadata>
        <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">
          <id>{id}</id>
          <submitter>Ada Lovelace</submitter>
          {versions}
          <title>{title}</title>
          <authors>Ada Lovelace</authors>
          <categories>cs.CL</categories>
          <abstract>We study things.</abstract>
        </arXivRaw>
      </metadata>
    </record>"""
VERSION = '<version version="v{n}"><date>{date}</date><size>10kb</size></version>'


def raw_record(arxiv_id: str, datestamp: str, title: str, *dates: str) -> str:
    versions = "".join(VERSION.format(n=n, date=d) for n, d in enumerate(dates, start=1))
    return RAW_RECORD.format(id=arxiv_id, datestamp=datestamp, title=title, versions=versions)


def program_oai(server: ReplayServer, *records: str) -> None:
    body = OAI_PAGE.format(records="".join(records)).encode()
    server.add("/oai", None, Reply(200, {"Content-Type": "text/xml"}, body))


def test_late_announcement_is_listed_and_mailed_on_its_announcement_day(
    server: ReplayServer, client: Client
) -> None:
    reader = subscriber(datetime(2026, 10, 22, 8, 0, tzinfo=UTC))
    # Submitted 1 October, held in moderation, announced (datestamp) 22 October.
    program_oai(
        server,
        raw_record("2610.00001", "2026-10-22", "Held Paper", "Thu, 1 Oct 2026 09:00:00 GMT"),
    )
    harvest_oai(client_for(server), "cs")
    paper = Paper.objects.get()
    assert paper.published == datetime(2026, 10, 1, 9, 0, tzinfo=UTC)  # still v1's date
    assert (paper.announced, paper.feed_day) == (date(2026, 10, 22), date(2026, 10, 22))
    assert "Held Paper" in client.get("/papers/date/2026-10-22").content.decode()
    assert "Held Paper" not in client.get("/papers/date/2026-10-01").content.decode()
    build_due(datetime(2026, 10, 22, 8, 5, tzinfo=UTC))
    assert mailed(reader) == ["2610.00001"]
    # Exactly once: the next day's digest and a re-harvest do not send it again.
    harvest_oai(client_for(server), "cs", from_date=date(2026, 10, 20))
    build_due(datetime(2026, 10, 23, 8, 5, tzinfo=UTC))
    assert mailed(reader) == ["2610.00001"]
    assert Paper.objects.get().feed_day == date(2026, 10, 22)


def test_datestamp_of_a_metadata_fix_years_later_is_not_an_announcement(
    server: ReplayServer,
) -> None:
    # The real ListRecords page has a v1-only 2007 paper stamped 2014-11-18.
    program_oai(
        server,
        raw_record("0704.0005", "2014-11-18", "Old Paper", "Mon, 9 Apr 2007 20:13:36 GMT"),
        raw_record(
            "0704.0006",
            "2014-11-18",
            "Revised Paper",
            "Mon, 9 Apr 2007 20:13:36 GMT",
            "Tue, 18 Nov 2014 10:00:00 GMT",
        ),
    )
    harvest_oai(client_for(server), "cs")
    days = dict(Paper.objects.values_list("arxiv_id", "feed_day"))
    assert days == {"0704.0005": date(2007, 4, 9), "0704.0006": date(2007, 4, 9)}
    assert not Paper.objects.filter(announced__isnull=False).exists()


def test_late_announcement_moves_a_paper_first_seen_in_a_file(
    server: ReplayServer, tmp_path: Path
) -> None:
    # A snapshot filed it under its v1 day; the OAI datestamp says when arXiv announced it.
    line = (
        '{"id": "2610.00002", "title": "Held Too", "categories": "cs.CL", '
        '"versions": [{"version": "v1", "created": "Thu, 1 Oct 2026 09:00:00 GMT"}]}\n'
    )
    from papertrend.papers.formats import kaggle

    path = tmp_path / "snapshot.jsonl"
    path.write_text(line)
    ingest_records(kaggle.parse(path))
    assert Paper.objects.get().feed_day == date(2026, 10, 1)
    program_oai(
        server,
        raw_record("2610.00002", "2026-10-20", "Held Too", "Thu, 1 Oct 2026 09:00:00 GMT"),
    )
    harvest_oai(client_for(server), "cs")
    assert Paper.objects.get().feed_day == date(2026, 10, 20)


def test_live_harvest_lists_a_new_paper_on_the_day_it_was_first_seen(
    server: ReplayServer,
) -> None:
    held = ENTRY.format(
        id="2611.00002v1",
        updated="2026-11-02T10:00:00Z",
        published="2026-11-02T10:00:00Z",
        title="Held Then Announced",
    )
    old = ENTRY.format(
        id="1605.08386v1",
        updated="2016-05-26T17:59:32Z",
        published="2016-05-26T17:59:32Z",
        title="Old But Never Seen",
    )
    server.add("/api/query", None, atom_reply(held, old))
    harvest_api(client_for(server), query="cat:cs.CL", today=date(2026, 11, 20))
    days = dict(Paper.objects.values_list("arxiv_id", "feed_day"))
    # A recent first version first seen today was announced today; an old one was not.
    assert days == {"2611.00002": date(2026, 11, 20), "1605.08386": date(2016, 5, 26)}
