"""Run the site's retrieval systems on test collections and score them.

Every system goes through the code the site runs:

* ``bm25``: a real tantivy index (``search.backend.SearchIndex``) in a temporary
  folder, documents shaped like ``Paper.as_search_document()``, queried with
  ``SearchIndex.search``.
* ``dense``: ``embedders.get_embedder(model).embed`` on ``document_text(title,
  abstract)`` and on the query, nearest neighbours from ``vectors.build_index``
  (exact below ``settings.VECTOR_EXACT_MAX`` vectors, as on the site; HNSW with
  the site's ``hnsw_params()`` when ``ann`` is set).
* ``hybrid``: ``ranking.fuse_with_floor`` of the two top-``SEARCH_CANDIDATES``
  lists, the site's candidate pools (RRF with ``SEARCH_RRF_K`` and the run weights
  from the settings; papers found by meaning alone only above the model's
  similarity floor), then ``ranking.promote_title_matches``, as the site's hybrid
  mode does; the top ``DEPTH`` are scored.

Queries are prepared exactly as the search page prepares them (NUL removed,
stripped, cut at ``service.MAX_QUERY_CHARS``): the keyword side reads the same
query language (quotes are preferred phrases, capitalised ``AND``/``OR``/``NOT``
operators), the dense side embeds ``querytext.meaning_text`` of it (nothing when
that is empty, as on the site), and the dense system alone keeps only neighbours
above the similarity floor, as semantic mode does.
``tests/search/test_site_queries.py`` checks that the hybrid order equals the
search page's for the same papers.

With ``titles``, each document's own title is also a query (documents whose title
is unique in the collection): the share ranked first shows whether an exact title
puts its paper on top.

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
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import ir_measures
import numpy as np
from django.conf import settings
from ir_measures import AP, R, nDCG
from tqdm import tqdm

from papertrend.search.backend import SearchIndex
from papertrend.search.embedders import Embedder, document_text
from papertrend.search.evaluation.report import ResultRow, Score
from papertrend.search.evaluation.smart import EvalCollection, Query
from papertrend.search.evaluation.triplets import CouplingSet, Triplet
from papertrend.search.querytext import meaning_text, parse_query
from papertrend.search.ranking import (
    fuse_with_floor,
    min_similarity,
    promote_title_matches,
    title_words,
)
from papertrend.search.vectors import VectorIndex, build_index

DEPTH = 100  # results taken from each system, candidates fused, and evaluation depth
SYSTEMS = ("bm25", "dense", "hybrid")
MEASURES: dict[str, Any] = {"nDCG@10": nDCG @ 10, "MAP@100": AP @ 100, "R@100": R @ 100}
EMBED_CHUNK = 256  # texts per progress-bar step

Ranking = dict[str, list[str]]  # query id -> document ids, best first
DenseRanking = dict[str, list[tuple[str, float]]]  # ... with cosine similarities


def site_query(text: str) -> str:
    """The query the search page would search for ``text`` (see the module docstring)."""
    from papertrend.search.service import MAX_QUERY_CHARS

    return text.replace("\x00", "").strip()[:MAX_QUERY_CHARS]


def dense_query(text: str) -> str:
    """The text ``dense.dense_search`` would embed for the query ``text``."""
    from papertrend.search.dense import MAX_QUERY_CHARS

    return meaning_text(site_query(text)).strip()[:MAX_QUERY_CHARS]


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


def pool_size() -> int:
    """Candidates taken from each system, as the site's hybrid mode takes them."""
    return max(DEPTH, settings.SEARCH_CANDIDATES)


def keyword_index(collection: EvalCollection, index_dir: Path) -> SearchIndex:
    """A tantivy index of the collection's documents, built in ``index_dir``."""
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
    return index


def bm25_rankings(collection: EvalCollection, qids: Iterable[str], index: SearchIndex) -> Ranking:
    """Top-``pool_size()`` keyword results per query from ``keyword_index``'s index."""
    rankings = {}
    for qid in qids:
        hits, _ = index.search(site_query(collection.queries[qid].text), limit=pool_size())
        rankings[qid] = [hit.key for hit in hits]
    return rankings


