"""What every client of an external service (arXiv, GitHub) shares: one pooled httpx client."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx


class PooledClient:
    """Owns ``self._http`` (an ``httpx.Client``); closes it on ``close()`` or leaving ``with``."""

    _http: httpx.Client

    def close(self) -> None:
        """Close the underlying connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
