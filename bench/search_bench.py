"""Search benchmark at scale (not a test): keyword, dense exact vs HNSW, and hybrid search.

Builds ``--docs`` synthetic paper documents (default 1,000,000) by recombining the
titles and abstract sentences of the ~6,000 real papers in ../shared/data (the
Kaggle snapshot head, the .abs files, the OAI responses including the quant-ph
oai_dc dumps, the Atom feeds and the trending page, all read with the project's
parsers), with a seeded RNG, so vocabulary and lengths are those of real abstracts.
Queries are the titles of held-out real papers, whose text never enters the index.
In one run it measures:

* embedding every document with ``--model`` (docs/s; vectors cached as .npy in
  ``--workdir``, reused with ``--reuse``);
* the tantivy keyword index (``search.backend.SearchIndex``): build time, disk size;
* dense search: brute force (``vectors.ExactIndex``, the baseline) and HNSW
  (``vectors.HnswIndex``) for each ``--builds`` entry, sweeping ``--ef``:
  build time, memory, recall@10 and recall@100 against exact, p50/p99 per query;
* hybrid search as the site runs it: embed the query, keyword top-N and dense
  top-N, fused with ``ranking.reciprocal_rank_fusion`` (k=60), with HNSW and with
  exact dense search.

Queries run one at a time, as a web request does. ``--corpus real`` indexes the
real papers themselves instead (for a recall check on transformer vectors):

    .venv/bin/python bench/search_bench.py --docs 1000000 --reuse \\
        --builds 16:128:f16,32:128:f16 --ef 64,128,256,512,1024
    .venv/bin/python bench/search_bench.py --corpus real --model minilm --skip-keyword \\
        --builds 16:128:f16 --ef 16,32,64,128

The work folder (``--workdir``, default /tmp/papertrend-search-bench) is also
PAPERTREND_DATA_DIR, so the static model is distilled there once unless
PAPERTREND_MODEL_CACHE_DIR points at an existing cache. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SOURCES = [
    "arxiv/kaggle-snapshot-head.jsonl",
    "arxiv/abs",
    "arxiv/oai-arXiv",
    "arxiv/oai-arXivRaw",
    "arxiv/quantph-1992-1999",
    "arxiv/api-atom",
    "trending-page",
]
# A sentence ends at . ! or ? followed by space and a capital, digit or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[$\\])")
# Where a title may be cut to graft another title's tail on.
_TITLE_JOINS = (" for ", " of ", " in ", " with ", " on ", " via ", " using ", ": ")


@dataclass(frozen=True)
class Source:
    """One real paper, as raw material: TeX-source title and abstract sentences."""

    title: str
    sentences: tuple[str, ...]
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    published: datetime | None


def load_sources() -> list[Source]:
    """Every real paper with a title and an abstract, deduplicated by id or title."""
    from papertrend.papers.formats import iter_records
    from papertrend.papers.records import PaperRecord

    seen: dict[str, Source] = {}
    for record in iter_records(DATA / s for s in SOURCES):
        if not isinstance(record, PaperRecord) or not (record.title and record.abstract):
            continue
        key = record.arxiv_id or record.title.lower()
        if key in seen:
            continue
        sentences = tuple(s for s in _SENTENCE_END.split(record.abstract.strip()) if s)
        seen[key] = Source(
            record.title,
            sentences,
            tuple(a.full_name for a in record.authors),
            tuple(record.categories),
            record.published,
        )
    return list(seen.values())


def _graft_title(rng: random.Random, head: str, tail: str) -> str:
    for join in rng.sample(_TITLE_JOINS, len(_TITLE_JOINS)):
        a, b = head.find(join), tail.find(join)
        if a > 0 and b > 0:
            return head[:a] + tail[b:]
    return head


def synthetic_docs(pool: Sequence[Source], count: int, seed: int) -> Iterator[dict[str, Any]]:
    """``count`` documents as ``Paper.as_search_document`` dicts, keys ``"0"``, ``"1"``...

    Each takes a real paper's authors, categories, date and sentence count; half
    the titles are grafted from two real titles at a shared joining word; the
    abstract mixes sentences of that paper and two others. Deterministic per seed.
    """
    rng = random.Random(seed)
    n = len(pool)
    for i in range(count):
        base, other, third = pool[rng.randrange(n)], pool[rng.randrange(n)], pool[rng.randrange(n)]
        title = base.title if rng.random() < 0.5 else _graft_title(rng, base.title, other.title)
        mix = base.sentences + other.sentences + third.sentences
        length = min(len(base.sentences), len(mix))
        abstract = " ".join(rng.sample(mix, length))
        yield {
            "key": str(i),
            "arxiv_id": "",
            "title": title,
            "abstract": abstract,
            "authors": list(base.authors),
            "categories": list(base.categories),
            "published": base.published,
        }


def real_docs(pool: Sequence[Source], count: int) -> Iterator[dict[str, Any]]:
    """The first ``count`` real papers of ``pool`` as documents (``--corpus real``)."""
    for i, src in enumerate(pool[:count]):
        yield {
            "key": str(i),
            "arxiv_id": "",
            "title": src.title,
            "abstract": " ".join(src.sentences),
            "authors": list(src.authors),
            "categories": list(src.categories),
            "published": src.published,
        }


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def timed(
    fn: Callable[[Any], Any], items: Sequence[Any], warmup: int = 10
) -> tuple[list[Any], list[float]]:
    """(results, milliseconds per item), calling ``fn`` on one item at a time."""
    for item in items[:warmup]:
        fn(item)
    results, times = [], []
    for item in items:
        t0 = time.perf_counter()
        results.append(fn(item))
        times.append(1000 * (time.perf_counter() - t0))
    return results, times


def pct(times: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(times), q))


def nearest(index: Any, k: int) -> Callable[[np.ndarray], list[Any]]:
    """A query function: vector -> the index's ``k`` best ``Neighbour``s."""
    return lambda vector: index.search(vector, k)


