"""Run the site's retrieval systems on test collections and score them.

Every system goes through the code the site runs:

* ``bm25``: a real tantivy index (``search.backend.SearchIndex``) in a temporary
  folder, documents shaped like ``Paper.as_search_document()``, queried with
  ``SearchIndex.search``.
* ``dense``: ``embedders.get_embedder(model).embed`` on ``document_text(title,
  abstract)`` and on the query, nearest neighbours from ``vectors.build_index``
  (exact below ``settings.VECTOR_EXACT_MAX`` vectors, as on the site; HNSW with
  the site's ``hnsw_params()`` when ``ann`` is set).
* ``hybrid``: ``ranking.hybrid_fuse`` of the two top-``DEPTH`` lists (it reads
  ``SEARCH_RRF_K`` and the run weights from the settings).

Queries are prepared as the search page prepares them (NUL removed, stripped, cut
at ``service.MAX_QUERY_CHARS``), with one change: double quotes are removed
before keyword search, because in these collections they are scare quotes, while
the site reads them as required phrases.

Scores come from ``ir-measures`` (https://ir-measur.es/, which runs trec_eval
through pytrec_eval): nDCG@10 (linear gain = the judged grade, log2 discount),
AP over the top 100 (trec_eval ``map_cut_100``: precision at each relevant
document retrieved, divided by all relevant documents, so those not retrieved
count as misses) and R@100. AP on 100-deep lists is lower than AP on a full
ranking where a collection has many relevant documents per query (CISI: 41).
Queries without a relevant judgment are excluded; a judged query for which a
system returns nothing scores 0.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ir_measures
import numpy as np
from django.conf import settings
from ir_measures import AP, R, nDCG
from tqdm import tqdm

from papertrend.search.backend import SearchIndex
from papertrend.search.embedders import Embedder, document_text
from papertrend.search.evaluation.smart import EvalCollection
from papertrend.search.evaluation.triplets import CouplingSet, Triplet
from papertrend.search.ranking import hybrid_fuse
from papertrend.search.vectors import VectorIndex, build_index

DEPTH = 100  # results taken from each system, candidates fused, and evaluation depth
SYSTEMS = ("bm25", "dense", "hybrid")
MEASURES: dict[str, Any] = {"nDCG@10": nDCG @ 10, "MAP@100": AP @ 100, "R@100": R @ 100}
EMBED_CHUNK = 256  # texts per progress-bar step

Ranking = dict[str, list[str]]  # query id -> document ids, best first


@dataclass
class Score:
    """A measure over queries: ``mean``, its standard error ``se`` (sample standard
    deviation / sqrt(n); 0 for n < 2) and the per-query values."""

    mean: float
    se: float
    per_query: dict[str, float]

    @classmethod
    def of(cls, per_query: dict[str, float]) -> Score:
        values = np.array(list(per_query.values()), dtype=np.float64)
        n = len(values)
        mean = float(values.mean()) if n else 0.0
        se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
        return cls(mean, se, per_query)


@dataclass
class ResultRow:
    """One line of the report: a system's ``metrics`` on ``data`` over ``n`` queries."""

    data: str
    system: str
    n: int
    metrics: dict[str, Score]
    kind: str = "retrieval"  # or "related" (the related-papers table)


