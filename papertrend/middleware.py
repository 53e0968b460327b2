"""Site-wide request checks that must run before any view.

``LongUrlMiddleware`` answers a request whose address (path and query string)
is longer than ``MAX_URL_BYTES`` with 414 URI Too Long: the JSON API's error
shape under ``/api/``, the site's own page elsewhere. gunicorn is started with
no request-line limit of its own (``papertrend serve``), so this is the one
limit people meet, and it explains itself; see docs/operations.md.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string

# 16 KiB: a search of the 1,000 characters the search page reads
# (search.service.MAX_QUERY_CHARS) fits even when every character is
# percent-encoded UTF-8 (up to 9 bytes each) with all its filters.
MAX_URL_BYTES = 16 * 1024
API_PREFIX = "/api/"


def url_bytes(request: HttpRequest) -> int:
    """Length in bytes of the request's address as sent: path, ``?`` and query string."""
    return len(request.get_full_path().encode())


def too_long_message(length: int) -> str:
    """The sentence both answers give, with the address's length and the limit."""
    return (
        f"This address is {length:,} bytes long; papertrend answers addresses of up to "
        f"{MAX_URL_BYTES:,} bytes. Searches read only their first 1,000 characters, "
        "so shorten the search and try again."
    )


def _api_answer(request: HttpRequest, message: str) -> HttpResponseBase:
    # The API's own wrapper adds its CORS and cache headers to the error.
    from papertrend.api.http import api_view, error_response

    def too_long(request: HttpRequest) -> HttpResponse:
        return error_response(414, message, "uri_too_long")

    return api_view(too_long)(request)


def _site_answer(request: HttpRequest, length: int) -> HttpResponse:
    # The page's own links (sign in ?next=…) must not repeat the oversized address.
    request.META["QUERY_STRING"] = ""
    request.GET = QueryDict()
    body = render_to_string(
        "414.html",
        {"length": length, "limit": MAX_URL_BYTES, "message": too_long_message(length)},
        request=request,
    )
    return HttpResponse(body, status=414)


class LongUrlMiddleware:
    """Answer 414 (site page or API JSON) to addresses over ``MAX_URL_BYTES``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        length = url_bytes(request)
        if length <= MAX_URL_BYTES:
            return self.get_response(request)
        if request.path_info.startswith(API_PREFIX):
            return _api_answer(request, too_long_message(length))
        return _site_answer(request, length)
