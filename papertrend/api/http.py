"""HTTP behaviour shared by every JSON API URL: errors, CORS, caching, rate limits.

:func:`api_view` wraps each Django view the API mounts, so these rules hold for
the documented operations, the schema and docs pages, and URLs no operation
matches alike:

* CORS: ``Access-Control-Allow-Origin: *`` on every answer; ``OPTIONS`` is a
  preflight answered 204 (https://fetch.spec.whatwg.org/#http-cors-protocol).
* Rate limit per client IP (django-ratelimit, setting ``API_RATE``, default
  ``"600/h"``); over it: 429.
* A successful GET carries ``Cache-Control: public, max-age=60`` and a strong
  ``ETag`` (a hash of the body); ``If-None-Match``/``If-Modified-Since`` are
  answered 304 (RFC 9110 §13). ``HEAD`` is a GET without the body.
* Every error, whoever produced it (ninja's 405, a 404 for an unknown URL), is
  ``{"error": {"status", "code", "message"}}``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from papertrend.accounts.ratelimits import over_limit

logger = logging.getLogger(__name__)

DEFAULT_RATE = "600/h"
RATE_GROUP = "papertrend.api"
CACHE_CONTROL = "public, max-age=60"
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
# A script that revalidates sends these; browsers must be allowed to.
ALLOWED_HEADERS = "Accept, If-None-Match, If-Modified-Since"
EXPOSED_HEADERS = "ETag, Last-Modified"
_ERROR_MARK = "_papertrend_api_error"
_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_parameters",
    429: "rate_limited",
    500: "server_error",
}

View = Callable[..., HttpResponseBase]


def api_rate() -> str:
    """Requests one IP may make, in django-ratelimit's syntax (``"600/h"``)."""
    return str(getattr(settings, "API_RATE", DEFAULT_RATE))


def error_code(status: int) -> str:
    """The stable ``code`` word for an HTTP status (``404`` → ``"not_found"``)."""
    if status in _CODES:
        return _CODES[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def error_response(status: int, message: str, code: str | None = None) -> HttpResponse:
    """A JSON error in the API's one shape; ``code`` defaults to :func:`error_code`."""
    body = {"error": {"status": status, "code": code or error_code(status), "message": message}}
    response = HttpResponse(
        json.dumps(body), status=status, content_type="application/json; charset=utf-8"
    )
    setattr(response, _ERROR_MARK, True)
    return response


def _as_error(response: HttpResponseBase) -> HttpResponseBase:
    """Rewrite an error some other layer made (HTML, ninja's 405) into the API's shape."""
    if response.status_code < 400 or getattr(response, _ERROR_MARK, False):
        return response
    status = response.status_code
    if status == 405:
        allowed = response.get("Allow", "GET")
        rewritten = error_response(405, f"This URL answers only {allowed}.")
        rewritten["Allow"] = allowed
        return rewritten
    return error_response(status, HTTPStatus(status).phrase if status < 600 else "Error")


def _body_etag(content: bytes) -> str:
    """A strong validator from the body (any change of the body changes it)."""
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _cache(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """ETag, Cache-Control, and the 304 a conditional request earns."""
    if response.status_code != 200 or not isinstance(response, HttpResponse):
        response["Cache-Control"] = "no-store"
        return response
    response["ETag"] = _body_etag(response.content)
    response["Cache-Control"] = CACHE_CONTROL
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    conditional = get_conditional_response(
        request, etag=response["ETag"], last_modified=last_modified, response=response
    )
    return conditional or response


def _cors(response: HttpResponseBase) -> HttpResponseBase:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def preflight() -> HttpResponse:
    """The answer to a CORS preflight: any origin may GET with revalidation headers."""
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response["Access-Control-Max-Age"] = "86400"
    response["Allow"] = ALLOWED_METHODS
    return response


def client_address(group: str, request: HttpRequest) -> str:
    """The rate-limit key: the peer address (WSGI servers on a Unix socket may give none)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def _answer(view: View, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
    if request.method == "OPTIONS":
        return preflight()
    rate = api_rate()
    if over_limit(request, RATE_GROUP, rate, key=client_address):
        return error_response(429, f"Too many requests; the limit is {rate} per address.")
    return view(request, *args, **kwargs)


def _serve(view: View, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
    head = request.method == "HEAD"
    if head:
        request.method = "GET"  # the operations are GET-only; HEAD is the same minus the body
    try:
        response = _answer(view, request, *args, **kwargs)
    except Exception:
        logger.exception("API request failed: %s", request.path)
        response = error_response(500, "The server failed to answer; the error was logged.")
    response = _cache(request, _as_error(response))
    if head and isinstance(response, HttpResponse):
        response["Content-Length"] = str(len(response.content))
        response.content = b""
    return response


def api_view(view: View) -> View:
    """Wrap a Django view with the API's CORS, rate-limit, caching and error rules."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return _cors(_serve(view, request, *args, **kwargs))

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # GET-only, no cookies read
    wrapped.__name__ = getattr(view, "__name__", "api_view")
    wrapped.__doc__ = view.__doc__
    return wrapped


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """A URL under the API that no operation matches."""
    return error_response(404, f"No API endpoint at {request.path}.")
