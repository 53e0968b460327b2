"""GitHubClient against a local replay of api.github.com (PyGithub recordings, keploy history)."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from papertrend.coderepos.github import GitHubClient, GitHubError, RateLimited
from tests.github_replay import (
    GitHubReplayServer,
    json_reply,
    moved,
    parse_replay,
    primary_limit,
    repo_json,
    secondary_limit,
    serve_keploy,
)

pytestmark = pytest.mark.shared_data

T0 = 1_700_000_000.0


class FakeTime:
    """A clock (epoch seconds) that only moves when ``sleep`` is called."""

    def __init__(self, start: float = T0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def replay_dir(shared_data: Path) -> Path:
    return shared_data / "github" / "pygithub-replay"


@pytest.fixture
def server():
    with GitHubReplayServer() as running:
        yield running


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(server: GitHubReplayServer, fake: FakeTime):
    with GitHubClient(server.base_url, sleep=fake.sleep, clock=fake.clock) as github:
        yield github


def test_parse_every_replay_file(replay_dir: Path) -> None:
    counts = {p.name.removesuffix(".txt"): len(parse_replay(p)) for p in replay_dir.glob("*.txt")}
    assert len(counts) == 12
    assert counts["Repository.testGetStargazersWithDates"] == 3
    assert counts["Retry.testReturnsRepoAfter1Retry"] == 2
    assert sum(counts.values()) == 21
    exchange = parse_replay(replay_dir / "Exceptions.testUnknownObject.txt")[1]
    assert (exchange.verb, exchange.path, exchange.reply.status) == (
        "GET",
        "/repos/jacquev6/Xxx",
        404,
    )


def test_parse_replay_names_the_bad_line(tmp_path: Path) -> None:
    good = "https\nGET\napi.github.com\nNone\n/user\n{}\nNone\n200\n[('ETag', '\"x\"')]\n{}\n"
    bad = good.replace("[('ETag'", "[('ETag' oops")
    path = tmp_path / "Broken.txt"
    path.write_text(good + "\n" + bad + "\n" + good)
    with pytest.raises(ValueError, match=r"Broken.txt:12: bad exchange"):
        parse_replay(path)


def test_repository_metadata(server, client, replay_dir: Path) -> None:
    server.load_replay(replay_dir / "Repository.setUp.txt")
    repo = client.get_repository("PyGithub", "PyGithub")
    assert (repo.full_name, repo.id, repo.stars) == ("PyGithub/PyGithub", 3544490, 7122)
    assert repo.description == "Typed interactions with the GitHub API v3"
    assert repo.language == "Python" and not repo.archived and not repo.renamed
    assert repo.topics == ("github", "github-api", "pygithub", "python")
    assert repo.pushed_at == datetime(2024, 12, 19, 12, 1, 11, tzinfo=UTC)
    assert repo.etag.startswith('W/"37ea5857')
    sent = server.received("/repos/PyGithub/PyGithub")[0].headers
    assert sent["accept"] == "application/vnd.github+json"
    assert "authorization" not in sent and "if-none-match" not in sent


def test_etag_gives_not_modified_and_token_is_sent(server, replay_dir: Path) -> None:
    server.load_replay(replay_dir / "Repository.setUp.txt")
    with GitHubClient(server.base_url, token="t0ken") as github:
        etag = github.get_repository("PyGithub", "PyGithub").etag
        again = github.get_repository("PyGithub", "PyGithub", etag=etag)
    assert again.not_modified and again.stars is None and again.etag == etag
    last = server.received()[-1].headers
    assert last["if-none-match"] == etag and last["authorization"] == "Bearer t0ken"


def test_unknown_repository_is_missing(server, client, replay_dir: Path) -> None:
    server.load_replay(replay_dir / "Exceptions.testUnknownObject.txt")
    result = client.get_repository("jacquev6", "Xxx")
    assert result.missing and result.stars is None


def test_renamed_repository_follows_301(server, client) -> None:
    server.add("/repos/old-owner/Old", moved("https://api.github.com/repositories/42"))
    server.add("/repositories/42", json_reply(repo_json("new-owner/New", 12, repo_id=42)))
    result = client.get_repository("old-owner", "Old")
    assert result.renamed and result.full_name == "new-owner/New"
    assert (result.id, result.stars) == (42, 12)
    assert [r.path for r in server.received()] == ["/repos/old-owner/Old", "/repositories/42"]


def test_primary_rate_limit_waits_until_reset(server, client, fake: FakeTime) -> None:
    reset = int(T0) + 30
    ok = json_reply(repo_json("a/b", 5))
    server.add("/repos/a/b", primary_limit(reset=reset), ok)
    assert client.get_repository("a", "b").stars == 5
    assert fake.sleeps == [pytest.approx(31.0)]  # reset - now + 1 s


def test_primary_rate_limit_past_the_cap_raises(server, fake: FakeTime) -> None:
    server.add("/repos/a/b", primary_limit(reset=int(T0) + 3600))
    github = GitHubClient(server.base_url, sleep=fake.sleep, clock=fake.clock, max_wait_s=600)
    with pytest.raises(RateLimited) as caught:
        github.get_repository("a", "b")
    assert caught.value.status == 403
    assert caught.value.reset_at == datetime.fromtimestamp(T0 + 3600, UTC)
    assert fake.sleeps == []


def test_used_up_window_blocks_the_next_request(server, client, fake: FakeTime) -> None:
    last = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(T0) + 10)}
    server.add("/repos/a/b", json_reply(repo_json("a/b", 1), headers=last))
    server.add("/repos/c/d", json_reply(repo_json("c/d", 2)))
    client.get_repository("a", "b")
    assert fake.sleeps == []
    client.get_repository("c", "d")
    assert fake.sleeps == [pytest.approx(11.0)]


def test_recorded_rate_limit_without_reset_waits_a_minute(server, client, fake, replay_dir):
    server.load_replay(replay_dir / "SpecificExceptions.testRateLimitExceeded.txt")
    assert client.get_json("/users/jacquev6")["login"] == "jacquev6"
    with pytest.raises(RateLimited, match="API Rate Limit Exceeded"):
        client.get_json("/users/jacquev6")
    assert fake.sleeps == [60.0, 60.0, 60.0]  # max_retries waits, then give up


def test_secondary_limit_with_retry_after_waits_for_real(server) -> None:
    server.add("/repos/a/b", secondary_limit(1, status=429), json_reply(repo_json("a/b", 3)))
    with GitHubClient(server.base_url) as github:
        assert github.get_repository("a", "b").stars == 3
    first, second = server.received("/repos/a/b")
    assert second.at - first.at >= 0.95


def test_secondary_limit_message_without_retry_after(server, client, fake: FakeTime) -> None:
    server.add("/repos/a/b", secondary_limit(None), json_reply(repo_json("a/b", 3)))
    assert client.get_repository("a", "b").stars == 3
    assert fake.sleeps == [60.0]


def test_forbidden_without_rate_limit_is_an_error(server, client) -> None:
    server.add("/repos/a/b", json_reply({"message": "Repository access blocked"}, 403))
    with pytest.raises(GitHubError) as caught:
        client.get_repository("a", "b")
    assert caught.value.status == 403 and "access blocked" in caught.value.message


def test_server_error_is_retried(server, client, fake: FakeTime, replay_dir: Path) -> None:
    server.load_replay(replay_dir / "Retry.testReturnsRepoAfter1Retry.txt")
    result = client.get_repository("PyGithub", "PyGithub")
    assert (result.full_name, result.stars) == ("PyGithub/PyGithub", 2256)
    assert fake.sleeps == [1.0]
    assert len(server.received("/repos/PyGithub/PyGithub")) == 2


def test_connection_errors_are_retried_then_raised(fake: FakeTime) -> None:
    with GitHubReplayServer() as gone:
        url = gone.base_url  # nothing listens there once the server is closed
    github = GitHubClient(url, sleep=fake.sleep, clock=fake.clock, timeout_s=2)
    with pytest.raises(GitHubError) as caught:
        github.get_repository("a", "b")
    assert caught.value.status is None
    assert fake.sleeps == [1.0, 2.0, 4.0]


def test_stargazers_with_dates(server, client, replay_dir: Path) -> None:
    server.load_replay(replay_dir / "Repository.testGetStargazersWithDates.txt")
    history = client.star_history("danvk", "comparea")
    assert len(history.starred_at) == 6 and not history.truncated and history.pages == 1
    assert history.starred_at[0] == datetime(2014, 8, 13, 19, 22, 5, tzinfo=UTC)
    assert history.starred_at == sorted(history.starred_at)
    request = server.received("/repos/danvk/comparea/stargazers")[0]
    assert request.headers["accept"] == "application/vnd.github.star+json"
    assert request.params == {"per_page": "100"}


def test_keploy_history_pages_through_link_headers(server, client, shared_data: Path) -> None:
    serve_keploy(server, shared_data / "github" / "keploy-stargazers.json")
    history = client.star_history("keploy", "keploy")
    assert len(history.starred_at) == 6889 and history.pages == 69 and not history.truncated
    per_day = Counter(d.date() for d in history.starred_at)
    assert per_day[date(2024, 10, 1)] == 397
    assert per_day[date(2024, 10, 2)] == 210
    assert per_day[date(2025, 2, 18)] == 115
    assert history.starred_at[0] == datetime(2022, 1, 19, 13, 26, 18, tzinfo=UTC)
    pages = [r.params.get("page", "1") for r in server.received("/repos/keploy/keploy/stargazers")]
    assert pages == [str(n) for n in range(1, 70)]


def test_history_truncated_by_max_pages(server, client, shared_data: Path) -> None:
    serve_keploy(server, shared_data / "github" / "keploy-stargazers.json")
    history = client.star_history("keploy", "keploy", max_pages=3)
    assert history.truncated and history.pages == 3 and len(history.starred_at) == 300


def test_history_truncated_by_github_pagination_cap(server, client) -> None:
    capped = json_reply({"message": "In order to keep the API fast, pagination is limited"}, 422)
    nxt = {"Link": '<https://api.github.com/repos/a/b/stargazers?per_page=100&page=2>; rel="next"'}
    page = [{"starred_at": "2024-01-01T00:00:00Z", "user": {"login": "x"}}]
    server.add("/repos/a/b/stargazers", json_reply(page, headers=nxt))
    server.add("/repos/a/b/stargazers", capped, params={"page": "2"})
    history = client.star_history("a", "b")
    assert history.truncated and len(history.starred_at) == 1


def test_foreign_link_is_refused(server, client) -> None:
    nxt = {"Link": '<https://evil.example/steal?page=2>; rel="next"'}
    server.add("/repos/a/b/stargazers", json_reply([], headers=nxt))
    with pytest.raises(GitHubError, match="foreign Link"):
        client.star_history("a", "b")


def test_from_settings_reads_token_from_environment(monkeypatch, settings) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "env-token")
    settings.GITHUB_API_URL = "http://127.0.0.1:9"
    github = GitHubClient.from_settings(max_retries=0)
    assert github.base_url == "http://127.0.0.1:9"
    assert github._http.headers["Authorization"] == "Bearer env-token"
    started = time.monotonic()
    github.close()
    assert time.monotonic() - started < 1
