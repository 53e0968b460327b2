"""``papertrend serve``: migrate, load files or fetch recent papers, then run the site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from papertrend.coderepos.starfiles import sniff, split_target
from papertrend.env import env_int, env_list, site_url_from_bind
from papertrend.papers.models import Paper

OFFLINE_HELP = """\
The database is empty and arXiv could not be reached ({error}).
The site starts anyway. To fill it, load files you have, for example:
    .venv/bin/papertrend ingest path/to/arxiv-metadata-oai-snapshot.json
    make run LOAD="path/to/file-or-folder ..."      (or PAPERTREND_LOAD=path1,path2)
or, once online:
    .venv/bin/papertrend harvest --set cs"""


def split_star_files(loads: list[Path]) -> tuple[list[Path], list[str]]:
    """Split ``--load`` arguments into paper files for ``ingest`` and star files for
    ``stars import`` (``OWNER/NAME=FILE``, a stargazers JSON or a stars CSV).

    A folder goes to ``ingest`` (which passes over star files in it) and its
    ``.json``/``.csv`` files that hold star histories also go to ``stars import``.
    """
    papers: list[Path] = []
    stars: list[str] = []
    for load in loads:
        target, path = split_target(str(load))
        if target is not None:
            stars.append(str(load))
        elif path.is_dir():
            papers.append(path)
            stars += [str(f) for f in sorted(path.rglob("*")) if _is_star_file(f, folder=True)]
        elif _is_star_file(path):
            stars.append(str(path))
        else:
            papers.append(path)
    return papers, stars


def _is_star_file(path: Path, folder: bool = False) -> bool:
    if folder and (path.suffix.lower() not in (".json", ".csv") or not path.is_file()):
        return False
    try:
        return path.is_file() and sniff(path) is not None
    except OSError:
        return False  # ingest reports the unreadable file


class Command(BaseCommand):
    help = "Prepare the database (migrate, load, first fetch) and serve the site with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--load",
            action="append",
            type=Path,
            default=[],
            help="ingest this file or folder first (repeatable; also $PAPERTREND_LOAD); star "
            "histories (stargazers JSON as OWNER/NAME=FILE, stars CSV) go to `stars import`",
        )
        parser.add_argument(
            "--bind",
            default=settings.BIND,
            help="address gunicorn listens on ($PAPERTREND_BIND, 127.0.0.1:8000); links in "
            "feeds and emails point there unless SITE_URL is set",
        )
        parser.add_argument("--workers", type=int, default=env_int("WEB_CONCURRENCY", 2, minimum=1))
        parser.add_argument(
            "--no-fetch",
            action="store_true",
            help="don't fetch from arXiv when the database is empty",
        )
        parser.add_argument(
            "--no-index-build",
            action="store_true",
            help="don't start `papertrend index build` (embeddings for semantic search) "
            "in the background",
        )
        parser.add_argument(
            "--no-mail-worker",
            action="store_true",
            help="don't start `papertrend digests send` (confirmation emails and digests) "
            "in the background; run it from cron or a supervisor instead",
        )
        parser.add_argument(
            "--prepare-only",
            action="store_true",
            help="migrate and load, then exit without serving",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The mail worker and gunicorn's workers read the settings afresh: their default
        # SITE_URL (links in feeds and emails) follows --bind.
        os.environ["PAPERTREND_BIND"] = options["bind"]
        call_command("migrate", interactive=False, verbosity=0)
        loads = list(options["load"]) + [Path(p) for p in env_list("PAPERTREND_LOAD", [])]
        paper_loads, star_loads = split_star_files(loads)
        if loads:
            self.stdout.write(f"Loading {', '.join(map(str, loads))} ...")
        if paper_loads:
            # Skipped records are listed in the report the summary names; the site
            # still starts with everything that loaded.
            call_command(
                "ingest",
                *map(str, paper_loads),
                "--allow-skipped",
                stdout=self.stdout,
                stderr=self.stderr,
            )
        if star_loads:
            # After the papers: a repository their text links keeps the case written there.
            call_command(
                "stars",
                "import",
                *star_loads,
                "--allow-skipped",
                stdout=self.stdout,
                stderr=self.stderr,
            )
        if not loads and not Paper.objects.exists() and not options["no_fetch"]:
            self._first_fetch()
        # Rank what is there now, so the first page is the trending page; the
        # `trending compute` job keeps it fresh afterwards.
        call_command("trending", "compute", stdout=self.stdout, stderr=self.stderr)
        if options["prepare_only"]:
            return
        if not options["no_index_build"]:
            self._start_index_build()
        if not options["no_mail_worker"]:
            self._start_mail_worker()
        self._exec_server(options["bind"], options["workers"])

    def _start_index_build(self) -> None:
        """Embed new papers in a background process while the site already serves.

        The transformer embeds ~15-40 papers/s on two cores, so a large load takes a
        while; until it ends, search is keyword-only and says so. The process
        outlives this one's ``exec`` into gunicorn and writes to a log file.
        """
        log_path = Path(settings.DATA_DIR) / "index-build.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "papertrend.manage", "index", "build", "--no-progress"]
        with open(log_path, "ab") as log:
            subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.stdout.write(
            f"Embedding papers for semantic search in the background (progress in {log_path} "
            "and `papertrend index status`); search is keyword-only until it finishes."
        )

    def _start_mail_worker(self) -> None:
        """Deliver the outbox (confirmation emails, digests) while the site serves.

        Subscribing only queues the confirmation email; this ``papertrend digests send``
        loop sends it (within ``DIGEST_LOOP_SLEEP`` seconds) and the digests as they fall
        due. ``--stop-with-parent`` ends it when gunicorn, which this process becomes,
        exits. Deployments that run the command from a supervisor use ``--no-mail-worker``.
        """
        log_path = Path(settings.DATA_DIR) / "digests-send.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "papertrend.manage", "digests", "send", "--stop-with-parent"]
        with open(log_path, "ab") as log:
            subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.stdout.write(
            f"Sending confirmation emails and digests in the background (log: {log_path})."
        )

    def _first_fetch(self) -> None:
        """Fill an empty database with recent machine-learning papers from the arXiv API."""
        from papertrend.papers.arxiv_client import ArxivClient, ArxivError
        from papertrend.papers.harvest import harvest_api

        query = "cat:cs.LG OR cat:cs.CL OR cat:cs.CV OR cat:cs.AI OR cat:stat.ML"
        self.stdout.write(
            f"The database is empty: fetching recent papers from {settings.ARXIV_API_URL} ..."
        )
        try:
            # Fail fast: a first start offline should not sit through a harvest's retries.
            client = ArxivClient.from_settings(max_retries=1, timeout_s=10)
            summary = harvest_api(client, query=query, max_results=200)
        except (ArxivError, OSError) as error:
            self.stdout.write(self.style.WARNING(OFFLINE_HELP.format(error=error)))
            return
        self.stdout.write(summary.render())
        from papertrend.search.indexing import sync

        sync()

    def _exec_server(self, bind: str, workers: int) -> None:
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which(
            "gunicorn"
        )
        if gunicorn is None:
            raise CommandError("gunicorn is not installed (pip install papertrend installs it)")
        self.stdout.write(f"Serving papertrend at {site_url_from_bind(bind)}/ (Ctrl-C stops it)")
        sys.stdout.flush()
        argv = [gunicorn, "papertrend.wsgi", "--bind", bind, "--workers", str(workers)]
        argv += ["--access-logfile", "-", "--timeout", "60", "--no-control-socket"]
        # Its post_worker_init hook loads the embedding model in each worker before
        # the worker accepts requests, so the first search does not wait for it.
        argv += ["--config", "python:papertrend.gunicorn_conf"]
        # No request-line limit in gunicorn (0 = unlimited; its maximum, 8190 bytes,
        # would answer longer addresses with its own bare HTML page, API included):
        # the site answers 414 itself above middleware.MAX_URL_BYTES, in its own page
        # and the API's JSON shape. A reverse proxy in front limits lines for good.
        argv += ["--limit-request-line", "0"]
        os.execv(gunicorn, argv)  # noqa: S606 -- fixed argv, no shell
