"""A local stand-in for api.github.com, for testing :mod:`papertrend.coderepos.github`.

A real :class:`http.server.ThreadingHTTPServer` on 127.0.0.1 (a free port) in a daemon
thread that serves:

* exchanges recorded by PyGithub (``tests/ReplayData/*.txt``, see :func:`parse_replay`)
  for their path and query, in order (the last one repeats), with ``Link`` and
  ``Location`` rewritten to this server and conditional requests honoured (a matching
  ``If-None-Match`` gets 304, as GitHub does);
* a stargazer history (``serve_stargazers``) as GitHub's paginated ``star+json`` list;
* programmed replies (``add``) and handlers (``add_handler``), which win over recordings.

Every request is recorded (:class:`Received`) with its headers and arrival time.
"""

from __future__ import annotations

import ast
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from loopback import LoopbackHTTPServer

GITHUB_API = "https://api.github.com"
# Hop-by-hop or length headers the recording carries but this server sets itself.
_SKIP_HEADERS = {"content-length", "transfer-encoding", "connection", "status", "content-encoding"}


@dataclass(frozen=True)
class Reply:
    """One response. ``headers`` keep their order; ``Link``/``Location`` may name api.github.com."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class Exchange:
    """One recorded request and its response, as PyGithub's replay files hold them."""

    verb: str
    host: str
    path: str
    request_headers: dict[str, str]
    reply: Reply


@dataclass(frozen=True)
class Received:
    """A request as the server saw it: ``at`` is ``time.monotonic()``, ``wall`` ``time.time()``."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    at: float
    wall: float


Handler = Callable[[Received], Reply]


def parse_replay(path: Path) -> list[Exchange]:
    """Parse a PyGithub replay file into its exchanges.

    The format (PyGithub ``tests/Framework.py``): blocks separated by one blank line,
    each of 10 lines: protocol, verb, host, port, path with query, request headers (a
    Python dict literal), request body (``None``), status, response headers (a Python
    list of pairs), response body (one line). Old files prefix the request headers with
    ``api v3``. Raises ValueError naming the file and line.
    """
    lines = path.read_text(encoding="utf-8").split("\n")
    exchanges: list[Exchange] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        block = lines[i : i + 10]
        if len(block) < 10:
            raise ValueError(f"{path.name}:{i + 1}: incomplete exchange ({len(block)} lines)")
        try:
            # Old recordings prefix the headers with the API name ("api v3 {...}").
            request_headers = ast.literal_eval(block[5][block[5].find("{") :])
            headers = ast.literal_eval(block[8])
            status = int(block[7])
        except (ValueError, SyntaxError) as exc:
            raise ValueError(f"{path.name}:{i + 1}: bad exchange: {exc}") from exc
        reply = Reply(status, tuple((str(k), str(v)) for k, v in headers), block[9].encode())
        exchanges.append(Exchange(block[1], block[2], block[4], dict(request_headers), reply))
        i += 10
    return exchanges


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """A JSON response with ``headers`` added."""
    extra = tuple((headers or {}).items())
    return Reply(status, (("Content-Type", "application/json"), *extra), json.dumps(data).encode())


def primary_limit(reset_in_s: float = 2.0, status: int = 403, reset: int | None = None) -> Reply:
    """GitHub's primary-limit answer, resetting at epoch ``reset`` or ``reset_in_s`` from now."""
    reset = int(time.time() + reset_in_s) if reset is None else reset
    headers = {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(reset),
    }
    return json_reply({"message": "API rate limit exceeded"}, status, headers)


def secondary_limit(retry_after_s: int | None = 1, status: int = 403) -> Reply:
    """GitHub's secondary-limit answer, with ``Retry-After`` unless None."""
    headers = {} if retry_after_s is None else {"Retry-After": str(retry_after_s)}
    message = "You have exceeded a secondary rate limit. Please wait a few minutes."
    return json_reply({"message": message}, status, headers)


