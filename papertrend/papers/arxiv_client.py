"""A polite HTTP client for arXiv's OAI-PMH endpoint and its search API.

arXiv asks robots for at most one request every three seconds
(https://info.arxiv.org/help/api/tou.html, https://info.arxiv.org/help/bulk_data.html)
and answers overload with ``503`` plus ``Retry-After``. :class:`ArxivClient` spaces
its requests by ``interval_s`` (measured from the end of one response to the start of
the next), retries 429/502/503/504 and network failures with the server's
``Retry-After`` (seconds or an HTTP date) or else exponential back-off, both capped at
``max_wait_s``, and raises :class:`ArxivError` for anything else.

``sleep`` and ``clock`` are injectable so tests can run without waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from papertrend.httpclient import PooledClient
from papertrend.papers import identifiers
from papertrend.papers.formats.atom import AtomFormatError, AtomPage, parse_feed
from papertrend.papers.formats.oai import NO_RECORDS_MATCH, OaiFormatError, OaiPage, parse_response
from papertrend.papers.records import PaperRecord

logger = logging.getLogger(__name__)

USER_AGENT = "papertrend/0.1 (self-hosted trending-papers site; arXiv harvester)"
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class ArxivError(Exception):
    """A request to arXiv failed for good.

    ``url`` is the request URL, ``status`` the HTTP status (None when no response came
    back), ``code`` the OAI-PMH error code when arXiv sent one (``badResumptionToken``...).
    """

    def __init__(
        self, message: str, *, url: str, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.code = code


class ArxivClient(PooledClient):
    """Rate-limited, retrying access to ``oai_url`` (OAI-PMH 2.0) and ``api_url`` (Atom API).

    ``interval_s``: least time between consecutive requests, in seconds.
    ``timeout_s``: per-request timeout, seconds. ``max_retries``: extra attempts after
    a retryable failure. ``max_wait_s``: cap on any single retry wait.
    ``transport`` is passed to httpx (tests may use ``httpx.MockTransport``).
    """

    def __init__(
        self,
        oai_url: str,
        api_url: str,
        interval_s: float = 3.0,
        timeout_s: float = 30,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_wait_s: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.oai_url = oai_url
        self.api_url = api_url
        self.interval_s = interval_s
        self.max_retries = max_retries
        self.max_wait_s = max_wait_s
        self._sleep = sleep
        self._clock = clock
        self._last_done: float | None = None
        self._http = httpx.Client(
            timeout=timeout_s,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, **overrides: Any) -> ArxivClient:
        """A client configured from ``ARXIV_*`` Django settings; keyword overrides win."""
        from django.conf import settings

        options: dict[str, Any] = {
            "oai_url": settings.ARXIV_OAI_URL,
            "api_url": settings.ARXIV_API_URL,
            "interval_s": settings.ARXIV_REQUEST_INTERVAL,
            "timeout_s": settings.ARXIV_TIMEOUT,
            "max_retries": settings.ARXIV_MAX_RETRIES,
        }
        options.update(overrides)
        return cls(**options)

    # --- OAI-PMH -------------------------------------------------------------------

    def list_records(
        self,
        metadata_prefix: str = "arXivRaw",
        set_spec: str | None = None,
        from_date: date | None = None,
        until: date | None = None,
    ) -> Iterator[OaiPage]:
        """Yield every page of a ``ListRecords`` harvest, following resumptionTokens.

        ``from_date``/``until`` are inclusive datestamps (day granularity). A harvest
        with no matching records (``noRecordsMatch``) yields nothing.

        Raises:
            ArxivError: any other OAI error (``badResumptionToken``, ``badArgument``,
                ...; ``code`` set), an HTTP failure, a malformed page, or a
                resumptionToken that repeats (the server would loop forever).
        """
        params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
        if set_spec:
            params["set"] = set_spec
        if from_date:
            params["from"] = from_date.isoformat()
        if until:
            params["until"] = until.isoformat()
        seen_tokens: set[str] = set()
        while True:
            page = self._oai(params)
            if page.error_code == NO_RECORDS_MATCH:
                return
            yield page
            token = page.resumption_token
            if not token:
                return
            if token in seen_tokens:
                raise ArxivError(
                    f"arXiv OAI-PMH repeated resumptionToken {token!r}", url=self.oai_url
                )
            seen_tokens.add(token)
            # The spec forbids other arguments alongside a resumptionToken.
            params = {"verb": "ListRecords", "resumptionToken": token}

    def get_record(self, arxiv_id: str, metadata_prefix: str = "arXivRaw") -> OaiPage:
        """Fetch one paper with ``GetRecord``; the page holds one result.

        Raises:
            identifiers.InvalidArxivId: ``arxiv_id`` is not an identifier.
            ArxivError: ``idDoesNotExist`` and every other failure (see
                :meth:`list_records`).
        """
        identifier = f"oai:arXiv.org:{identifiers.normalize(arxiv_id)}"
        params = {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": metadata_prefix}
        page = self._oai(params)
        if page.error_code:
            raise ArxivError(
                f"arXiv OAI-PMH error {page.error_code}: {page.error_message}",
                url=self.oai_url,
                code=page.error_code,
            )
        return page

    def _oai(self, params: dict[str, str]) -> OaiPage:
        response = self._get(self.oai_url, params)
        url = str(response.url)
        try:
            page = parse_response(response.content, url)
        except OaiFormatError as exc:
            raise _unreadable("OAI-PMH", response, exc) from exc
        if page.failed:
            raise ArxivError(
                f"arXiv OAI-PMH error {page.error_code}: {page.error_message}",
                url=url,
                status=response.status_code,
                code=page.error_code,
            )
        if response.status_code != 200 and page.error_code is None:
            raise ArxivError(
                f"arXiv OAI-PMH answered HTTP {response.status_code}",
                url=url,
                status=response.status_code,
            )
        return page

    # --- search API ------------------------------------------------------------------

    def query(
        self,
        search_query: str | None = None,
        id_list: list[str] | None = None,
        start: int = 0,
        max_results: int = 100,
        page_size: int = 100,
    ) -> Iterator[AtomPage]:
        """Yield API result pages, ``page_size`` entries each, until ``max_results``.

        ``search_query`` uses the API syntax (``ti:transformer AND cat:cs.LG``);
        ``id_list`` holds identifiers, versioned or not. Paging stops early on an
        empty page or once ``total_results`` is reached.

        Raises:
            ArxivError: an error feed (message from arXiv, e.g. "incorrect id format
                for abc"), another HTTP failure, or an unreadable feed.
        """
        if not search_query and not id_list:
            raise ValueError("give search_query, id_list or both")
        fetched = 0
        while fetched < max_results:
            size = min(page_size, max_results - fetched)
            params = {
                "search_query": search_query or "",
                "id_list": ",".join(id_list or []),
                "start": str(start + fetched),
                "max_results": str(size),
            }
            page = self._api(params)
            yield page
            entries = len(page.results)
            fetched += entries
            if entries == 0 or (
                page.total_results is not None and start + fetched >= page.total_results
            ):
                return

    def _api(self, params: dict[str, str]) -> AtomPage:
        response = self._get(self.api_url, params)
        url = str(response.url)
        try:
            page = parse_feed(response.content, url)
        except AtomFormatError as exc:
            raise _unreadable("API", response, exc) from exc
        if page.error_message is not None:
            raise ArxivError(
                f"arXiv API error: {page.error_message}", url=url, status=response.status_code
            )
        if response.status_code != 200:
            raise ArxivError(
                f"arXiv API answered HTTP {response.status_code}",
                url=url,
                status=response.status_code,
            )
        return page

    # --- transport -------------------------------------------------------------------

    def _get(self, url: str, params: dict[str, str]) -> httpx.Response:
        """GET with spacing and retries; returns any non-retryable response."""
        attempt = 0
        while True:
            self._wait_turn()
            try:
                response = self._http.get(url, params=params)
            except httpx.TransportError as exc:
                self._last_done = self._clock()
                if attempt >= self.max_retries:
                    raise ArxivError(f"cannot reach arXiv at {url}: {exc}", url=url) from exc
                delay = self._backoff(attempt)
                reason = str(exc) or type(exc).__name__
            else:
                self._last_done = self._clock()
                if response.status_code not in RETRY_STATUSES:
                    return response
                if attempt >= self.max_retries:
                    raise ArxivError(
                        f"arXiv kept answering HTTP {response.status_code} "
                        f"after {attempt + 1} attempts",
                        url=str(response.url),
                        status=response.status_code,
                    )
                delay = self._retry_after(response.headers.get("Retry-After"), attempt)
                reason = f"HTTP {response.status_code}"
            attempt += 1
            delay = min(delay, self.max_wait_s)
            # Say why we are waiting: a silent minute looks like a hang.
            logger.warning(
                "arXiv request to %s failed (%s); retry %d of %d in %.0f s",
                url,
                reason,
                attempt,
                self.max_retries,
                delay,
            )
            self._sleep(delay)

    def _wait_turn(self) -> None:
        if self._last_done is None:
            return
        remaining = self.interval_s - (self._clock() - self._last_done)
        if remaining > 0:
            self._sleep(remaining)

    def _backoff(self, attempt: int) -> float:
        return max(self.interval_s, 1.0) * 2**attempt

    def _retry_after(self, header: str | None, attempt: int) -> float:
        """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
        if header:
            value = header.strip()
            if value.isdigit():
                return float(value)
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                pass
            else:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max((when - datetime.now(UTC)).total_seconds(), 0.0)
        return self._backoff(attempt)


def _unreadable(service: str, response: httpx.Response, exc: Exception) -> ArxivError:
    status = response.status_code
    if status != 200:
        message = f"arXiv {service} answered HTTP {status}"
    else:
        message = f"arXiv {service} sent an unreadable response: {exc}"
    return ArxivError(message, url=str(response.url), status=status)


def papers_of(page: OaiPage | AtomPage) -> list[PaperRecord]:
    """The parsed papers of a page, without its record errors."""
    return [r for r in page.results if isinstance(r, PaperRecord)]
