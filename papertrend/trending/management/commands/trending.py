"""``papertrend trending compute``: recompute the trending scores (see docs/trending.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from papertrend.trending.score import compute_scores


def _when(raw: str) -> datetime:
    parsed = parse_datetime(raw)
    if parsed is None or parsed.tzinfo is None:
        raise CommandError(
            f"--now wants an ISO 8601 time with a zone, e.g. 2024-10-01T23:59Z; got {raw!r}"
        )
    return parsed


class Command(BaseCommand):
    help = "Trending scores. `compute` rewrites every visible paper's day, week and month score."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        compute = sub.add_parser("compute", help="recompute all scores now (run it every hour)")
        compute.add_argument(
            "--now",
            help="end the windows at this ISO 8601 time instead of the current time",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "compute":
            now = _when(options["now"]) if options.get("now") else None
            stats = compute_scores(now)
            self.stdout.write(stats.render())
