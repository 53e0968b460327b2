"""Sign-in throttling for ``/accounts/login`` and ``/admin/login/``, per account and per IP.

Every sign-in attempt (a POST that passed the CSRF check) is counted before the password
is checked, in two limits (:mod:`papertrend.accounts.ratelimits`, atomic counters):

* per account: the typed username, NFKC-normalized and case-folded (``Ada`` and ``ada``
  share a counter), ``LOGIN_ACCOUNT_RATE`` (default ``"10/15m"``);
* per client IP (IPv6: per /64), ``LOGIN_IP_RATE`` (default ``"100/h"``), which bounds
  trying one password on many accounts.

Over either limit the attempt is answered 429 with a ``Retry-After`` header and the
password is not checked at all, so a right password does not get in either: guessing
gains nothing. Successful attempts count too (the counter is taken before anyone knows
whether the password is right, which is what keeps it exact under parallel requests).
The limits are windows, not locks: a held-up account signs in again when its window ends.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from papertrend.accounts import ratelimits

ACCOUNT_GROUP = "papertrend.login.account"
IP_GROUP = "papertrend.login.ip"
DEFAULT_ACCOUNT_RATE = "10/15m"
DEFAULT_IP_RATE = "100/h"

View = Callable[..., HttpResponseBase]


def account_rate() -> str:
    """Sign-in attempts allowed per account (typed username), e.g. ``"10/15m"``."""
    return str(getattr(settings, "LOGIN_ACCOUNT_RATE", DEFAULT_ACCOUNT_RATE))


def ip_rate() -> str:
    """Sign-in attempts allowed per client IP, e.g. ``"100/h"``."""
    return str(getattr(settings, "LOGIN_IP_RATE", DEFAULT_IP_RATE))


def account_key(request: HttpRequest) -> str:
    """The account an attempt is for: the POSTed username, normalized as Django's
    forms normalize it (NFKC), then case-folded; ``""`` when none was given."""
    field = get_user_model().USERNAME_FIELD
    typed = str(request.POST.get(field, ""))
    return unicodedata.normalize("NFKC", typed).strip().casefold()


def attempt_refused(request: HttpRequest) -> int:
    """Count this sign-in attempt against both limits; when over either, the longest
    window (seconds) among the limits it is over, else 0.

    Both counters are always taken, so an attacker cannot save one by tripping the other.
    """
    account = account_key(request)
    over_ip = ratelimits.over_limit(request, IP_GROUP, ip_rate(), key="ip")
    over_account = ratelimits.over_limit(
        request, ACCOUNT_GROUP, account_rate(), key=lambda group, request: f"user:{account}"
    )
    tripped = [
        rate for rate, over in ((ip_rate(), over_ip), (account_rate(), over_account)) if over
    ]
    return max((ratelimits.parse_rate(rate).period for rate in tripped), default=0)


def throttled_response(request: HttpRequest, wait: int) -> HttpResponse:
    """HTTP 429 in the site's page, ``Retry-After: wait`` (seconds, an upper bound)."""
    minutes = max(1, round(wait / 60))
    response = render(request, "accounts/login_throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(wait)
    return response


def throttled(view: View) -> View:
    """Wrap a sign-in view: POSTs over a limit get :func:`throttled_response` instead."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST" and (wait := attempt_refused(request)):
            return throttled_response(request, wait)
        return view(request, *args, **kwargs)

    return wrapper


# ``/admin/login/``: the admin's own login view, throttled; routed before ``admin.site.urls``.
admin_login = throttled(admin.site.login)
