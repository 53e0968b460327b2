"""Harvest passes and the ``harvest`` command against a replay server and the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from papertrend.papers.arxiv_client import ArxivClient, ArxivError
from papertrend.papers.harvest import harvest_api, harvest_oai, state_key
from papertrend.papers.models import HarvestState, Paper
from tests.replay_server import ReplayServer, Reply, recorded_api_reply, xml_reply

pytestmark = pytest.mark.django_db
TOKEN = "726959|1001"
PAGE2_DATESTAMP = date(2017, 12, 14)  # arxiv-physics-hep-th.xml


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


def client_for(server: ReplayServer) -> ArxivClient:
    return ArxivClient(
        server.url("/oai"), server.url("/api/query"), interval_s=0.0, max_retries=0, timeout_s=5
    )


def program_list(
    server: ReplayServer, shared_data: Path, first: dict[str, str], *page2: Reply
) -> None:
    """ListRecords: 6 arXivRaw records and a token, then 3 arXiv-format records, the end."""
    base = {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs"}
    server.add(
        "/oai",
        base | first,
        xml_reply(shared_data / "arxiv" / "oai-arXivRaw" / "ListRecordsResponse.xml"),
    )
    server.add(
        "/oai",
        {"verb": "ListRecords", "resumptionToken": TOKEN},
        *(page2 or [xml_reply(shared_data / "arxiv" / "oai-arXiv" / "arxiv-physics-hep-th.xml")]),
    )


def test_first_harvest_then_incremental_with_overlap(
    server: ReplayServer, shared_data: Path
) -> None:
    program_list(server, shared_data, {})
    summary = harvest_oai(client_for(server), "cs")
    assert (summary.read, summary.new, summary.skipped) == (9, 9, 0)
    assert Paper.objects.count() == 9
    state = HarvestState.objects.get(key="oai:arXivRaw:cs")
    assert state.last_datestamp == PAGE2_DATESTAMP

    # The next run starts two days before the stored datestamp; nothing is duplicated.
    program_list(server, shared_data, {"from": "2017-12-12"})
    again = harvest_oai(client_for(server), "cs", overlap_days=2)
    assert (again.new, again.unchanged) == (0, 9)
    assert Paper.objects.count() == 9
    assert server.received("/oai")[2].params["from"] == "2017-12-12"


def test_crash_mid_list_resumes_without_loss(server: ReplayServer, shared_data: Path) -> None:
    ok_page2 = xml_reply(shared_data / "arxiv" / "oai-arXiv" / "arxiv-physics-hep-th.xml")
    program_list(server, shared_data, {}, Reply(500, body=b"down"), ok_page2)
    with pytest.raises(ArxivError, match="HTTP 500"):
        harvest_oai(client_for(server), "cs")
    # Page 1 is committed, but the checkpoint did not move past unfinished pages.
    assert Paper.objects.count() == 6
    assert HarvestState.objects.get(key=state_key("arXivRaw", "cs")).last_datestamp is None

    summary = harvest_oai(client_for(server), "cs")
    assert (summary.new, summary.unchanged) == (3, 6)
    assert HarvestState.objects.get(key="oai:arXivRaw:cs").last_datestamp == PAGE2_DATESTAMP


def test_checkpoint_only_moves_forward_over_covered_ground(
    server: ReplayServer, shared_data: Path
) -> None:
    HarvestState.objects.create(key="oai:arXivRaw:cs", last_datestamp=date(2017, 12, 1))
    program_list(server, shared_data, {"from": "2017-12-10"})
    harvest_oai(client_for(server), "cs", from_date=date(2017, 12, 10))
    # Starting after the stored day leaves a gap: keep the old checkpoint.
    assert HarvestState.objects.get().last_datestamp == date(2017, 12, 1)

    program_list(server, shared_data, {"from": "2017-11-30"})
    harvest_oai(client_for(server), "cs", from_date=date(2017, 11, 30))
    assert HarvestState.objects.get().last_datestamp == PAGE2_DATESTAMP


def test_no_records_match_keeps_state(server: ReplayServer, shared_data: Path) -> None:
    server.add(
        "/oai",
        None,
        xml_reply(shared_data / "arxiv" / "oai-arXivRaw" / "ErrorResponseNoRecordsMatch.xml"),
    )
    summary = harvest_oai(client_for(server), "moo")
    assert summary.read == 0
    assert HarvestState.objects.get(key="oai:arXivRaw:moo").last_datestamp is None


def program_api(server: ReplayServer, shared_data: Path) -> None:
    for path in sorted((shared_data / "arxiv" / "api-atom" / "recorded_json").glob("id_*.json")):
        params, reply = recorded_api_reply(path)
        server.add("/api/query", params, reply)


def test_harvest_api(server: ReplayServer, shared_data: Path) -> None:
    program_api(server, shared_data)
    summary = harvest_api(client_for(server), id_list=["astro-ph/0601001"])
    assert (summary.read, summary.new) == (1, 1)
    assert Paper.objects.get().arxiv_id == "astro-ph/0601001"
    with pytest.raises(ArxivError, match="incorrect id format for abc"):
        harvest_api(client_for(server), id_list=["abc"])


@pytest.fixture
def arxiv_settings(settings, server: ReplayServer):
    settings.ARXIV_OAI_URL = server.url("/oai")
    settings.ARXIV_API_URL = server.url("/api/query")
    settings.ARXIV_REQUEST_INTERVAL = 0.0
    settings.ARXIV_MAX_RETRIES = 0
    settings.HARVEST_DEFAULT_SET = "cs"
    return settings


def test_command_oai_mode(arxiv_settings, server: ReplayServer, shared_data: Path) -> None:
    program_list(server, shared_data, {})
    out = StringIO()
    call_command("harvest", stdout=out)
    assert "read 9, new 9" in out.getvalue()
    assert "oai:arXivRaw:cs: harvested through 2017-12-14" in out.getvalue()


def test_command_api_mode(arxiv_settings, server: ReplayServer, shared_data: Path) -> None:
    program_api(server, shared_data)
    out = StringIO()
    call_command("harvest", "--id", "astro-ph/0601001", stdout=out)
    assert "read 1, new 1" in out.getvalue()


def test_command_errors(arxiv_settings, server: ReplayServer, shared_data: Path) -> None:
    server.add(
        "/oai",
        None,
        xml_reply(shared_data / "arxiv" / "oai-arXivRaw" / "ErrorResponseBadArgument.xml"),
    )
    with pytest.raises(CommandError, match="badArgument"):
        call_command("harvest", "--set", "cs", "--from", "2024-01-01")
    with pytest.raises(CommandError, match="not an arXiv identifier"):
        call_command("harvest", "--id", "nonsense")


def test_command_unreachable(settings) -> None:
    with ReplayServer() as gone:
        url = gone.url("/oai")
    settings.ARXIV_OAI_URL = url
    settings.ARXIV_MAX_RETRIES = 0
    settings.ARXIV_REQUEST_INTERVAL = 0.0
    with pytest.raises(CommandError) as caught:
        call_command("harvest", "--set", "cs")
    message = str(caught.value)
    assert f"cannot reach arXiv at {url}" in message
    assert "load files with `papertrend ingest PATH` instead" in message