def dense_rankings(
    collection: EvalCollection,
    qids: Sequence[str],
    embedder: Embedder,
    *,
    ann: bool,
    cache_dir: Path | None = None,
) -> DenseRanking:
    """Top-``pool_size()`` nearest documents per query, with their cosine similarity;
    none for a query with nothing to search by meaning (as on the site)."""
    docs = [doc for doc in collection.documents.values() if not doc.is_empty]
    doc_vectors = embed(
        embedder,
        [document_text(doc.title, doc.abstract) for doc in docs],
        desc=f"{collection.name}: documents",
        cache_dir=cache_dir,
    )
    texts = {qid: dense_query(collection.queries[qid].text) for qid in qids}
    asked = [qid for qid in qids if texts[qid]]
    query_vectors = embed(
        embedder,
        [texts[qid] for qid in asked],
        desc=f"{collection.name}: queries",
        cache_dir=cache_dir,
    )
    index = vector_index(doc_vectors, ann=ann)
    found = {
        qid: [(docs[hit.label].id, hit.score) for hit in index.search(vector, pool_size())]
        for qid, vector in zip(asked, query_vectors, strict=True)
    }
    return {qid: found.get(qid, []) for qid in qids}


def satisfying_rankings(
    collection: EvalCollection, dense: DenseRanking, index: SearchIndex
) -> DenseRanking:
    """``dense`` without the neighbours that fail their query's ``field:`` parts or
    ``NOT`` words (``SearchIndex.satisfying``), as the site removes them."""
    checked = {}
    for qid, hits in dense.items():
        query = site_query(collection.queries[qid].text)
        if hits and parse_query(query).constrained:
            allowed = index.satisfying(query, [key for key, _ in hits])
            hits = [(key, similarity) for key, similarity in hits if key in allowed]
        checked[qid] = hits
    return checked


def semantic_rankings(dense: DenseRanking, floor: float) -> Ranking:
    """The dense system as semantic mode shows it: neighbours at or above ``floor``."""
    return {
        qid: [e.key for e in fuse_with_floor([], hits[:DEPTH], floor)]
        for qid, hits in dense.items()
    }


def hybrid_rankings(
    collection: EvalCollection, keyword: Ranking, dense: DenseRanking, floor: float
) -> Ranking:
    """Per query, the site's hybrid order (``ranking.fuse_with_floor`` of the two
    lists, then ``ranking.promote_title_matches``), top ``DEPTH``."""
    titles = {doc.id: doc.title for doc in collection.documents.values()}
    rankings = {}
    for qid in keyword:
        fused = fuse_with_floor(keyword[qid], dense[qid], floor)
        query = meaning_text(site_query(collection.queries[qid].text))
        rankings[qid] = [e.key for e in promote_title_matches(query, fused, titles)][:DEPTH]
    return rankings


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


def system_rankings(
    collection: EvalCollection,
    qids: Sequence[str],
    systems: Sequence[str],
    embedder: Embedder | None,
    *,
    ann: bool = False,
    cache_dir: Path | None = None,
    floor: float | None = None,
) -> dict[str, Ranking]:
    """Each of ``systems`` (a subset of ``SYSTEMS``) run on the queries ``qids``.

    ``embedder`` is needed for "dense" and "hybrid"; ``floor`` is the similarity
    floor (default: the site's, ``ranking.min_similarity`` of the model).

    Raises:
        ValueError: "dense" or "hybrid" without an embedder.
    """
    runs: dict[str, Ranking] = {}
    with tempfile.TemporaryDirectory(prefix="papertrend-eval-") as folder:
        # The dense side needs the keyword index too, for queries with NOT or field: parts.
        index = keyword_index(collection, Path(folder) / "index")
        if {"bm25", "hybrid"} & set(systems):
            runs["bm25"] = bm25_rankings(collection, qids, index)
        if {"dense", "hybrid"} & set(systems):
            if embedder is None:
                raise ValueError("dense and hybrid need an embedder")
            floor = min_similarity(embedder.name) if floor is None else floor
            neighbours = dense_rankings(collection, qids, embedder, ann=ann, cache_dir=cache_dir)
            neighbours = satisfying_rankings(collection, neighbours, index)
            runs["dense"] = semantic_rankings(neighbours, floor)
            if "hybrid" in systems:
                runs["hybrid"] = hybrid_rankings(collection, runs["bm25"], neighbours, floor)
    return {system: {q: ranked[:DEPTH] for q, ranked in runs[system].items()} for system in systems}


