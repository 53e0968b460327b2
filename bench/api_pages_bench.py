"""Benchmark deep pages of the JSON API on synthetic data (not a test).

    .venv/bin/python bench/api_pages_bench.py --papers 200000

Builds a throwaway SQLite database (or uses --database-url) with ``--papers`` papers
spread over ``--months`` months up to March 2025 (default 1: March holds them all, so
its listing reaches offset 100,000; ``--months 8`` is arXiv's ~25k papers a month) and
a week trending score for each, then times each URL through Django's whole request
stack (in process, median of ``--repeat`` runs). A page past the API's
row cap, or an export of a period past the export cap, answers 400 quickly; the
figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime
from datetime import time as time_of_day_t

from _setup import django_in_fresh_folder

URLS = [
    "/api/daily_papers?month=2025-03&limit=100&p=0",
    "/api/daily_papers?month=2025-03&limit=100&p=99",
    "/api/daily_papers?month=2025-03&limit=100&p=1000",
    "/api/daily_papers?month=2025-03&limit=100&p=99&sort=trending",
    "/api/daily_papers?month=2025-03&limit=100&p=1000&sort=trending",
    "/api/daily_papers?date=2025-03-14&limit=100&p=0",
    "/api/trending?window=week&limit=100&p=0",
    "/api/trending?window=week&limit=100&p=99",
    "/api/trending?window=week&limit=100&p=1000",
    "/api/papers/search?q=paper&mode=keyword&limit=100&p=1000",
    "/export/bibtex/date/2025-03-14",
    "/export/bibtex/month/2025-03",
]


def time_of_day(i: int) -> time_of_day_t:
    """A submission time that orders papers of one day by ``i``."""
    return time_of_day_t(*divmod(i // 60 % 1440, 60), i % 60)


def listing_day(i: int, months: int) -> date:
    """Paper ``i``'s feed day: papers take turns among the ``months`` months up to March 2025."""
    back = i % months
    year, month = divmod(2025 * 12 + 2 - back, 12)
    return date(year, month + 1, 1 + (i // months) % 28)


def load(papers: int, months: int) -> None:
    """Insert ``papers`` papers over ``months`` months up to March 2025, one week score each."""
    from django.db import connection, transaction

    now = datetime(2025, 4, 1, tzinfo=UTC)
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO papers_paper (key, title_key, title, abstract, authors, categories,"
            " primary_category, comments, journal_ref, doi, report_no, license, msc_class,"
            " acm_class, submitter, latest_version, feed_day, published, withdrawn, hidden,"
            " created_at, modified_at) VALUES (%s, %s, %s, 'An abstract.', '[]', '[]', '', '',"
            " '', '', '', '', '', '', '', 1, %s, %s, false, false, %s, %s)",
            [
                (
                    f"p{i}",
                    f"p{i}",
                    f"Paper {i}",
                    listing_day(i, months),
                    datetime.combine(listing_day(i, months), time_of_day(i), UTC),
                    now,
                    now,
                )
                for i in range(papers)
            ],
        )
        cur.execute(
            "INSERT INTO trending_trendingscore (paper_id, window, score, stars_gained, upvotes,"
            " age_hours, computed_at) SELECT id, 'week', (id * 7919) % 100003, id % 50, 0,"
            " 24.0, %s FROM papers_paper",
            [now],
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=200_000)
    parser.add_argument(
        "--months", type=int, default=1, help="months the papers are spread over (1: all in March)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--match", default="", help="only the URLs containing this text")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    django_in_fresh_folder("api-pages-bench-", args.database_url, PAPERTREND_API_RATE="1000000/h")
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 400s are expected
    from django.test import Client

    t = time.perf_counter()
    load(args.papers, args.months)
    print(
        f"loaded {args.papers} papers over {args.months} month(s) and scores"
        f" in {time.perf_counter() - t:.1f} s"
    )
    client = Client()
    print("| URL | status | rows | median ms |")
    print("|---|---:|---:|---:|")
    for url in [u for u in URLS if args.match in u]:
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            response = client.get(url)
            times.append(1000 * (time.perf_counter() - t))
        if url.startswith("/export/"):
            rows = response.content.count(b"\n@") + response.content.startswith(b"@")
        else:
            body = response.json()
            rows = len(body) if isinstance(body, list) else 0
        print(f"| `{url}` | {response.status_code} | {rows} | {statistics.median(times):.0f} |")


if __name__ == "__main__":
    main()
