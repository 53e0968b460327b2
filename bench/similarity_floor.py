"""Calibrate the similarity floor for results found by meaning alone (not a test).

    .venv/bin/python bench/similarity_floor.py --vector-cache var/eval-vectors

On CISI, Cranfield and CACM (``../shared/data/eval``), through ``search.evaluation.runner``
(the site's query path): hybrid and dense-alone nDCG@10 for each floor in ``--floors``,
and how many papers the dense side adds beyond the keyword matches at each floor. Then
the queries that should find nothing (``NONSENSE``: strings in no paper, names of
people who wrote none of them): their best cosine similarity in each collection, i.e.
how many made-up results each floor would still show. The figures go in
docs/search-quality.md ("Similarity floor").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

NONSENSE = [
    "xyzzyqwerty",
    "asdfghjkl",
    "qwertyuiop zxcvbnm",
    "lorem ipsum dolor sit amet",
    "hinton",
    "geoffrey hinton",
    "yann lecun",
    "Schmidhuber",
    "foo bar baz",
    "zzzz",
    "abcdefg",
    "kjhgf",
    "blorptastic",
    "xkcd 927",
    "a1b2c3d4",
    "grault garply waldo",
    "Noether",
    "Curie",
    "pizza recipe",
    "football transfer news",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("..") / "shared" / "data" / "eval")
    parser.add_argument("--model", default=None, help="embedding model (default: the site's)")
    parser.add_argument("--vector-cache", type=Path, default=None)
    parser.add_argument("--floors", default="0,0.2,0.25,0.3,0.35,0.4,0.45")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
    import django

    django.setup()
    import numpy as np

    from papertrend.search.embedders import document_text, get_embedder
    from papertrend.search.evaluation import runner
    from papertrend.search.evaluation.smart import load_collection

    embedder = get_embedder(args.model)
    floors = [float(f) for f in args.floors.split(",")]
    print(f"model {embedder.name} ({embedder.identity})\n")
    print("| collection | floor | hybrid nDCG@10 | dense nDCG@10 | meaning-only papers per query |")
    print("|---|---:|---:|---:|---:|")
    nonsense_best: dict[str, list[float]] = {}
    for name in ("cisi", "cranfield", "cacm"):
        collection = load_collection(name, args.data_dir)
        qids = collection.judged_queries()
        with tempfile.TemporaryDirectory() as folder:
            index = runner.keyword_index(collection, Path(folder) / "index")
            keyword = runner.bm25_rankings(collection, qids, index)
        dense = runner.dense_rankings(
            collection, qids, embedder, ann=False, cache_dir=args.vector_cache
        )
        for floor in floors:
            hybrid = runner.hybrid_rankings(collection, keyword, dense, floor)
            semantic = runner.semantic_rankings(dense, floor)
            h = runner.score_rankings(collection.qrels, hybrid, qids)["nDCG@10"].mean
            d = runner.score_rankings(collection.qrels, semantic, qids)["nDCG@10"].mean
            added = [
                sum(1 for key, sim in dense[q] if sim >= floor and key not in set(keyword[q]))
                for q in qids
            ]
            print(f"| {name} | {floor:g} | {h:.3f} | {d:.3f} | {np.mean(added):.1f} |")
        docs = [doc for doc in collection.documents.values() if not doc.is_empty]
        doc_vectors = runner.embed(
            embedder,
            [document_text(doc.title, doc.abstract) for doc in docs],
            desc=name,
            cache_dir=args.vector_cache,
        )
        query_vectors = embedder.embed(NONSENSE)
        nonsense_best[name] = [float(v) for v in (query_vectors @ doc_vectors.T).max(axis=1)]
    print("\nBest cosine of a query that should find nothing, per collection:\n")
    print("| query | " + " | ".join(nonsense_best) + " |")
    print("|---|" + "---:|" * len(nonsense_best))
    for i, query in enumerate(NONSENSE):
        cells = " | ".join(f"{nonsense_best[name][i]:.3f}" for name in nonsense_best)
        print(f"| {query} | {cells} |")
    for floor in floors:
        shown = sum(1 for best in nonsense_best.values() for value in best if value >= floor)
        total = sum(len(best) for best in nonsense_best.values())
        print(f"floor {floor:g}: {shown} of {total} nonsense query x collection pairs show papers")


if __name__ == "__main__":
    main()
