"""Rate-limit counters: exactly ``limit`` requests pass under parallel load.

On the database (SQLite across processes, PostgreSQL across threads) and on Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.test import RequestFactory

from papertrend.accounts import ratelimits
from papertrend.accounts.models import RateCounter

ROOT = Path(__file__).resolve().parents[2]

DRIVER = """
import sys, threading
import django
django.setup()
from django.core.management import call_command
if sys.argv[1] == "migrate":
    call_command("migrate", "accounts", verbosity=0)
    sys.exit(0)
from django.db import connections
from django.test import RequestFactory
from papertrend.accounts.ratelimits import over_limit
passed = []
def run():
    request = RequestFactory().post("/x")
    for _ in range(int(sys.argv[2])):
        if not over_limit(request, "test.parallel", sys.argv[1], key="ip"):
            passed.append(1)
    connections.close_all()
threads = [threading.Thread(target=run) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(passed))
"""


def test_exactly_the_limit_passes_across_processes_on_sqlite(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "papertrend.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'limits.sqlite3'}",
        "PAPERTREND_DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CACHE_URL", None)  # the default: Django's database cache

    def driver(*args: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-c", DRIVER, *args]
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)

    assert driver("migrate").wait(timeout=120) == 0
    # 3 processes x 4 threads x 75 requests = 900 against the API's limit, 600/h.
    workers = [driver("600/h", "75") for _ in range(3)]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outputs
    assert sum(int(out.strip()) for out in outputs) == 600


def _hammer(check: Callable[[], bool], threads: int = 6, each: int = 40) -> int:
    """Run ``check`` ``each`` times in each of ``threads`` threads; how many returned False."""
    passed: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            passed.extend(1 for _ in range(each) if not check())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert errors == []
    return len(passed)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_exactly_the_limit_passes_across_threads_on_postgresql(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "papertrend_cache",
        }
    }
    request = RequestFactory().post("/x")
    group = f"test.{uuid.uuid4()}"
    check = lambda: ratelimits.over_limit(request, group, "600/h", key="ip")  # noqa: E731
    assert _hammer(check, threads=8, each=100) == 600


def _redis_url() -> str | None:
    url = os.environ.get("CACHE_URL") or "redis://127.0.0.1:6379/0"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # no server: the test is skipped
        return None
    return url


def test_exactly_the_limit_passes_across_threads_on_redis(settings) -> None:
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    request = RequestFactory().post("/x")
    group = f"test.{uuid.uuid4()}"
    check = lambda: ratelimits.over_limit(request, group, "600/h", key="ip")  # noqa: E731
    assert _hammer(check, threads=8, each=100) == 600


@pytest.mark.django_db
def test_window_resets_and_old_windows_are_deleted(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "papertrend_cache",
        }
    }
    start = 1_000_000.0
    counts = [ratelimits.hit("test.window", "k", "2/m", now=start + i) for i in range(3)]
    assert counts == [1, 2, 3]
    # Two minutes later (a new window at any offset): counting starts again, and the
    # first window's row is gone.
    assert ratelimits.hit("test.window", "k", "2/m", now=start + 181) == 1
    assert RateCounter.objects.count() == 1


@pytest.mark.django_db
def test_per_user_and_per_ip_keys_count_separately(settings) -> None:
    settings.UPVOTE_RATE = "1/h"
    first = RequestFactory().post("/x", REMOTE_ADDR="192.0.2.1")
    other_ip = RequestFactory().post("/x", REMOTE_ADDR="192.0.2.2")
    same_v6_net = [RequestFactory().post("/x", REMOTE_ADDR=f"2001:db8::{n}") for n in ("1", "ffff")]
    assert not ratelimits.over_limit(first, "test.ip", "1/h", key="ip")
    assert ratelimits.over_limit(first, "test.ip", "1/h", key="ip")
    assert not ratelimits.over_limit(other_ip, "test.ip", "1/h", key="ip")
    # One IPv6 /64 is one client.
    assert not ratelimits.over_limit(same_v6_net[0], "test.ip", "1/h", key="ip")
    assert ratelimits.over_limit(same_v6_net[1], "test.ip", "1/h", key="ip")


@pytest.mark.parametrize("rate", ["60", "x/h", "5/w", "5/0m", ""])
def test_bad_rates_name_the_value(rate: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="rate"):
        ratelimits.parse_rate(rate)


def test_rates_parse() -> None:
    assert ratelimits.parse_rate("60/h") == ratelimits.Rate(60, 3600)
    assert ratelimits.parse_rate("100/15m") == ratelimits.Rate(100, 900)
    assert ratelimits.parse_rate("10/d") == ratelimits.Rate(10, 86400)
