"""Digest building benchmark (not a test): N subscribers over M new papers.

    cd bench && ../.venv/bin/python digests_bench.py --subscribers 100000 --papers 2000

Builds a throwaway SQLite database (or --database-url) with ``--papers`` papers listed
in one day (with trending scores) and ``--subscribers`` confirmed daily subscribers
whose preferences mix top-N trending, categories, a query (from a pool of 50) and
authors; then times ``digests.builder.build_due`` for all of them. The baseline,
measured in the same run, is the naive way: ``preview_items`` per subscriber (every
subscriber computing the period on its own) on a sample, extrapolated.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

WORDS = [
    "sparse",
    "attention",
    "diffusion",
    "graph",
    "neural",
    "robust",
    "adaptation",
    "retrieval",
    "language",
    "vision",
    "reinforcement",
    "causal",
    "contrastive",
    "transformer",
    "quantization",
    "federated",
    "kernel",
    "bandit",
]
CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.IR", "cs.RO", "math.OC"]
SURNAMES = ["Smith", "Balázs", "Nguyen", "Garcia", "Müller", "Kim", "Rossi", "Singh", "Wang"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--papers", type=int, default=2_000)
    parser.add_argument("--baseline-sample", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="digests-bench-"))
    os.environ["PAPERTREND_DATA_DIR"] = str(work)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from papertrend.digests.builder import build_due, preview_items
    from papertrend.digests.models import Digest, Subscriber
    from papertrend.papers.models import Paper
    from papertrend.search.indexing import sync
    from papertrend.search.models import enqueue
    from papertrend.trending.models import TrendingScore

    rng = random.Random(7)
    day = date(2026, 11, 27)  # a Friday
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    t0 = time.perf_counter()
    papers = []
    for i in range(args.papers):
        words = rng.sample(WORDS, 6)
        cats = rng.sample(CATEGORIES, 2)
        papers.append(
            Paper(
                key=f"2611.{i:05d}",
                arxiv_id=f"2611.{i:05d}",
                title_key=f"t{i}",
                title=" ".join(words).capitalize(),
                abstract=" ".join(rng.choices(WORDS, k=60)),
                authors=[{"keyname": rng.choice(SURNAMES), "forenames": "A."}],
                categories=cats,
                primary_category=cats[0],
                published=now - timedelta(hours=20),
                feed_day=day,
            )
        )
    Paper.objects.bulk_create(papers, batch_size=1000)
    enqueue(p.key for p in papers)
    sync()
    stored = list(Paper.objects.all())
    TrendingScore.objects.bulk_create(
        [
            TrendingScore(
                paper=p,
                window="day",
                score=rng.random(),
                stars_gained=rng.randint(1, 400),
                upvotes=rng.randint(0, 30),
                age_hours=20,
                computed_at=now,
            )
            for p in stored
        ],
        batch_size=1000,
    )
    queries = [" ".join(rng.sample(WORDS, 2)) for _ in range(50)]
    subscribers = []
    for i in range(args.subscribers):
        kind = i % 4
        subscribers.append(
            Subscriber(
                email=f"reader{i}@example.org",
                confirmed_at=now - timedelta(days=3),
                top_trending=10 if kind == 0 else 0,
                categories=rng.sample(CATEGORIES, 2) if kind == 1 else [],
                query=rng.choice(queries) if kind == 2 else "",
                authors=[rng.choice(SURNAMES)] if kind == 3 else [],
                frequency=Subscriber.DAILY,
                hour=8,
                timezone="UTC",
                last_digest_at=now - timedelta(days=1),
                next_digest_at=now - timedelta(hours=1),
            )
        )
    Subscriber.objects.bulk_create(subscribers, batch_size=2000)
    print(
        f"loaded {args.papers:,} papers and {args.subscribers:,} subscribers "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    sample = list(Subscriber.objects.order_by("id")[: args.baseline_sample])
    t0 = time.perf_counter()
    for subscriber in sample:
        preview_items(subscriber, now)
    naive = len(sample) / (time.perf_counter() - t0)
    print(
        f"baseline, preview_items per subscriber: {naive:,.1f} subscribers/s "
        f"(extrapolated to {args.subscribers:,}: {args.subscribers / naive:,.0f} s)"
    )

    t0 = time.perf_counter()
    stats = build_due(now)
    took = time.perf_counter() - t0
    rate = args.subscribers / took
    print(f"build_due: {took:.1f} s = {rate:,.0f} subscribers/s; {stats}")
    print(f"ratio build_due / baseline = {rate / naive:.1f}x")
    print(
        f"digests pending {Digest.objects.filter(status='pending').count():,}, "
        f"skipped {Digest.objects.filter(status='skipped').count():,}"
    )


if __name__ == "__main__":
    main()
