"""What ``ingest`` and ``harvest`` share: the report file option and the exit status.

Both load records through ``papers.ingest``; each writes every skipped and repaired
record to a report (``papers.report``) and ends with ``EXIT_SKIPPED`` when any record
was skipped, unless ``--allow-skipped`` (see docs/ingest.md, "exit status"). The
leading underscore keeps Django from taking this module for a command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from papertrend.papers import report
from papertrend.papers.ingest import IngestSummary

EXIT_SKIPPED = 3  # the run finished, but records were skipped: the data is incomplete


def add_arguments(parser: CommandParser) -> None:
    """Add ``--report PATH`` and ``--allow-skipped``."""
    parser.add_argument(
        "--report",
        type=Path,
        help="file for the list of skipped and repaired records (tab-separated; default "
        "var/ingest-reports/<UTC time>-<pid>.tsv; written only when there is something "
        "to list)",
    )
    parser.add_argument(
        "--allow-skipped",
        action="store_true",
        help=f"exit 0 even when records were skipped (default: exit {EXIT_SKIPPED})",
    )


def open_report(options: dict[str, Any]) -> report.IngestReport:
    """The run's report: ``--report`` or a new file under ``DATA_DIR/ingest-reports``.

    Nothing is created until the first row; the caller closes it.
    """
    path = options["report"] or report.default_path(Path(settings.DATA_DIR) / "ingest-reports")
    return report.IngestReport(path)


def check_skipped(
    summary: IngestSummary, run_report: report.IngestReport, options: dict[str, Any]
) -> None:
    """Raise a ``CommandError`` with ``EXIT_SKIPPED`` when records were skipped.

    Raises:
        CommandError: ``summary.skipped`` > 0 and not ``--allow-skipped``; the message
            names the report file.
    """
    if summary.skipped and not options["allow_skipped"]:
        raise CommandError(
            f"{summary.skipped} of {summary.read} records skipped; every one is listed, "
            f"with its file, line and reason, in {run_report.path} "
            "(--allow-skipped makes this exit 0)",
            returncode=EXIT_SKIPPED,
        )
