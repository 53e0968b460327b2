"""Benchmark the card summaries (not a test): sentence splitting, and the model's time for
choosing key sentences against embedding the same papers.

    .venv/bin/python bench/summary_bench.py minilm-static minilm

Reads the 200 abstracts of ``../shared/data/arxiv/kaggle-snapshot-head.jsonl``; nothing
is written to a database. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared/data/arxiv/kaggle-snapshot-head.jsonl"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
    import django

    django.setup()
    from papertrend.papers.summary import first_sentence, sentence_spans
    from papertrend.search.embedders import document_text, get_embedder
    from papertrend.search.summaries import choose_summaries

    rows = [json.loads(line) for line in SNAPSHOT.read_text().splitlines()]
    docs = [document_text(r["title"], r["abstract"]) for r in rows]
    abstracts = [r["abstract"] for r in rows]
    started = time.perf_counter()
    for abstract in abstracts:
        sentence_spans(abstract)
    split = time.perf_counter() - started
    started = time.perf_counter()
    for abstract in abstracts:
        first_sentence.__wrapped__(abstract)  # uncached
    first = time.perf_counter() - started
    print(
        f"split {1000 * split / len(rows):.3f} ms an abstract, "
        f"first sentence {1000 * first / len(rows):.3f} ms"
    )
    for name in sys.argv[1:] or ["minilm-static"]:
        embedder = get_embedder(name)
        embedder.embed(docs[:8])
        choose_summaries(embedder, abstracts[:8])  # warm up
        for _ in range(2):
            started = time.perf_counter()
            embedder.embed(docs)
            embed_s = time.perf_counter() - started
            started = time.perf_counter()
            _, sentences = choose_summaries(embedder, abstracts)
            summary_s = time.perf_counter() - started
            print(
                f"{name}: embedding {len(docs) / embed_s:.1f} papers/s, key sentences "
                f"{len(rows) / summary_s:.1f} papers/s ({sentences} sentences), "
                f"{summary_s / embed_s:.2f}x the time"
            )


if __name__ == "__main__":
    main()