@dataclass
class Report:
    """Everything ``papertrend eval`` prints: settings, rows, notes."""

    config: dict[str, Any]
    rows: list[ResultRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def site_query(text: str) -> str:
    """The query the search page would search for ``text`` (see the module docstring)."""
    from papertrend.search.service import MAX_QUERY_CHARS

    return text.replace("\x00", "").strip()[:MAX_QUERY_CHARS]


def keyword_query(text: str) -> str:
    """``site_query`` without double quotes (scare quotes in test queries, not phrases)."""
    return site_query(text).replace('"', " ")


def dense_query(text: str) -> str:
    """The text ``dense.dense_search`` would embed for the query ``text``."""
    from papertrend.search.dense import MAX_QUERY_CHARS

    return site_query(text)[:MAX_QUERY_CHARS]


def vector_index(vectors: np.ndarray, *, ann: bool) -> VectorIndex:
    """An index over ``vectors`` (float32 ``(n, dim)``), labels ``0..n-1``: the site's
    choice of exact or HNSW for that size, or HNSW whatever the size when ``ann``."""
    from papertrend.search.vector_sync import hnsw_params

    labels = np.arange(len(vectors), dtype=np.int64)
    exact_max = 0 if ann else settings.VECTOR_EXACT_MAX
    return build_index(labels, vectors, exact_max=exact_max, params=hnsw_params())


def embed(
    embedder: Embedder,
    texts: Sequence[str],
    *,
    desc: str,
    cache_dir: Path | None = None,
) -> np.ndarray:
    """``embedder.embed(texts)`` (float32 ``(len(texts), dim)``) with a progress bar.

    With ``cache_dir`` the vectors are kept in ``<sha256 of identity and texts>.npy``
    there and reused by later runs with the same model and texts.
    """
    path = None
    if cache_dir is not None:
        digest = hashlib.sha256(embedder.identity.encode())
        for text in texts:
            digest.update(b"\x00" + text.encode())
        path = cache_dir / f"{digest.hexdigest()}.npy"
        if path.exists():
            return np.load(path)
    parts = []
    with tqdm(total=len(texts), desc=desc, unit="text", disable=None, leave=False) as bar:
        for start in range(0, len(texts), EMBED_CHUNK):
            chunk = texts[start : start + EMBED_CHUNK]
            parts.append(embedder.embed(chunk))
            bar.update(len(chunk))
    vectors = np.concatenate(parts) if parts else np.zeros((0, embedder.dim), np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def bm25_rankings(collection: EvalCollection, qids: Iterable[str], index_dir: Path) -> Ranking:
    """Top-``DEPTH`` keyword results per query from a tantivy index built in ``index_dir``."""
    index = SearchIndex(index_dir)
    with index.writer() as writer:
        for doc in collection.documents.values():
            if doc.is_empty:
                continue
            writer.add(
                {
                    "key": doc.id,
                    "arxiv_id": "",
                    "title": doc.title,
                    "abstract": doc.abstract,
                    "authors": doc.authors,
                    "categories": [],
                    "published": None,
                }
            )
        writer.commit()
    rankings = {}
    for qid in qids:
        hits, _ = index.search(keyword_query(collection.queries[qid].text), limit=DEPTH)
        rankings[qid] = [hit.key for hit in hits]
    return rankings


def dense_rankings(
    collection: EvalCollection,
    qids: Sequence[str],
    embedder: Embedder,
    *,
    ann: bool,
    cache_dir: Path | None = None,
) -> Ranking:
    """Top-``DEPTH`` nearest documents per query by cosine similarity."""
    docs = [doc for doc in collection.documents.values() if not doc.is_empty]
    doc_vectors = embed(
        embedder,
        [document_text(doc.title, doc.abstract) for doc in docs],
        desc=f"{collection.name}: documents",
        cache_dir=cache_dir,
    )
    query_vectors = embed(
        embedder,
        [dense_query(collection.queries[qid].text) for qid in qids],
        desc=f"{collection.name}: queries",
        cache_dir=cache_dir,
    )
    index = vector_index(doc_vectors, ann=ann)
    return {
        qid: [docs[hit.label].id for hit in index.search(vector, DEPTH)]
        for qid, vector in zip(qids, query_vectors, strict=True)
    }


def hybrid_rankings(keyword: Ranking, dense: Ranking) -> Ranking:
    """Per query, the site's RRF of the two lists (``ranking.hybrid_fuse``), top ``DEPTH``."""
    return {
        qid: [fused.key for fused in hybrid_fuse(keyword[qid][:DEPTH], dense[qid][:DEPTH])][:DEPTH]
        for qid in keyword
    }


def score_rankings(
    qrels: Mapping[str, Mapping[str, int]],
    rankings: Ranking,
    qids: Sequence[str],
    measures: Mapping[str, Any] = MEASURES,
) -> dict[str, Score]:
    """Each measure (label -> ir-measures measure) over the queries ``qids``.

    A ranked list becomes a TREC run with scores ``DEPTH - rank``, so trec_eval's
    order is the list's. Queries of ``qids`` missing from the run score 0.
    """
    run = {
        qid: {doc: float(DEPTH - rank) for rank, doc in enumerate(rankings.get(qid, []))}
        for qid in qids
    }
    judged = {qid: dict(qrels[qid]) for qid in qids}
    labels = {measure: label for label, measure in measures.items()}
    per_query: dict[str, dict[str, float]] = {label: dict.fromkeys(qids, 0.0) for label in measures}
    nonempty = {qid: docs for qid, docs in run.items() if docs}
    metrics = ir_measures.iter_calc(list(measures.values()), judged, nonempty) if nonempty else []
    for metric in metrics:
        per_query[labels[metric.measure]][metric.query_id] = float(metric.value)
    return {label: Score.of(values) for label, values in per_query.items()}


def evaluate_collection(
    collection: EvalCollection,
    systems: Sequence[str],
    embedder: Embedder | None,
    *,
    ann: bool = False,
    cache_dir: Path | None = None,
) -> tuple[list[ResultRow], list[str]]:
    """Rows for ``systems`` (a subset of ``SYSTEMS``) on a SMART collection, and notes.

    ``embedder`` is needed for "dense" and "hybrid".
    """
    qids = collection.judged_queries()
    notes = list(collection.notes)
    unjudged = len(collection.queries) - len(qids)
    notes.append(
        f"{collection.name}: {len(qids)} of {len(collection.queries)} queries have judgments"
        + (f"; {unjudged} without judgments are excluded" if unjudged else "")
    )
    started = time.monotonic()
    runs: dict[str, Ranking] = {}
    if {"bm25", "hybrid"} & set(systems):
        with tempfile.TemporaryDirectory(prefix="papertrend-eval-") as folder:
            runs["bm25"] = bm25_rankings(collection, qids, Path(folder) / "index")
    if {"dense", "hybrid"} & set(systems):
        if embedder is None:
            raise ValueError("dense and hybrid need an embedder")
        runs["dense"] = dense_rankings(collection, qids, embedder, ann=ann, cache_dir=cache_dir)
    if "hybrid" in systems:
        runs["hybrid"] = hybrid_rankings(runs["bm25"], runs["dense"])
    rows = [
        ResultRow(
            collection.name, system, len(qids), score_rankings(collection.qrels, runs[system], qids)
        )
        for system in SYSTEMS
        if system in systems
    ]
    empty = [system for system in systems if any(not runs[system][q] for q in qids)]
    for system in empty:
        count = sum(1 for q in qids if not runs[system][q])
        notes.append(f"{collection.name}: {system} returned nothing for {count} queries (scored 0)")
    notes.append(f"{collection.name}: ran in {time.monotonic() - started:.1f} s")
    return rows, notes


def _pair_order(index: VectorIndex, query: np.ndarray) -> float:
    """1 when label 0 (pos) outranks label 1 (neg), 0 when below, 0.5 on a tie."""
    hits = {hit.label: hit.score for hit in index.search(query, 2)}
    pos, neg = hits.get(0, -math.inf), hits.get(1, -math.inf)
    return 1.0 if pos > neg else 0.5 if pos == neg else 0.0


def evaluate_triplets(
    triplets: Sequence[Triplet],
    embedder: Embedder,
    *,
    ann: bool = False,
    cache_dir: Path | None = None,
    data: str = "triplets",
) -> ResultRow:
    """Triplet accuracy: the share of triplets where the related-papers rule (cosine
    of ``document_text`` embeddings, nearest first) ranks ``pos`` above ``neg``;
    ties count one half."""
    texts = [
        document_text(paper.title, paper.abstract)
        for t in triplets
        for paper in (t.query, t.pos, t.neg)
    ]
    vectors = embed(embedder, texts, desc=f"{data}: papers", cache_dir=cache_dir)
    per_query = {}
    for number in range(len(triplets)):
        query, pos, neg = vectors[3 * number : 3 * number + 3]
        per_query[str(number)] = _pair_order(vector_index(np.stack([pos, neg]), ann=ann), query)
    return ResultRow(data, "dense", len(triplets), {"accuracy": Score.of(per_query)}, "related")


def evaluate_coupling(
    coupling: CouplingSet,
    embedder: Embedder,
    *,
    ann: bool = False,
    cache_dir: Path | None = None,
    data: str = "specter-sample",
) -> ResultRow:
    """MAP and nDCG@10 of related-papers lists (each paper's nearest others, itself
    excluded) against bibliographic coupling, over the papers coupled to at least one other."""
    ids = list(coupling.papers)
    texts = [document_text(p.title, p.abstract) for p in coupling.papers.values()]
    vectors = embed(embedder, texts, desc=f"{data}: papers", cache_dir=cache_dir)
    index = vector_index(vectors, ann=ann)
    qids = [pid for pid in ids if coupling.related[pid]]
    rankings = {
        pid: [
            ids[hit.label]
            for hit in index.search(vectors[ids.index(pid)], DEPTH, exclude=[ids.index(pid)])
        ]
        for pid in qids
    }
    qrels = {pid: dict.fromkeys(coupling.related[pid], 1) for pid in qids}
    measures = {"MAP@100": AP @ 100, "nDCG@10": nDCG @ 10}
    return ResultRow(
        data, "dense", len(qids), score_rankings(qrels, rankings, qids, measures), "related"
    )


def paired_difference(a: ResultRow, b: ResultRow, measure: str = "nDCG@10") -> tuple[float, float]:
    """Mean of ``a - b`` per query on ``measure``, and its standard error (paired)."""
    first, second = a.metrics[measure].per_query, b.metrics[measure].per_query
    diffs = {qid: first[qid] - second[qid] for qid in first}
    score = Score.of(diffs)
    return score.mean, score.se


def hybrid_notes(rows: Sequence[ResultRow]) -> list[str]:
    """Per collection: hybrid minus the better of bm25 and dense on nDCG@10, paired SE."""
    notes = []
    by_data: dict[str, dict[str, ResultRow]] = {}
    for row in rows:
        if row.kind == "retrieval":
            by_data.setdefault(row.data, {})[row.system] = row
    for data, systems in by_data.items():
        if not {"bm25", "dense", "hybrid"} <= set(systems):
            continue
        best = max(("bm25", "dense"), key=lambda s: systems[s].metrics["nDCG@10"].mean)
        diff, se = paired_difference(systems["hybrid"], systems[best])
        verdict = "meets" if diff >= 0 else "misses"
        notes.append(
            f"{data}: hybrid - {best} (the better single system) nDCG@10 = {diff:+.3f} "
            f"(paired SE {se:.3f}); {verdict} the goal hybrid >= best"
        )
    return notes


def _cell(score: Score) -> str:
    return f"{score.mean:.3f}"


def to_markdown(report: Report) -> str:
    """The report as Markdown: a settings line, the retrieval table, the related-papers
    table, then the notes as a list."""
    config = report.config
    lines = [
        f"Model: `{config['model']}` ({config['identity']}); vectors: {config['vector_index']}; "
        f"RRF k={config['rrf_k']}, weights keyword {config['keyword_weight']:g} / "
        f"dense {config['dense_weight']:g}, {config['depth']} candidates each.",
        "",
    ]
    retrieval = [row for row in report.rows if row.kind == "retrieval"]
    if retrieval:
        lines += [
            "| collection | system | queries | nDCG@10 | ± SE | MAP@100 | R@100 |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for row in retrieval:
            m = row.metrics
            lines.append(
                f"| {row.data} | {row.system} | {row.n} | {_cell(m['nDCG@10'])} | "
                f"{m['nDCG@10'].se:.3f} | {_cell(m['MAP@100'])} | {_cell(m['R@100'])} |"
            )
        lines.append("")
    related = [row for row in report.rows if row.kind == "related"]
    if related:
        lines += ["| data | system | n | measure | value | ± SE |", "|---|---|---:|---|---:|---:|"]
        for row in related:
            for label, score in row.metrics.items():
                cells = [row.data, row.system, str(row.n), label, _cell(score), f"{score.se:.3f}"]
                lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if report.notes:
        lines += ["Notes:", ""] + [f"- {note}" for note in report.notes] + [""]
    return "\n".join(lines)


def to_json(report: Report, *, per_query: bool = True) -> dict[str, Any]:
    """The report as a JSON-ready dict (per-query values included unless told not to)."""

    def metric(score: Score) -> dict[str, Any]:
        out: dict[str, Any] = {"mean": score.mean, "se": score.se}
        if per_query:
            out["per_query"] = score.per_query
        return out

    return {
        "config": report.config,
        "results": [
            {
                "data": row.data,
                "system": row.system,
                "kind": row.kind,
                "n": row.n,
                "metrics": {label: metric(score) for label, score in row.metrics.items()},
            }
            for row in report.rows
        ],
        "notes": report.notes,
    }
