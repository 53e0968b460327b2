"""Time the first searches after ``papertrend serve`` starts (not a test).

    .venv/bin/python bench/first_search_bench.py [--checkout DIR] [--workers 2]

Runs the real server (gunicorn) of the code in ``--checkout`` (default: this
one; point it at a ``git worktree`` of an older commit to compare) on a fresh
SQLite database holding ``--papers`` (default: the 200-record Kaggle sample in
../shared/data), with the default PyTorch model, in two cases:

* ``index first``: the vector index exists before the server starts; the first
  search is sent the moment the port accepts connections.
* ``index later``: the server starts with no vector index, the index is built
  while it serves (as ``papertrend serve``'s background build does), then searches.

Each case prints seconds from start until the first page answered, then the
latency of the first search and the slowest of the next ``2 x workers`` (with
sequential requests, every worker gets some). Figures go in docs/search.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
QUERY = "/search?q=" + quote("neural networks that read long documents")


def env_for(checkout: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        PYTHONPATH=str(checkout),
        PAPERTREND_DATA_DIR=str(data),
        DATABASE_URL=f"sqlite:///{data / 'db.sqlite3'}",
        SECRET_KEY="bench",
        PAPERTREND_EMBEDDING_MODEL="minilm",
    )
    return env


def command(checkout: Path, data: Path, *args: str) -> None:
    subprocess.run(
        [str(BIN / "papertrend"), *args],
        cwd=checkout,
        env=env_for(checkout, data),
        check=True,
        capture_output=True,
    )


def get(port: int, target: str) -> tuple[int, float]:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    while process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server exited")


def run_case(checkout: Path, papers: Path, workers: int, index_first: bool) -> str:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        command(checkout, data, "serve", "--prepare-only", "--no-fetch", "--load", str(papers))
        if index_first:
            command(checkout, data, "index", "build", "--no-progress")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        argv = [str(BIN / "papertrend"), "serve", "--no-fetch", "--no-index-build"]
        argv += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        started = time.monotonic()
        process = subprocess.Popen(
            argv,
            cwd=checkout,
            env=env_for(checkout, data),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_port(port, process)
            if index_first:
                first = get(port, QUERY)[1]
                up = time.monotonic() - started
            else:
                get(port, "/")
                up = time.monotonic() - started
                command(checkout, data, "index", "build", "--no-progress")
                first = get(port, QUERY)[1]
            rest = max(get(port, QUERY)[1] for _ in range(2 * workers))
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    case = "index first" if index_first else "index later"
    answered = "first search answered" if index_first else "first page answered"
    return (
        f"{case}: {answered} {up:.1f} s after start; first search {first:.2f} s, "
        f"slowest of the next {2 * workers} {rest:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument(
        "--papers",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "arxiv" / "kaggle-snapshot-head.jsonl",
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"checkout {args.checkout}, {args.workers} workers, {os.cpu_count()} CPUs")
    for index_first in (True, False):
        print(run_case(args.checkout.resolve(), args.papers.resolve(), args.workers, index_first))


if __name__ == "__main__":
    main()
