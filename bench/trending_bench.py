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
import json
import random
import time
from datetime import UTC, datetime, timedelta

from _setup import django_in_fresh_folder

# Cards show authors, a category and a sentence of the abstract: give every paper an
# abstract of arXiv's usual length (with TeX and abbreviations) and six authors.
ABSTRACT = (
    "We study sparse attention for long documents ({i}), e.g. books and code bases with "
    "$n > 10^5$ tokens. Prior work (Child et al., 2019) restricts each query to a "
    "fixed pattern; we instead learn which blocks to keep, at a cost of 3.5% of the "
    "dense layer. On five benchmarks our model {i} matches dense attention within "
    "0.2 points while using 8x less memory. We also show that the learned patterns "
    "transfer across tasks. Code and checkpoints are public."
)
KEY_SENTENCE = (
    "Prior work (Child et al., 2019) restricts each query to a fixed pattern; we instead "
    "learn which blocks to keep, at a cost of 3.5% of the dense layer."
)
assert KEY_SENTENCE in ABSTRACT
AUTHORS = json.dumps(
    [
        {"keyname": f"Author{k}", "forenames": "A. B.", "suffix": "", "affiliation": ""}
        for k in range(6)
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--snapshots", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--load-seconds", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--render-repeats",
        type=int,
        default=0,
        help="also render each page this many times in-process and print the median CPU "
        "time per request (steadier than throughput on a shared machine)",
    )
    parser.add_argument(
        "--with-summaries",
        action="store_true",
        help="store each card's key sentence, as index build would (else cards split "
        "the abstract for its first sentence while rendering)",
    )
    args = parser.parse_args()
    work = django_in_fresh_folder("trending-bench-", args.database_url)
    from django.db import connection, transaction

    from papertrend.trending.page import ranked_scores
    from papertrend.trending.score import compute_scores

    now = datetime(2025, 3, 1, tzinfo=UTC)
    rng = random.Random(1)
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO papers_paper (key, title_key, title, abstract, authors, categories,"
            " primary_category, comments, journal_ref, doi, report_no, license, msc_class,"
            " acm_class, submitter, latest_version, feed_day, withdrawn, hidden, created_at,"
            " modified_at) VALUES (%s, %s, %s, %s, %s, '[\"cs.LG\"]', 'cs.LG', '', '', '', '',"
            " '', '', '', '', 1, %s, false, false, %s, %s)",
            [
                (
                    f"p{i}",
                    f"p{i}",
                    f"Paper {i}",
                    ABSTRACT.format(i=i),
                    AUTHORS,
                    (now - timedelta(days=i % 400)).date(),
                    now,
                    now,
                )
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
            " is_official, framework, created_at) VALUES (%s, %s, 'abstract', TRUE, '', %s)",
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
    if args.with_summaries:
        with connection.cursor() as cur:
            cur.execute("UPDATE papers_paper SET summary = %s", [KEY_SENTENCE])
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
    deep = max(1, args.papers // 30 // 2)
    pages = ["/?window=week", "/?window=day", "/new", "/papers/date/2025-02-28"]
    if args.render_repeats > 0:
        render_times(pages, args.render_repeats)
    if args.load_seconds > 0:
        from load import serve_and_measure

        paths = [
            "/healthz",
            "/?window=week",
            "/?window=day",
            f"/?window=week&page={deep}",
            "/new",
            "/papers/date/2025-02-28",
        ]
        serve_and_measure(work, paths, args.load_seconds, args.concurrency, args.workers)


def render_times(paths: list[str], repeats: int) -> None:
    """Median and best process CPU time of ``repeats`` in-process requests per path."""
    import statistics

    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    for path in paths:
        assert client.get(path).status_code == 200  # warm: templates, connections
        cpu = []
        for _ in range(repeats):
            started = time.process_time()
            client.get(path)
            cpu.append(1000 * (time.process_time() - started))
        print(
            f"  render {path:<28} CPU median {statistics.median(cpu):6.1f} ms"
            f"  best {min(cpu):6.1f} ms  ({repeats} requests)"
        )


if __name__ == "__main__":
    main()
