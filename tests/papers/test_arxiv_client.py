"""ArxivClient against a local replay server serving recorded arXiv responses."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from papertrend.papers.arxiv_client import ArxivClient, ArxivError, papers_of
from papertrend.papers.records import PaperRecord
from tests.replay_server import ReplayServer, Reply, recorded_api_reply, xml_reply

INTERVAL = 0.05
PAGE1_TOKEN = "726959|1001"


class FakeTime:
    """A clock that only moves when ``sleep`` is called; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


def make_client(server: ReplayServer, **kwargs: object) -> ArxivClient:
    options: dict = {"interval_s": INTERVAL, "timeout_s": 5, "max_retries": 2}
    options.update(kwargs)
    return ArxivClient(server.url("/oai"), server.url("/api/query"), **options)


def oai_file(shared_data: Path, folder: str, name: str) -> Reply:
    return xml_reply(shared_data / "arxiv" / folder / name)


def program_two_pages(server: ReplayServer, shared_data: Path, page2: Reply | None = None) -> None:
    server.add(
        "/oai",
        {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs", "from": "2014-10-01"},
        oai_file(shared_data, "oai-arXivRaw", "ListRecordsResponse.xml"),
    )
    server.add(
        "/oai",
        {"verb": "ListRecords", "resumptionToken": PAGE1_TOKEN},
        page2 or oai_file(shared_data, "oai-arXiv", "arxiv-physics-hep-th.xml"),
    )


def test_list_records_follows_resumption_token_and_spaces_requests(
    server: ReplayServer, shared_data: Path
) -> None:
    program_two_pages(server, shared_data)
    with make_client(server) as client:
        pages = list(client.list_records("arXivRaw", "cs", from_date=date(2014, 10, 1)))
    assert [len(p.results) for p in pages] == [6, 3]
    assert pages[0].resumption_token == PAGE1_TOKEN and pages[1].resumption_token is None
    assert pages[0].max_datestamp == date(2014, 12, 22)
    assert pages[1].max_datestamp == date(2017, 12, 14)
    received = server.received("/oai")
    assert [r.params.get("resumptionToken") for r in received] == [None, PAGE1_TOKEN]
    assert received[1].params == {"verb": "ListRecords", "resumptionToken": PAGE1_TOKEN}
    assert received[1].at - received[0].at >= INTERVAL
    assert pages[0].results[0].locator.endswith("record 1")
    assert "/oai?" in pages[0].results[0].locator


def test_spacing_with_fake_clock(server: ReplayServer, shared_data: Path) -> None:
    server.add("/oai", None, oai_file(shared_data, "oai-arXivRaw", "GetRecordResponse.xml"))
    fake = FakeTime()
    with make_client(server, interval_s=3.0, sleep=fake.sleep, clock=fake.clock) as client:
        for _ in range(3):
            client.get_record("1302.2146")
    assert fake.sleeps == [3.0, 3.0]  # none before the first request


def test_no_records_match_is_empty(server: ReplayServer, shared_data: Path) -> None:
    server.add(
        "/oai", None, oai_file(shared_data, "oai-arXivRaw", "ErrorResponseNoRecordsMatch.xml")
    )
    with make_client(server) as client:
        assert list(client.list_records(set_spec="moo")) == []


def test_bad_resumption_token_raises(server: ReplayServer, shared_data: Path) -> None:
    bad = oai_file(shared_data, "oai-arXivRaw", "ErrorResponseBadResumptionToken.xml")
    program_two_pages(server, shared_data, page2=bad)
    with make_client(server) as client:
        pages = client.list_records("arXivRaw", "cs", from_date=date(2014, 10, 1))
        assert len(next(pages).results) == 6
        with pytest.raises(ArxivError, match="badResumptionToken: The resumptionToken") as caught:
            next(pages)
    assert caught.value.code == "badResumptionToken"
    assert PAGE1_TOKEN.replace("|", "%7C") in caught.value.url


def test_repeated_token_stops_with_error(server: ReplayServer, shared_data: Path) -> None:
    page1 = oai_file(shared_data, "oai-arXivRaw", "ListRecordsResponse.xml")
    server.add("/oai", None, page1)
    with make_client(server) as client, pytest.raises(ArxivError, match="repeated resumptionToken"):
        list(client.list_records())


def test_get_record_and_id_does_not_exist(server: ReplayServer, shared_data: Path) -> None:
    server.add(
        "/oai",
        {
            "verb": "GetRecord",
            "identifier": "oai:arXiv.org:1302.2146",
            "metadataPrefix": "arXivRaw",
        },
        oai_file(shared_data, "oai-arXivRaw", "GetRecordResponse.xml"),
    )
    server.add(
        "/oai",
        {
            "verb": "GetRecord",
            "identifier": "oai:arXiv.org:0812.9999",
            "metadataPrefix": "arXivRaw",
        },
        oai_file(shared_data, "oai-arXivRaw", "ErrorResponseIdDoesNotExist.xml"),
    )
    with make_client(server) as client:
        (paper,) = papers_of(client.get_record("arXiv:1302.2146v2"))
        assert paper.arxiv_id == "1302.2146" and len(paper.versions) == 2
        with pytest.raises(ArxivError, match="idDoesNotExist") as caught:
            client.get_record("0812.9999")
    assert caught.value.code == "idDoesNotExist"


def test_503_retry_after_seconds_then_200(server: ReplayServer, shared_data: Path) -> None:
    ok = oai_file(shared_data, "oai-arXivRaw", "GetRecordResponse.xml")
    server.add("/oai", None, Reply(503, {"Retry-After": "7"}, b"busy"), ok)
    fake = FakeTime()
    with make_client(server, sleep=fake.sleep, clock=fake.clock) as client:
        page = client.get_record("1302.2146")
    assert len(page.results) == 1
    assert fake.sleeps == [7.0]  # the retry wait already covers the spacing
    assert len(server.received("/oai")) == 2


def test_503_retry_after_http_date_is_capped(server: ReplayServer, shared_data: Path) -> None:
    ok = oai_file(shared_data, "oai-arXivRaw", "GetRecordResponse.xml")
    later = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    server.add("/oai", None, Reply(503, {"Retry-After": later}), ok)
    fake = FakeTime()
    with make_client(server, sleep=fake.sleep, clock=fake.clock, max_wait_s=60) as client:
        client.get_record("1302.2146")
    assert fake.sleeps == [60]


def test_real_sleep_retry_spacing(server: ReplayServer, shared_data: Path) -> None:
    ok = oai_file(shared_data, "oai-arXivRaw", "GetRecordResponse.xml")
    server.add("/oai", None, Reply(503, {"Retry-After": "0"}), ok)
    with make_client(server) as client:
        client.get_record("1302.2146")
    first, second = server.received("/oai")
    assert second.at - first.at >= INTERVAL


def test_retries_exhausted(server: ReplayServer) -> None:
    server.add("/oai", None, Reply(503, {"Retry-After": "1"}))
    fake = FakeTime()
    client = make_client(server, sleep=fake.sleep, clock=fake.clock, max_retries=3)
    with client, pytest.raises(ArxivError, match="HTTP 503 after 4 attempts") as caught:
        client.get_record("1302.2146")
    assert caught.value.status == 503
    assert len(server.received()) == 4 and fake.sleeps == [1.0, 1.0, 1.0]


def test_other_http_errors_are_not_retried(server: ReplayServer) -> None:
    server.add("/oai", None, Reply(500, {"Content-Type": "text/html"}, b"<html>oops</html>"))
    with make_client(server) as client, pytest.raises(ArxivError, match="HTTP 500") as caught:
        client.get_record("1302.2146")
    assert caught.value.status == 500 and len(server.received()) == 1


def test_dropped_connection_is_retried_then_reported(
    server: ReplayServer, shared_data: Path
) -> None:
    ok = oai_file(shared_data, "oai-arXivRaw", "GetRecordResponse.xml")
    server.add("/oai", None, Reply(drop=True), ok)
    fake = FakeTime()
    with make_client(server, sleep=fake.sleep, clock=fake.clock) as client:
        assert len(client.get_record("1302.2146").results) == 1
    server.add("/oai", None, Reply(drop=True))
    client = make_client(server, sleep=fake.sleep, clock=fake.clock, max_retries=1)
    with client, pytest.raises(ArxivError, match="cannot reach arXiv at") as caught:
        client.get_record("1302.2146")
    assert caught.value.status is None


def test_unreachable_host() -> None:
    with ReplayServer() as gone:
        url = gone.url("/oai")
    client = ArxivClient(url, url, interval_s=0, max_retries=0, timeout_s=2)
    with pytest.raises(ArxivError, match=f"cannot reach arXiv at {url}"):
        client.get_record("1302.2146")


def program_search(server: ReplayServer, shared_data: Path) -> None:
    for path in sorted((shared_data / "arxiv" / "api-atom" / "recorded_json").glob("*.json")):
        params, reply = recorded_api_reply(path)
        server.add("/api/query", params, reply)


def test_query_paginates_by_start(server: ReplayServer, shared_data: Path) -> None:
    program_search(server, shared_data)
    with make_client(server) as client:
        pages = list(client.query(search_query="testing", max_results=60, page_size=10))
    assert [p.start_index for p in pages] == [0, 10, 20, 30, 40, 50]
    papers = [r for p in pages for r in p.results if isinstance(r, PaperRecord)]
    assert len(papers) == 60
    received = server.received("/api/query")
    assert [r.params["start"] for r in received] == ["0", "10", "20", "30", "40", "50"]
    gaps = [b.at - a.at for a, b in itertools.pairwise(received)]
    assert min(gaps) >= INTERVAL


def test_query_error_feed_raises_with_api_message(server: ReplayServer, shared_data: Path) -> None:
    program_search(server, shared_data)
    with make_client(server) as client, pytest.raises(ArxivError) as caught:
        list(client.query(id_list=["abc"]))
    assert str(caught.value) == "arXiv API error: incorrect id format for abc"
    assert caught.value.status == 400


def test_query_id_lists(server: ReplayServer, shared_data: Path) -> None:
    program_search(server, shared_data)
    with make_client(server) as client:
        assert [len(p.results) for p in client.query(id_list=["0000.0000"])] == [0]
        (page,) = client.query(id_list=["astro-ph/0601001"])
        (paper,) = papers_of(page)
        assert paper.arxiv_id == "astro-ph/0601001"
        with pytest.raises(ValueError, match="search_query, id_list"):
            next(client.query())


def test_from_settings(settings) -> None:
    settings.ARXIV_OAI_URL = "http://127.0.0.1:9/oai"
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api"
    settings.ARXIV_REQUEST_INTERVAL = 0.5
    settings.ARXIV_MAX_RETRIES = 1
    client = ArxivClient.from_settings(max_wait_s=10)
    assert (client.oai_url, client.api_url) == ("http://127.0.0.1:9/oai", "http://127.0.0.1:9/api")
    assert (client.interval_s, client.max_retries, client.max_wait_s) == (0.5, 1, 10)
    client.close()


def test_real_clock_interval_is_respected_without_fakes(
    server: ReplayServer, shared_data: Path
) -> None:
    server.add("/oai", None, oai_file(shared_data, "oai-arXivRaw", "GetRecordResponse.xml"))
    with make_client(server, interval_s=0.1) as client:
        started = time.monotonic()
        for _ in range(3):
            client.get_record("1302.2146")
        assert time.monotonic() - started >= 0.2