def moved(location: str) -> Reply:
    """A ``301`` to ``location`` (a path, or a URL on api.github.com)."""
    return json_reply(
        {"message": "Moved Permanently", "url": location}, 301, {"Location": location}
    )


def repo_json(full_name: str, stars: int, repo_id: int = 1, **extra: Any) -> dict[str, Any]:
    """A minimal ``GET /repos/{owner}/{repo}`` body."""
    owner, name = full_name.split("/")
    data: dict[str, Any] = {
        "id": repo_id,
        "name": name,
        "full_name": full_name,
        "owner": {"login": owner},
        "stargazers_count": stars,
        "description": f"{name} description",
        "language": "Python",
        "archived": False,
        "pushed_at": "2025-03-01T10:00:00Z",
        "topics": [],
    }
    data.update(extra)
    return data


@dataclass
class _Route:
    path: str
    params: dict[str, str] | None
    replies: list[Reply] = field(default_factory=list)
    handler: Handler | None = None
    served: int = 0

    def specificity(self, path: str, params: dict[str, str]) -> int | None:
        """How well this route fits (more query parameters matched is better), or None."""
        if path != self.path:
            return None
        if self.params is None:
            return 0
        if any(params.get(k) != v for k, v in self.params.items()):
            return None
        # Clients may add parameters a recording lacks (per_page); extra ones are fine.
        return 1 + len(self.params)

    def respond(self, request: Received) -> Reply:
        if self.handler is not None:
            return self.handler(request)
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class GitHubReplayServer(LoopbackHTTPServer):
    """Serve recorded and programmed GitHub API answers; anything else gets 404 JSON.

    ``latency_s`` delays every answer (to make concurrent clients overlap).
    """

    def __init__(self, latency_s: float = 0.0) -> None:
        self.latency_s = latency_s
        self.requests: list[Received] = []
        self._routes: list[_Route] = []
        self._lock = threading.Lock()
        super().__init__(self._handler_class())
        self._server.daemon_threads = True

    # --- programming -----------------------------------------------------------------

    def add(self, path: str, *replies: Reply, params: dict[str, str] | None = None) -> None:
        """Serve ``replies`` in order for ``path`` (and ``params``, when given); the last repeats.

        Routes added later win over earlier ones that fit as well.
        """
        if not replies:
            raise ValueError("give at least one reply")
        with self._lock:
            self._routes.insert(0, _Route(path, params, list(replies)))

    def add_handler(self, path: str, handler: Handler) -> None:
        """Answer every request for ``path`` (any query) with ``handler(request)``."""
        with self._lock:
            self._routes.insert(0, _Route(path, None, handler=handler))

    def load_replay(self, path: Path) -> list[Exchange]:
        """Serve every exchange of a PyGithub replay file (same path+query: in file order)."""
        exchanges = parse_replay(path)
        grouped: dict[tuple[str, str], list[Reply]] = {}
        for exchange in exchanges:
            parts = urlsplit(exchange.path)
            grouped.setdefault((parts.path, parts.query), []).append(exchange.reply)
        for (route_path, query), replies in grouped.items():
            self.add(route_path, *replies, params=dict(parse_qsl(query)))
        return exchanges

    def serve_repository(self, full_name: str, data: dict[str, Any], etag: str = "") -> None:
        """``GET /repos/{full_name}`` answers ``data`` (304 when ``If-None-Match`` is ``etag``)."""
        headers = {"ETag": etag} if etag else {}
        self.add(f"/repos/{full_name}", json_reply(data, headers=headers))

    def serve_stargazers(
        self, full_name: str, events: Sequence[tuple[str, str]], per_page: int = 100
    ) -> None:
        """``GET /repos/{full_name}/stargazers`` over ``(login, starred_at)`` pairs.

        Pages of ``per_page`` (the client's ``per_page`` wins), GitHub's ``Link`` header
        (first/prev/next/last), and the ``star+json`` item shape ``{"starred_at", "user"}``.
        """
        path = f"/repos/{full_name}/stargazers"

        def handler(request: Received) -> Reply:
            size = int(request.params.get("per_page", per_page))
            page = int(request.params.get("page", "1"))
            last = max(1, -(-len(events) // size))
            chunk = events[(page - 1) * size : page * size]
            items = [{"starred_at": at, "user": {"login": login}} for login, at in chunk]
            links = []
            for rel, target in (
                ("first", 1),
                ("prev", page - 1),
                ("next", page + 1),
                ("last", last),
            ):
                if 1 <= target <= last and (rel in ("next", "prev") or page != target):
                    query = urlencode({"per_page": size, "page": target})
                    links.append(f'<{GITHUB_API}{path}?{query}>; rel="{rel}"')
            headers = {"Link": ", ".join(links)} if links else {}
            return json_reply(items, headers=headers)

        self.add_handler(path, handler)

    def received(self, path: str | None = None) -> list[Received]:
        """Requests so far, optionally only those for ``path``."""
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def counts(self) -> dict[str, int]:
        """Requests per path (query ignored)."""
        result: dict[str, int] = {}
        for request in self.received():
            result[request.path] = result.get(request.path, 0) + 1
        return result

    # --- lifecycle and serving ---------------------------------------------------------

    def _dispatch(self, request: Received) -> Reply:
        with self._lock:
            self.requests.append(request)
            best: tuple[int, _Route] | None = None
            for route in self._routes:
                score = route.specificity(request.path, request.params)
                if score is not None and (best is None or score > best[0]):
                    best = (score, route)
            if best is None:
                return json_reply({"message": "Not Found"}, 404)
            route = best[1]
            # Replies advance under the lock; handlers run outside it (they may be slow).
            reply = route.respond(request) if route.handler is None else None
        return self._conditional(request, reply or route.respond(request))

    @staticmethod
    def _conditional(request: Received, reply: Reply) -> Reply:
        etag = next((v for k, v in reply.headers if k.lower() == "etag"), None)
        if reply.status == 200 and etag and request.headers.get("if-none-match") == etag:
            return Reply(304, reply.headers)
        return reply

    def _rewrite(self, value: str) -> str:
        return value.replace(GITHUB_API, self.base_url)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this, Nagle's algorithm
            # and delayed ACKs add ~40 ms to every keep-alive response.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = Received(
                    method="GET",
                    path=parts.path,
                    params=dict(parse_qsl(parts.query)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    at=time.monotonic(),
                    wall=time.time(),
                )
                reply = replay._dispatch(request)
                if replay.latency_s:
                    time.sleep(replay.latency_s)
                body = b"" if reply.status == 304 else reply.body
                self.send_response(reply.status)
                for name, value in reply.headers:
                    if name.lower() not in _SKIP_HEADERS:
                        self.send_header(name, replay._rewrite(value))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        return RequestHandler


def keploy_events(stargazers_json: Path) -> list[tuple[str, str]]:
    """``(login, starred_at)`` pairs from keploy's ``stargazers.json`` (``username`` field)."""
    return [(e["username"], e["starred_at"]) for e in json.loads(stargazers_json.read_text())]


def serve_keploy(server: GitHubReplayServer, stargazers_json: Path, etag: str = "") -> int:
    """Serve keploy/keploy's metadata and real stargazer history; returns the star count."""
    events = keploy_events(stargazers_json)
    # Synthetic metadata: only the star count (the history's length) is real.
    data = repo_json("keploy/keploy", len(events), repo_id=1000, language="Go")
    server.serve_repository("keploy/keploy", data, etag=etag)
    server.serve_stargazers("keploy/keploy", events)
    return len(events)


def paths(requests: Iterable[Received]) -> list[str]:
    """The paths of ``requests``, in order."""
    return [r.path for r in requests]
