"""``papertrend pwc import FILE...``: load Papers with Code dumps (code links, papers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from papertrend.papers.management.commands import _reporting
from papertrend.papers.management.commands._reporting import EXIT_SKIPPED


class Command(BaseCommand):
    help = (
        "Papers with Code. 'import' reads links-between-papers-and-code, "
        "papers-with-abstracts and evaluation-tables dumps (JSON, .json.gz or JSON lines), "
        "matches each row to a stored paper by arXiv id, else by normalized or fuzzy "
        "title (docs/pwc.md), links code with its official flag and framework, and lists "
        f"every row that matched nothing. Exits {EXIT_SKIPPED} when rows could not be read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        load = actions.add_parser("import", help="import Papers with Code dump files")
        load.add_argument("files", nargs="+", type=Path, metavar="FILE")
        load.add_argument(
            "--create-papers",
            action="store_true",
            help="add papers-with-abstracts rows that match no stored paper as new papers "
            "(default: report them as unmatched)",
        )
        load.add_argument(
            "--no-fuzzy",
            action="store_true",
            help="match by arXiv id and normalized title only (faster on a very large site)",
        )
        load.add_argument(
            "--no-index", action="store_true", help="leave the search index for `index sync`"
        )
        _reporting.add_arguments(load)

    def handle(self, *args: Any, **options: Any) -> None:
        from papertrend.coderepos.pwc import import_files

        paths: list[Path] = options["files"]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        run_report = _reporting.open_report(options)
        try:
            summary = import_files(
                paths,
                create_papers=options["create_papers"],
                fuzzy=not options["no_fuzzy"],
                report=run_report,
            )
        except ValueError as exc:  # a JSON array that breaks off
            raise CommandError(f"cannot read the file: {exc}") from exc
        finally:
            run_report.close()
        self.stdout.write(summary.render())
        if (summary.papers_created or summary.papers_updated) and not options["no_index"]:
            from papertrend.search.indexing import LOAD_LOCK_WAIT_SECONDS, sync_after_load

            synced, message = sync_after_load(LOAD_LOCK_WAIT_SECONDS)
            if synced:
                self.stdout.write(message)
            else:
                self.stderr.write(self.style.WARNING(message))
        if summary.skipped and not options["allow_skipped"]:
            raise CommandError(
                f"{summary.skipped} of {summary.rows} rows could not be read; each is listed "
                f"in {run_report.path} (--allow-skipped makes this exit 0)",
                returncode=EXIT_SKIPPED,
            )
