"""``papertrend serve`` in a subprocess: the real gunicorn, on a free 127.0.0.1 port.

For tests of what only the real server does (its request-line limit, its worker
start-up). The server gets its own data folder and SQLite database under
``tmp_path``; ``--no-fetch`` keeps it offline.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAPERTREND = Path(sys.executable).parent / "papertrend"


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class LiveServer:
    """A running ``papertrend serve``: its port, data folder and log file."""

    port: int
    data_dir: Path
    log: Path

    def get(self, target: str, timeout: float = 60.0) -> Answer:
        """GET ``target`` (path and query, sent exactly as given)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", target)
            response = connection.getresponse()
            headers = {name.lower(): value for name, value in response.getheaders()}
            return Answer(response.status, headers, response.read())
        finally:
            connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(data_dir: Path, extra: Mapping[str, str] = {}) -> dict[str, str]:
    """The environment of a server (or command) that uses ``data_dir`` alone."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        PAPERTREND_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'papertrend.sqlite3'}",
        SECRET_KEY="live-server-test-key",
        **extra,
    )
    return env


def run_command(data_dir: Path, *args: str, extra: Mapping[str, str] = {}) -> str:
    """Run ``papertrend ARGS`` on ``data_dir``'s database; returns its output."""
    done = subprocess.run(
        [str(PAPERTREND), *args],
        cwd=ROOT,
        env=server_env(data_dir, extra),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout + done.stderr


@contextmanager
def live_serve(
    data_dir: Path, *args: str, extra: Mapping[str, str] = {}, start_timeout: float = 120.0
) -> Iterator[LiveServer]:
    """Run ``papertrend serve --no-fetch ARGS`` until the block ends.

    Yields once gunicorn answers ``/robots.txt``-style probes (any HTTP status).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = data_dir / "serve.log"
    command = [str(PAPERTREND), "serve", "--no-fetch", "--bind", f"127.0.0.1:{port}", *args]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=server_env(data_dir, extra),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(port, data_dir, log)
    try:
        _wait_until_up(server, process, start_timeout)
        yield server
    finally:
        # gunicorn's master (exec'd from papertrend serve) stops its workers on SIGTERM.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_until_up(server: LiveServer, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"papertrend serve exited: {server.log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"papertrend serve did not start: {server.log.read_text()[-3000:]}")