def evaluate_collection(
    collection: EvalCollection,
    systems: Sequence[str],
    embedder: Embedder | None,
    *,
    ann: bool = False,
    cache_dir: Path | None = None,
    floor: float | None = None,
) -> tuple[list[ResultRow], list[str]]:
    """Rows for ``systems`` (a subset of ``SYSTEMS``) on a SMART collection, and notes.

    ``embedder`` is needed for "dense" and "hybrid"; ``floor`` is the similarity
    floor (default: the site's, ``ranking.min_similarity`` of the model).
    """
    qids = collection.judged_queries()
    notes = list(collection.notes)
    unjudged = len(collection.queries) - len(qids)
    notes.append(
        f"{collection.name}: {len(qids)} of {len(collection.queries)} queries have judgments"
        + (f"; {unjudged} without judgments are excluded" if unjudged else "")
    )
    started = time.monotonic()
    runs = system_rankings(
        collection, qids, systems, embedder, ann=ann, cache_dir=cache_dir, floor=floor
    )
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


def title_collection(collection: EvalCollection) -> EvalCollection:
    """Each document whose title is unique in ``collection`` (compared as
    ``ranking.title_words``) as a query for itself: query id = document id, text =
    the title as stored, the document its only relevant answer."""
    words = {doc.id: " ".join(title_words(doc.title)) for doc in collection.documents.values()}
    counts = Counter(words.values())
    docs = [
        doc for doc in collection.documents.values() if words[doc.id] and counts[words[doc.id]] == 1
    ]
    return EvalCollection(
        name=f"{collection.name} titles",
        documents=collection.documents,
        queries={doc.id: Query(doc.id, doc.title) for doc in docs},
        qrels={doc.id: {doc.id: 1} for doc in docs},
    )


def evaluate_titles(
    collection: EvalCollection,
    systems: Sequence[str],
    embedder: Embedder | None,
    *,
    ann: bool = False,
    cache_dir: Path | None = None,
    floor: float | None = None,
) -> tuple[list[ResultRow], list[str]]:
    """Exact-title queries (``title_collection``): per system, the share of titles
    whose paper ranks first ("first") and the mean reciprocal rank within the top
    ``DEPTH`` ("MRR@100"); rows of kind "titles", and a note."""
    titled = title_collection(collection)
    qids = list(titled.queries)
    started = time.monotonic()
    runs = system_rankings(
        titled, qids, systems, embedder, ann=ann, cache_dir=cache_dir, floor=floor
    )
    rows = []
    for system in (s for s in SYSTEMS if s in systems):
        ranks = {
            qid: runs[system][qid].index(qid) if qid in runs[system][qid] else None for qid in qids
        }
        first = {qid: 1.0 if rank == 0 else 0.0 for qid, rank in ranks.items()}
        rr = {qid: 0.0 if rank is None else 1 / (rank + 1) for qid, rank in ranks.items()}
        metrics = {"first": Score.of(first), "MRR@100": Score.of(rr)}
        rows.append(ResultRow(titled.name, system, len(qids), metrics, "titles"))
    note = (
        f"{titled.name}: {len(qids)} of {len(collection.documents)} documents have a unique "
        f"title, each asked as a query; ran in {time.monotonic() - started:.1f} s"
    )
    return rows, [note]


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
