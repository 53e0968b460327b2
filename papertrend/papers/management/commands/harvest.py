"""``papertrend harvest``: fetch papers from arXiv (OAI-PMH by default, or the search API)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from papertrend.papers.arxiv_client import ArxivClient, ArxivError
from papertrend.papers.formats.dates import DateError, parse_day
from papertrend.papers.harvest import harvest_api, harvest_oai, state_key
from papertrend.papers.identifiers import InvalidArxivId
from papertrend.papers.identifiers import parse as parse_id
from papertrend.papers.management.commands import _reporting
from papertrend.papers.models import HarvestState

PREFIXES = ("arXivRaw", "arXiv", "oai_dc")


def _day(raw: str) -> date:
    """``--from``/``--until``: ``2025-09-10``, or ``2025-9-10`` and other unambiguous shapes."""
    try:
        return parse_day(raw)
    except DateError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (use YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = (
        "Harvest arXiv metadata into the database. OAI-PMH ListRecords for a set by default "
        "(incremental: resumes from the last datestamp stored for that set); the search API "
        "with --query or --id."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--set",
            dest="set_spec",
            default=None,
            help=f"OAI set, e.g. cs or physics:hep-th (default {settings.HARVEST_DEFAULT_SET})",
        )
        parser.add_argument("--from", dest="from_date", type=_day, help="first datestamp")
        parser.add_argument("--until", type=_day, help="last datestamp")
        parser.add_argument("--prefix", choices=PREFIXES, default="arXivRaw")
        parser.add_argument("--query", help='arXiv API search query, e.g. "ti:transformer"')
        parser.add_argument(
            "--id", dest="ids", action="append", default=[], help="arXiv id (repeatable)"
        )
        parser.add_argument(
            "--max-results", type=int, default=100, help="API mode: most results to fetch"
        )
        _reporting.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            # Versions are kept: the API returns that version when one is asked for.
            ids = [str(parse_id(raw)) for raw in options["ids"]]
        except InvalidArxivId as exc:
            raise CommandError(str(exc)) from exc
        if options["max_results"] < 1:
            raise CommandError("--max-results must be at least 1")
        client = ArxivClient.from_settings()
        run_report = _reporting.open_report(options)
        try:
            if options["query"] or ids:
                summary = harvest_api(
                    client,
                    query=options["query"],
                    id_list=ids or None,
                    max_results=options["max_results"],
                    report=run_report,
                )
            else:
                set_spec = options["set_spec"] or settings.HARVEST_DEFAULT_SET
                summary = harvest_oai(
                    client,
                    set_spec,
                    metadata_prefix=options["prefix"],
                    from_date=options["from_date"],
                    until=options["until"],
                    overlap_days=settings.HARVEST_OVERLAP_DAYS,
                    report=run_report,
                )
                state = HarvestState.objects.filter(
                    key=state_key(options["prefix"], set_spec)
                ).first()
                if state is not None and state.last_datestamp:
                    self.stdout.write(f"{state.key}: harvested through {state.last_datestamp}")
        except ArxivError as exc:
            if exc.status is None and exc.code is None:
                raise CommandError(
                    f"{exc}; load files with `papertrend ingest PATH` instead"
                ) from exc
            raise CommandError(f"arXiv request failed ({exc.url}): {exc}") from exc
        finally:
            client.close()
            run_report.close()
        self.stdout.write(summary.render())
        from papertrend.search.indexing import sync_after_load

        # Another load may be writing the index: wait for it, else leave the changes queued.
        synced, message = sync_after_load()
        if synced:
            self.stdout.write(message)
        else:
            self.stderr.write(self.style.WARNING(message))
        _reporting.check_skipped(summary, run_report, options)
