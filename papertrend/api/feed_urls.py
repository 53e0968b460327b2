"""Feed routes, each in RSS 2.0 (``.rss``) and Atom (``.atom``), under ``/feeds/``.

``trending/<day|week|month>``, ``new``, ``date/2025-03-14``, ``week/2025-W11``,
``month/2025-03``, ``category/cs.LG``, ``search?q=``; names ``feeds:<name>-<rss|atom>``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.urls import URLPattern, path

from papertrend.api import feeds

app_name = "feeds"

_ROUTES: list[tuple[str, str, Callable[..., feeds.FeedSpec]]] = [
    ("trending/<str:window>", "trending", feeds.trending_spec),
    ("new", "new", feeds.new_spec),
    ("date/<str:value>", "date", partial(feeds.period_spec, kind="date")),
    ("week/<str:value>", "week", partial(feeds.period_spec, kind="week")),
    ("month/<str:value>", "month", partial(feeds.period_spec, kind="month")),
    ("category/<str:category>", "category", feeds.category_spec),
    ("search", "search", feeds.search_spec),
]

urlpatterns: list[URLPattern] = [
    path(f"{route}.{ext}", feeds.PaperFeed(ext, build), name=f"{name}-{ext}")
    for route, name, build in _ROUTES
    for ext in ("rss", "atom")
]
