"""Per-user rate limits for what signed-in people change (django-ratelimit).

Counts live in Django's cache (``RATELIMIT_USE_CACHE``, default ``"default"``), so
the limits hold across server processes only when that cache is shared
(DatabaseCache or Redis, not LocMemCache). Rates use django-ratelimit's syntax
(``"60/h"``: 60 per hour; ``"10/d"``: 10 per day) and come from the settings
``UPVOTE_RATE`` and ``SUBMISSION_RATE`` when set.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited

DEFAULT_UPVOTE_RATE = "60/h"
DEFAULT_SUBMISSION_RATE = "10/d"

UPVOTE_GROUP = "papertrend.upvote"
SUBMISSION_GROUP = "papertrend.submission"


def upvote_rate() -> str:
    """Upvotes and undos allowed per user, e.g. ``"60/h"``."""
    return str(getattr(settings, "UPVOTE_RATE", DEFAULT_UPVOTE_RATE))


def submission_rate() -> str:
    """Paper submissions allowed per user, e.g. ``"10/d"``."""
    return str(getattr(settings, "SUBMISSION_RATE", DEFAULT_SUBMISSION_RATE))


def over_limit(
    request: HttpRequest,
    group: str,
    rate: str,
    key: str | Callable[[str, HttpRequest], str] = "user",
) -> bool:
    """Count this request against its ``group`` limit; True once over it.

    ``key`` is django-ratelimit's: ``"user"`` (the signed-in user, the default),
    ``"ip"``, or a function of (group, request). Call it only for requests that
    would change something (or, for the API, for every request), before acting.
    """
    return is_ratelimited(request, group=group, key=key, rate=rate, increment=True)


def too_many_requests(request: HttpRequest, what: str) -> HttpResponse:
    """The friendly HTTP 429 page; ``what`` completes "You have made too many …"."""
    return render(request, "accounts/429.html", {"what": what}, status=429)