def recall(found: Sequence[Sequence[Any]], truth: Sequence[Sequence[Any]], k: int) -> float:
    """Mean share of the exact top ``k`` labels that the ANN top ``k`` contains."""
    return statistics.fmean(
        len({h.label for h in f[:k]} & {h.label for h in t[:k]}) / k
        for f, t in zip(found, truth, strict=True)
    )


def recall_eps(
    found: Sequence[Sequence[Any]],
    truth: Sequence[Sequence[Any]],
    vectors: np.ndarray,
    queries: Sequence[np.ndarray],
    k: int,
    eps: float = 1e-3,
) -> float:
    """Recall with ties: an ANN hit counts when its exact (float32) similarity is within
    ``eps`` of the exact k-th best, as ann-benchmarks does
    (https://github.com/erikbern/ann-benchmarks, ``plotting/metrics.py``, epsilon 1e-3)."""
    shares = []
    for f, t, q in zip(found, truth, queries, strict=True):
        labels = np.asarray([h.label for h in f[:k]], dtype=np.int64)
        sims = vectors[labels] @ q if len(labels) else np.zeros(0)
        shares.append(min(k, int(np.sum(sims >= t[k - 1].score - eps))) / k)
    return statistics.fmean(shares)


def set_ef(index: Any, ef: int) -> None:
    """Change an ``HnswIndex``'s expansion_search (ef) in place; the graph is unchanged."""
    raw: Any = index._index  # usearch's stub marks the property read-only; it has a setter
    raw.expansion_search = ef


def embed_corpus(
    embedder: Any, docs: Iterator[dict[str, Any]], count: int, path: Path, chunk: int
) -> tuple[np.ndarray, float]:
    """Embed every document into ``path`` (.npy); returns (vectors, seconds spent embedding)."""
    from papertrend.search.embedders import document_text

    partial = path.with_suffix(".partial.npy")
    out = np.lib.format.open_memmap(
        partial, mode="w+", dtype=np.float32, shape=(count, embedder.dim)
    )
    spent, done = 0.0, 0
    last_report = time.perf_counter()
    for texts in _chunks((document_text(d["title"], d["abstract"]) for d in docs), chunk):
        t0 = time.perf_counter()
        out[done : done + len(texts)] = embedder.embed(texts)
        spent += time.perf_counter() - t0
        done += len(texts)
        if time.perf_counter() - last_report > 30:
            print(f"  embedded {done:,} ({done / spent:,.0f} docs/s)")
            last_report = time.perf_counter()
    out.flush()
    del out
    os.replace(partial, path)
    return np.load(path), spent


