"""A small closed-loop HTTP load generator for the benchmarks (not a test).

Each of ``concurrency`` threads keeps one HTTP/1.1 connection to a local gunicorn
and sends GETs back to back for ``seconds``; latencies are wall-clock per request.
Only 127.0.0.1 is ever contacted. The first path is the baseline: every other
path's throughput is printed as a ratio to it.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on port {port}")


def measure(port: int, path: str, seconds: float, concurrency: int) -> dict[str, float]:
    """Hammer ``path`` for ``seconds``; return requests/s, p50/p99 ms and error count."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        failed = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    count = len(latencies)
    return {
        "rps": count / seconds,
        "p50": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p99": 1000 * latencies[min(count - 1, int(count * 0.99))] if latencies else float("nan"),
        "errors": float(errors),
    }


def serve_and_measure(
    data_dir: Path, paths: list[str], seconds: float, concurrency: int, workers: int
) -> None:
    """Start gunicorn on ``data_dir``'s database, measure each path, print a table."""
    port = _free_port()
    env = dict(os.environ, PAPERTREND_DATA_DIR=str(data_dir), DEBUG="false")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [
            str(gunicorn),
            "papertrend.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        _wait_ready(port)
        print(
            f"load: {concurrency} keep-alive clients, {seconds:.0f} s per page, "
            f"gunicorn {workers} sync workers, same 2-core machine as the clients"
        )
        baseline = None
        for path in paths:
            measure(port, path, min(2.0, seconds), concurrency)  # warm caches
            result = measure(port, path, seconds, concurrency)
            baseline = baseline or result["rps"]
            print(
                f"  {path:<28} {result['rps']:8.1f} req/s  p50 {result['p50']:7.1f} ms  "
                f"p99 {result['p99']:7.1f} ms  errors {result['errors']:.0f}  "
                f"ratio to {paths[0]} {result['rps'] / baseline:.2f}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
