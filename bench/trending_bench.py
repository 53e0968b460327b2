"""Benchmark trending on synthetic data (not a test): the compute pass and the page under load.

    .venv/bin/python bench/trending_bench.py --papers 100000 --snapshots 30 --load-seconds 20

Builds a throwaway SQLite database (or uses --database-url), with one repository
per paper and ``--snapshots`` daily star snapshots per repository, then times one
compute pass and the trending page query. With ``--load-seconds`` it then serves
that database with gunicorn (``--workers``) on 127.0.0.1 and measures requests/s
and p50/p99 latency of several pages under ``--concurrency`` keep-alive clients
(``bench/load.py``), against ``/healthz`` (one trivial query) measured in the same
run as the baseline. Results go in docs/trending.md and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--snapshots", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--load-seconds", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trending-bench-"))
    os.environ["PAPERTREND_DATA_DIR"] = str(work)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from papertrend.trending.page import ranked_scores
    from papertrend.trending.score import compute_scores

    call_command("migrate", interactive=False, verbosity=0)
    now = datetime(2025, 3, 1, tzinfo=UTC)
    rng = random.Random(1)
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO papers_paper (key, title_key, title, abstract, authors, categories,"
            " primary_category, comments, journal_ref, doi, report_no, license, msc_class,"
            " acm_class, submitter, latest_version, feed_day, withdrawn, hidden, created_at,"
            " modified_at) VALUES (%s, %s, %s, '', '[]', '[]', '', '', '', '', '', '', '', '',"
            " '', 1, %s, false, false, %s, %s)",
            [
                (f"p{i}", f"p{i}", f"Paper {i}", (now - timedelta(days=i % 400)).date(), now, now)
                for i in range(args.papers)
            ],
        )
        cur.executemany(
            "INSERT INTO coderepos_repository (host, owner, name, key, created_at, description,"
            " language, topics, archived, missing, hidden, etag, history_backfilled,"
            " claimed_by) VALUES ('github.com', %s, 'r', %s, %s, '', '', '[]', false, false,"
            " false, '', false, '')",
            [(f"o{i}", f"github.com/o{i}/r", now) for i in range(args.papers)],
        )
        cur.execute("SELECT id FROM papers_paper ORDER BY id")
        papers = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT id FROM coderepos_repository ORDER BY id")
        repos = [r[0] for r in cur.fetchall()]
        cur.executemany(
            "INSERT INTO coderepos_paperrepository (paper_id, repository_id, found_in,"
            " created_at) VALUES (%s, %s, 'abstract', %s)",
            [(p, r, now) for p, r in zip(papers, repos, strict=True)],
        )
        rows = []
        for r in repos:
            stars = rng.randint(0, 5000)
            for d in range(args.snapshots, 0, -1):
                stars += rng.choice([0, 1, 2, 5, 40])
                rows.append((r, now - timedelta(days=d, minutes=1), stars, "history"))
        cur.executemany(
            "INSERT INTO coderepos_starsnapshot (repository_id, observed_at, stars, source)"
            " VALUES (%s, %s, %s, %s)",
            rows,
        )
    print(f"loaded {len(papers)} papers, {len(rows)} snapshots in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    stats = compute_scores(now)
    print(f"compute_scores: {time.perf_counter() - t:.1f} s")
    print(stats.render())
    t = time.perf_counter()
    first = list(ranked_scores("week")[:30])
    print(
        f"first trending page (30 rows + repositories): {1000 * (time.perf_counter() - t):.0f} ms"
    )
    assert len(first) == 30
    if args.load_seconds > 0:
        from load import serve_and_measure

        deep = max(1, args.papers // 30 // 2)
        paths = ["/healthz", "/?window=week", "/?window=day", f"/?window=week&page={deep}", "/new"]
        serve_and_measure(work, paths, args.load_seconds, args.concurrency, args.workers)


if __name__ == "__main__":
    main()
