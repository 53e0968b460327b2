"""A local HTTP server that replays programmed responses, for testing HTTP clients.

A real :class:`http.server.ThreadingHTTPServer` on 127.0.0.1 (a free port) in a
daemon thread. Routes map (path, query parameters) to a sequence of :class:`Reply`;
each matching request takes the next reply and the last one repeats. Every request
is recorded with its arrival time (``time.monotonic()``) so tests can check spacing
and retries.

    with ReplayServer() as server:
        server.add("/oai", {"verb": "GetRecord"}, Reply(503, {"Retry-After": "1"}), Reply())
        client = ArxivClient(server.url("/oai"), ...)
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from loopback import LoopbackHTTPServer


@dataclass(frozen=True)
class Reply:
    """One programmed response; ``drop`` closes the connection without answering."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drop: bool = False


@dataclass(frozen=True)
class Received:
    """One request as the server saw it; ``at`` is ``time.monotonic()`` on arrival."""

    path: str
    params: dict[str, str]
    at: float


def _clean(params: dict[str, str]) -> dict[str, str]:
    # Empty parameters carry no meaning for arXiv (``id_list=`` in search recordings).
    return {k: v for k, v in params.items() if v != ""}


@dataclass
class _Route:
    path: str
    params: dict[str, str] | None
    replies: list[Reply]
    served: int = 0

    def matches(self, path: str, params: dict[str, str]) -> bool:
        return path == self.path and (self.params is None or _clean(self.params) == params)

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class ReplayServer(LoopbackHTTPServer):
    """Serve programmed replies; unmatched requests get 404 with a plain-text note."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []
        self._lock = threading.Lock()
        self.requests: list[Received] = []
        super().__init__(self._handler_class())

    def add(self, path: str, params: dict[str, str] | None, *replies: Reply) -> None:
        """Program replies for ``path`` with exactly ``params`` (None: any query).

        Later routes win over earlier ones for the same request.
        """
        if not replies:
            raise ValueError("give at least one reply")
        with self._lock:
            self._routes.insert(0, _Route(path, params, list(replies)))

    def received(self, path: str | None = None) -> list[Received]:
        """Requests so far, optionally only those for ``path``."""
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def _dispatch(self, path: str, params: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(Received(path, params, time.monotonic()))
            for route in self._routes:
                if route.matches(path, params):
                    return route.next_reply()
        note = f"no replay programmed for {path} {params}".encode()
        return Reply(404, {"Content-Type": "text/plain"}, note)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = _clean(dict(parse_qsl(parts.query, keep_blank_values=True)))
                reply = replay._dispatch(parts.path, params)
                if reply.drop:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        return Handler


def xml_reply(path: Path, status: int = 200) -> Reply:
    """A recorded XML file served as it is."""
    return Reply(status, {"Content-Type": "text/xml; charset=utf-8"}, path.read_bytes())


def recorded_api_reply(
    path: Path, ignore: tuple[str, ...] = ("sortBy", "sortOrder")
) -> tuple[dict[str, str], Reply]:
    """A ``{"url", "status_code", "body"}`` recording as (query parameters, reply).

    Parameters named in ``ignore`` (arXiv's defaults, which clients may omit) are dropped.
    """
    recording = json.loads(path.read_text(encoding="utf-8"))
    query = parse_qsl(urlsplit(recording["url"]).query, keep_blank_values=True)
    params = _clean({k: v for k, v in query if k not in ignore})
    reply = Reply(
        recording["status_code"],
        {"Content-Type": "application/atom+xml; charset=utf-8"},
        recording["body"].encode("utf-8"),
    )
    return params, reply