def build_keyword(folder: Path, docs: Iterator[dict[str, Any]]) -> tuple[Any, float, int]:
    """A fresh tantivy index of ``docs`` in one commit, as ``indexing.rebuild`` does.

    Returns (index, seconds, bytes on disk)."""
    from papertrend.search.backend import SearchIndex

    shutil.rmtree(folder, ignore_errors=True)
    index = SearchIndex(folder)
    t0 = time.perf_counter()
    with index.writer() as writer:
        writer.delete_all()
        for doc in docs:
            writer.add(doc)
        writer.commit()
    index.mark_rebuilt()
    seconds = time.perf_counter() - t0
    return index, seconds, folder_bytes(folder)


def parse_builds(text: str) -> list[tuple[int, int, str]]:
    """``"16:128:f16,16:128:i8"`` -> [(16, 128, "f16"), (16, 128, "i8")]."""
    builds = []
    for part in text.split(","):
        m, ef_add, dtype = part.split(":")
        builds.append((int(m), int(ef_add), dtype))
    return builds


def _chunks(items: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def cached_vectors(workdir: Path, stem: str, count: int, corpus: str) -> np.ndarray | None:
    """Vectors for the first ``count`` documents from an earlier run, or None.

    Synthetic documents are a prefix-stable stream per seed, so a cache of a larger
    run serves a smaller one."""
    exact = workdir / f"{stem}-{count}.npy"
    if exact.exists():
        return np.load(exact)
    if corpus != "synthetic":
        return None
    for path in workdir.glob(f"{stem}-*.npy"):
        size = path.stem.removeprefix(f"{stem}-")
        if size.isdigit() and int(size) > count:
            return np.ascontiguousarray(np.load(path, mmap_mode="r")[:count])
    return None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default="minilm-static")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/papertrend-search-bench"))
    parser.add_argument("--reuse", action="store_true", help="reuse cached vectors")
    parser.add_argument("--corpus", choices=("synthetic", "real"), default="synthetic")
    parser.add_argument("--builds", default="16:128:f16", help="M:efConstruction:dtype,...")
    parser.add_argument("--ef", default="64,128,256,512,1024", help="expansion_search values")
    parser.add_argument("--candidates", type=int, default=100, help="per run, for hybrid")
    parser.add_argument("--target-recall", type=float, default=0.95)
    # model2vec spreads a call of more than 10,000 texts over all cores.
    parser.add_argument("--embed-chunk", type=int, default=20_000)
    parser.add_argument("--skip-keyword", action="store_true")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if not DATA.is_dir():
        sys.exit(f"skipped: {DATA} is absent (the benchmark needs ../shared/data)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    os.environ["PAPERTREND_DATA_DIR"] = str(args.workdir)
    os.environ.setdefault("PAPERTREND_MODEL_CACHE_DIR", str(args.workdir / "models"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
    import django

    django.setup()
    from papertrend.search.embedders import document_text, get_embedder
    from papertrend.search.ranking import reciprocal_rank_fusion
    from papertrend.search.vectors import ExactIndex, HnswIndex, HnswParams

    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs; argv: {sys.argv[1:]}")
    t0 = time.perf_counter()
    sources = load_sources()
    random.Random(args.seed).shuffle(sources)
    held_out, pool = sources[: args.queries], sources[args.queries :]
    queries = [s.title for s in held_out]
    print(
        f"{len(sources):,} real papers read in {time.perf_counter() - t0:.1f} s: "
        f"{len(pool):,} as material, {len(queries)} held out as queries"
    )

    def docs() -> Iterator[dict[str, Any]]:
        if args.corpus == "real":
            return real_docs(pool, args.docs)
        return synthetic_docs(pool, args.docs, args.seed)

    count = min(args.docs, len(pool)) if args.corpus == "real" else args.docs
    t0 = time.perf_counter()
    embedder = get_embedder(args.model)
    print(
        f"model {args.model} ({embedder.identity}, {embedder.dim}-d) loaded in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    stem = f"vectors-{args.corpus}-{args.model}-s{args.seed}"
    vectors = cached_vectors(args.workdir, stem, count, args.corpus) if args.reuse else None
    if vectors is not None:
        print(f"embedding: reused cached vectors ({stem})")
    else:
        path = args.workdir / f"{stem}-{count}.npy"
        vectors, spent = embed_corpus(embedder, docs(), count, path, args.embed_chunk)
        print(f"embedding: {count:,} docs in {spent:.1f} s = {count / spent:,.0f} docs/s")
    labels = np.arange(count, dtype=np.int64)
    query_vectors, embed_ms = timed(lambda q: embedder.embed([q])[0], queries)
    # "Related papers" queries: whole held-out papers (title + abstract).
    related = list(
        embedder.embed([document_text(s.title, " ".join(s.sentences)) for s in held_out])
    )

    rows: list[tuple[str, list[float]]] = [("embed the query (title)", embed_ms)]
    keyword = None
    if not args.skip_keyword:
        t0 = time.perf_counter()
        generated = sum(1 for _ in docs())
        gen_s = time.perf_counter() - t0
        keyword, kw_s, kw_bytes = build_keyword(args.workdir / "kw", docs())
        print(
            f"keyword index: {count:,} docs in {kw_s:.1f} s (incl. ~{gen_s:.1f} s generating "
            f"{generated:,} docs) = {count / kw_s:,.0f} docs/s; {kw_bytes / 2**20:,.0f} MiB on disk"
        )

    k, n_cand = 10, args.candidates
    exact = ExactIndex(embedder.dim, labels, vectors)
    truth, exact_ms = timed(nearest(exact, k), query_vectors)
    truth_c, exact_c_ms = timed(nearest(exact, n_cand), query_vectors)
    truth_rel = [exact.search(v, k) for v in related]
    rows.append((f"dense exact (numpy), k={k}: **baseline**", exact_ms))
    rows.append((f"dense exact (numpy), k={n_cand}", exact_c_ms))
    base_p50 = pct(exact_ms, 50)
    if keyword is not None:
        kw = keyword
        kw_hits, kw_ms = timed(lambda q: kw.search(q, limit=n_cand)[0], queries)
        rows.append((f"keyword (tantivy BM25), top {n_cand}", kw_ms))
        print(f"keyword: mean {statistics.fmean(len(h) for h in kw_hits):.0f} hits per query")

    sweep: list[dict[str, Any]] = []
    indexes: dict[tuple[int, int, str], Any] = {}
    for m, ef_add, dtype in parse_builds(args.builds):
        gc.collect()
        rss0 = rss_bytes()
        t0 = time.perf_counter()
        hnsw = HnswIndex(embedder.dim, HnswParams(m, ef_add, 64, dtype))
        hnsw.add(labels, vectors)
        build_s = time.perf_counter() - t0
        usage = int(hnsw._index.memory_usage)
        folder = args.workdir / f"hnsw-{m}-{ef_add}-{dtype}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        hnsw.save_to(folder)
        print(
            f"HNSW M={m} efC={ef_add} {dtype}: built in {build_s:.1f} s "
            f"({count / build_s:,.0f} vectors/s); usearch memory_usage {usage / 2**20:,.0f} "
            f"MiB, RSS +{(rss_bytes() - rss0) / 2**20:,.0f} MiB, "
            f"{folder_bytes(folder) / 2**20:,.0f} MiB on disk"
        )
        indexes[(m, ef_add, dtype)] = hnsw
        for ef in (int(e) for e in args.ef.split(",")):
            set_ef(hnsw, ef)
            found, ms = timed(nearest(hnsw, k), query_vectors)
            found_c, ms_c = timed(nearest(hnsw, n_cand), query_vectors)
            e: dict[str, Any] = {
                "build": (m, ef_add, dtype),
                "ef": ef,
                "r10": recall(found, truth, k),
                "r10eps": recall_eps(found, truth, vectors, query_vectors, k),
                "rel": recall([hnsw.search(v, k) for v in related], truth_rel, k),
                "r100": recall(found_c, truth_c, n_cand),
                "ms": ms,
                "ms_c": ms_c,
            }
            sweep.append(e)
            print(
                f"  ef={ef:>4}: recall@{k} {e['r10']:.3f} (with ties {e['r10eps']:.3f}), "
                f"related {e['rel']:.3f}, recall@{n_cand} {e['r100']:.3f}; k={k} p50 "
                f"{pct(ms, 50):.2f} p99 {pct(ms, 99):.2f} ms; k={n_cand} p50 {pct(ms_c, 50):.2f} ms"
            )

    good = [e for e in sweep if e["r10"] >= args.target_recall]
    best = min(good, key=lambda e: pct(e["ms"], 50)) if good else max(sweep, key=lambda e: e["r10"])
    bm, bef_add, bdtype = best["build"]
    how = f"lowest p50 with recall@{k} >= {args.target_recall}" if good else "target not reached"
    print(f"chosen: M={bm} efC={bef_add} {bdtype} ef={best['ef']} ({how})")
    for e in sweep:
        name = "M={} efC={} {}".format(*e["build"])
        rows.append(
            (
                f"dense HNSW {name} ef={e['ef']}, k={k} (recall {e['r10']:.3f}, with ties "
                f"{e['r10eps']:.3f}; related-paper queries {e['rel']:.3f})",
                e["ms"],
            )
        )
        rows.append(
            (f"dense HNSW {name} ef={e['ef']}, k={n_cand} (recall {e['r100']:.3f})", e["ms_c"])
        )

    # The chosen index as the site opens it: saved, then memory-mapped read-only.
    view = HnswIndex.load_from(
        args.workdir / f"hnsw-{bm}-{bef_add}-{bdtype}",
        embedder.dim,
        HnswParams(bm, bef_add, best["ef"], bdtype),
        view=True,
    )
    _, view_ms = timed(nearest(view, k), query_vectors)
    rows.append((f"dense HNSW chosen (ef={best['ef']}), memory-mapped view, k={k}", view_ms))

    if keyword is not None:
        ann = indexes[best["build"]]
        set_ef(ann, best["ef"])
        kw = keyword

        def hybrid(index: Any) -> Callable[[str], list[str]]:
            def run(q: str) -> list[str]:
                vector = embedder.embed([q])[0]
                kw_keys = [h.key for h in kw.search(q, limit=n_cand)[0]]
                dense_keys = [str(h.label) for h in index.search(vector, n_cand)]
                fused = reciprocal_rank_fusion({"keyword": kw_keys, "dense": dense_keys}, k=60)
                return [f.key for f in fused[:k]]

            return run

        h_ann, h_ann_ms = timed(hybrid(ann), queries)
        h_exact, h_exact_ms = timed(hybrid(exact), queries)
        what = f"embed + keyword top {n_cand} + dense top {n_cand} + RRF"
        rows.append((f"hybrid, HNSW chosen ({what})", h_ann_ms))
        rows.append((f"hybrid, exact dense ({what})", h_exact_ms))
        agree = statistics.fmean(
            len(set(a) & set(b)) / k for a, b in zip(h_ann, h_exact, strict=True)
        )
        print(f"hybrid top-{k} overlap, HNSW vs exact dense: {agree:.4f}")

    print(f"\n{count:,} docs, {len(queries)} title queries, one at a time")
    print("| | p50 | p99 | speed-up vs baseline (p50) |\n|---|---:|---:|---:|")
    for name, ms in rows:
        print(
            f"| {name} | {pct(ms, 50):.2f} ms | {pct(ms, 99):.2f} ms | "
            f"{base_p50 / pct(ms, 50):.1f}x |"
        )


if __name__ == "__main__":
    main()
