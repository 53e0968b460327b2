"""Rate limits for what people change (upvotes, submissions, sign-ups, subscriptions) and the API.

A limit is a rate in django-ratelimit's syntax (``"60/h"``: 60 per hour; ``"10/d"``: 10 per
day; ``"100/15m"``: 100 per 15 minutes) counted per key (the signed-in user, the client
IP, or any string) in fixed windows. Each key's windows are shifted by an offset derived
from the key, so not every counter resets at the same instant.

Counting is atomic, so under parallel requests exactly ``limit`` requests pass per window:

* caches whose ``incr`` is atomic (Redis, ``CACHE_URL=redis://...``; Memcached; the
  in-process LocMemCache): django-ratelimit's own counting (``cache.add`` then
  ``cache.incr``; on Redis ``SET NX`` and ``INCR``);
* the database cache (the default) and the file cache, whose ``incr`` is a read then a
  write (django-ratelimit lost counts there under parallel requests: 618 of a 600/h
  limit passed): a row per (key, window) in the ``accounts_ratecounter`` table, counted
  by one ``INSERT ... ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits``
  statement (SQLite >= 3.35, PostgreSQL), in windows shifted per key as
  django-ratelimit's are. Expired rows are deleted whenever a new window's row is
  created.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

DEFAULT_UPVOTE_RATE = "60/h"
DEFAULT_SUBMISSION_RATE = "10/d"
DEFAULT_SIGNUP_RATE = "20/h"

UPVOTE_GROUP = "papertrend.upvote"
SUBMISSION_GROUP = "papertrend.submission"
SIGNUP_GROUP = "papertrend.signup"

# Seconds a counter outlives its window (clock skew between servers).
_EXPIRY_FUDGE = 60
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
# Key values kept readable in counter names; anything else is hashed (cache keys must not
# hold spaces or control characters, and user input such as a typed username may).
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_.:@/+-]{1,120}")
# Caches whose incr() is a read then a write: counted in the database table instead.
_NON_ATOMIC_CACHES = (DatabaseCache, FileBasedCache, DummyCache)

Key = str | Callable[[str, HttpRequest], str]


def upvote_rate() -> str:
    """Upvotes and undos allowed per user, e.g. ``"60/h"``."""
    return str(getattr(settings, "UPVOTE_RATE", DEFAULT_UPVOTE_RATE))


def submission_rate() -> str:
    """Paper submissions allowed per user, e.g. ``"10/d"``."""
    return str(getattr(settings, "SUBMISSION_RATE", DEFAULT_SUBMISSION_RATE))


def signup_rate() -> str:
    """Sign-up form submissions allowed per client IP, e.g. ``"20/h"``."""
    return str(getattr(settings, "SIGNUP_RATE", DEFAULT_SIGNUP_RATE))


@dataclass(frozen=True)
class Rate:
    """``limit`` events per ``period`` seconds."""

    limit: int
    period: int


def parse_rate(rate: str) -> Rate:
    """``"60/h"`` → Rate(60, 3600); ``"100/15m"`` → Rate(100, 900).

    Raises ImproperlyConfigured naming the bad value.
    """
    match = _RATE.match(rate)
    if not match or match.group(2) == "0":
        raise ImproperlyConfigured(
            f"rate {rate!r}: expected COUNT/UNIT such as '60/h' or '100/15m' (units s, m, h, d)"
        )
    count, multiple, unit = match.groups()
    return Rate(int(count), int(multiple or 1) * _UNITS[unit])


def client_ip(request: HttpRequest) -> str:
    """The peer address (``REMOTE_ADDR``); IPv6 addresses as their /64 network.

    One host usually holds a whole IPv6 /64, so counting single addresses would let it
    use 2**64 of them. WSGI servers on a Unix socket may give no address: ``"unknown"``.
    """
    raw = request.META.get("REMOTE_ADDR") or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _key_value(request: HttpRequest, group: str, key: Key) -> str:
    if callable(key):
        return key(group, request)
    if key == "ip":
        return client_ip(request)
    if key == "user":
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"ip:{client_ip(request)}"
    raise ImproperlyConfigured(f"rate-limit key {key!r}: use 'user', 'ip' or a function")


def counter_name(group: str, value: str, window: int) -> str:
    """The counter's name: readable for short plain values, else with the value's SHA-256
    (fits the 255-character column and is a valid cache key whatever the value holds)."""
    if _SAFE_VALUE.fullmatch(value):
        return f"{group[:100]}:{window}:{value}"
    return f"{group[:100]}:{window}:{hashlib.sha256(value.encode()).hexdigest()}"


def _counter_cache() -> BaseCache:
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def hit(group: str, value: str, rate: str, *, now: float | None = None) -> int:
    """Count one event for ``value`` in ``group`` in the ``accounts_ratecounter`` table;
    returns the count in the current window.

    The counter for caches whose ``incr`` is not atomic (module docstring). ``now`` is a
    Unix time in seconds (default: the clock). Raises ImproperlyConfigured for a bad rate.
    """
    parsed = parse_rate(rate)
    now = time.time() if now is None else now
    # Each key's windows start at its own offset, so counters do not all reset at once.
    offset = zlib.crc32(f"{group}:{value}".encode()) % parsed.period
    window = int((now + offset) // parsed.period)
    window_end = window * parsed.period - offset + parsed.period
    name = counter_name(group, value, window)
    return _database_incr(name, int(window_end) + _EXPIRY_FUDGE, int(now))


def _database_incr(name: str, expires: int, now: int) -> int:
    from papertrend.accounts.models import RateCounter

    table = RateCounter._meta.db_table
    connection = connections[router.db_for_write(RateCounter)]
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quoted} (name, expires, hits) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (name) DO UPDATE SET hits = {quoted}.hits + 1 RETURNING hits",
            [name, expires],
        )
        row = cursor.fetchone()
    count = int(row[0])
    if count == 1:  # a new window's first event: drop the windows that are over
        RateCounter.objects.using(connection.alias).filter(expires__lt=now).delete()
    return count


def over_limit(request: HttpRequest, group: str, rate: str, key: Key = "user") -> bool:
    """Count this request against its ``group`` limit; True once over it.

    ``key``: ``"user"`` (the signed-in user; the client IP for visitors, the default),
    ``"ip"``, or a function of (group, request) returning a string. Call it only for
    requests that would change something (or, for the API, for every request), before
    acting. Raises ImproperlyConfigured for a malformed ``rate`` or ``key``.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return False
    limit = parse_rate(rate).limit  # validates the rate, naming it when malformed
    value = _key_value(request, group, key)
    if isinstance(_counter_cache(), _NON_ATOMIC_CACHES):
        return hit(group, value, rate) > limit
    usage = get_usage(request, group=group, key=lambda _g, _r: value, rate=rate, increment=True)
    # None only when disabled; a failing cache gives should_limit (RATELIMIT_FAIL_OPEN).
    return bool(usage and usage["should_limit"])


def too_many_requests(request: HttpRequest, what: str) -> HttpResponse:
    """The friendly HTTP 429 page; ``what`` completes "You have made too many …"."""
    return render(request, "accounts/429.html", {"what": what}, status=429)
