"""Bulk-ingest benchmark: N synthetic Kaggle-format records made from the real ones.

Not a test. Builds a JSON-lines file of ``--records`` records (default 1,000,000)
by cycling through ../shared/data/arxiv/kaggle-snapshot-head.jsonl with fresh
arXiv identifiers and a varied title word, then measures in one run:

* parse only (the Kaggle parser, no database): the ceiling;
* naive per-record ORM upsert (``update_or_create``) on a small sample: the baseline;
* papertrend's pipeline (``ingest_records``) into the database, then the
  full-text index (``search.indexing.sync``).

and prints records/s with ratios to the baseline. Database: a fresh SQLite file
under a temporary folder, or ``--database-url postgres://...``.

    .venv/bin/python bench/ingest_bench.py --records 1000000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from _setup import django_in_fresh_folder

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "arxiv" / "kaggle-snapshot-head.jsonl"
WORDS = [
    "sparse",
    "robust",
    "latent",
    "causal",
    "neural",
    "quantum",
    "spectral",
    "adaptive",
    "graph",
    "diffusion",
]


def make_jsonl(path: Path, count: int) -> None:
    """Write ``count`` records cycling through the real ones with new ids (YYMM.NNNNN)."""
    seeds = [json.loads(line) for line in SOURCE.read_text().splitlines() if line.strip()]
    with path.open("w") as out:
        for i in range(count):
            row = dict(seeds[i % len(seeds)])
            month = 1501 + (i // 99999) % 12 + 100 * ((i // 99999) // 12)
            row["id"] = f"{month:04d}.{i % 99999 + 1:05d}"
            row["title"] = f"{row['title']} ({WORDS[i % len(WORDS)]} {i})"
            out.write(json.dumps(row) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--baseline-records", type=int, default=3_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    if not SOURCE.exists():
        sys.exit(f"skipped: {SOURCE} is absent (the benchmark needs ../shared/data)")
    work = django_in_fresh_folder("papertrend-bench-", args.database_url)
    from django.core.management import call_command
    from django.db import connection

    if args.database_url:
        # A fresh schema each run so counts are comparable.
        call_command("flush", interactive=False, verbosity=0)
    from papertrend.papers.formats import kaggle
    from papertrend.papers.ingest import ingest_records
    from papertrend.papers.models import Paper
    from papertrend.search.indexing import sync

    data = work / "records.jsonl"
    t0 = time.perf_counter()
    make_jsonl(data, args.records)
    print(f"generated {args.records:,} records in {time.perf_counter() - t0:.1f} s -> {data}")
    print(f"database: {connection.vendor}; batch size {args.batch_size}")

    t0 = time.perf_counter()
    parsed = sum(1 for _ in kaggle.parse(data))
    parse_s = time.perf_counter() - t0
    print(f"parse only: {parsed:,} records in {parse_s:.1f} s = {parsed / parse_s:,.0f} rec/s")

    baseline_file = work / "baseline.jsonl"
    make_jsonl(baseline_file, args.baseline_records)
    t0 = time.perf_counter()
    for rec in kaggle.parse(baseline_file):
        if hasattr(rec, "title") and rec.arxiv_id:
            Paper.objects.update_or_create(
                key="b" + rec.arxiv_id,
                defaults={"title": rec.title, "abstract": rec.abstract, "title_key": "x"},
            )
    naive_rate = args.baseline_records / (time.perf_counter() - t0)
    Paper.objects.filter(key__startswith="b").delete()
    print(f"baseline, naive update_or_create per record: {naive_rate:,.0f} rec/s")

    t0 = time.perf_counter()
    summary = ingest_records(kaggle.parse(data), batch_size=args.batch_size)
    db_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    stats = sync(batch_size=5000)
    index_s = time.perf_counter() - t0
    total_s = db_s + index_s
    print(summary.render().splitlines()[0])
    print(f"database: {db_s:.1f} s = {args.records / db_s:,.0f} rec/s")
    print(f"index:    {index_s:.1f} s = {args.records / index_s:,.0f} rec/s ({stats})")
    rate = args.records / total_s
    print(f"pipeline: {total_s:.1f} s = {rate:,.0f} rec/s")
    print(
        f"ratio pipeline / naive baseline = {rate / naive_rate:.1f}x; "
        f"pipeline / parse-only = {rate / (parsed / parse_s):.2f}"
    )

    t0 = time.perf_counter()
    again = ingest_records(kaggle.parse(data), batch_size=args.batch_size)
    again_s = time.perf_counter() - t0
    print(
        f"re-ingest (all unchanged): {again_s:.1f} s = {args.records / again_s:,.0f} rec/s; "
        f"{again.render().splitlines()[0]}"
    )


if __name__ == "__main__":
    main()
