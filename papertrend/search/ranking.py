"""Rank fusion: combining the keyword and the dense result lists.

Reciprocal rank fusion (Cormack, Clarke and Büttcher, "Reciprocal Rank Fusion
outperforms Condorcet and individual Rank Learning Methods", SIGIR 2009,
https://doi.org/10.1145/1571941.1572114): a document's score is
``sum over runs of weight / (k + rank)``, ranks 1-based, with k = 60 as in the
paper. Only ranks matter, so BM25 scores and cosine similarities need no
calibration against each other.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

RRF_K = 60

K = TypeVar("K", bound=Hashable)


@dataclass
class Fused(Generic[K]):
    """One fused result: its ``key``, RRF ``score`` and 1-based ``ranks`` in each run
    that returned it (run name -> rank)."""

    key: K
    score: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)


def reciprocal_rank_fusion(
    runs: Mapping[str, Sequence[K]],
    *,
    k: int = RRF_K,
    weights: Mapping[str, float] | None = None,
) -> list[Fused[K]]:
    """Fuse ranked lists of keys (best first) into one list, best first.

    ``runs`` maps a run name ("keyword", "dense") to its keys; a key repeated
    within a run counts once, at its first rank, and takes no rank of its own
    (``["a", "a", "b"]`` ranks b second). ``weights`` (default 1.0 per run)
    scale each run's contribution. Ties keep the order in which keys were first
    seen, runs in the mapping's order, so the result is deterministic.
    """
    fused: dict[K, Fused[K]] = {}
    for name, keys in runs.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        seen: set[K] = set()
        for key in keys:
            if key in seen:
                continue
            seen.add(key)
            rank = len(seen)  # among distinct keys: a repeat takes no rank
            entry = fused.get(key)
            if entry is None:
                entry = fused[key] = Fused(key)
            entry.score += weight / (k + rank)
            entry.ranks[name] = rank
    return sorted(fused.values(), key=lambda entry: -entry.score)


def hybrid_fuse(keyword: Sequence[K], dense: Sequence[K]) -> list[Fused[K]]:
    """Fuse a keyword (BM25) run and a dense run the way the site does.

    RRF with ``settings.SEARCH_RRF_K`` and the run weights
    ``settings.SEARCH_KEYWORD_WEIGHT`` / ``settings.SEARCH_DENSE_WEIGHT``; the
    evaluation (``papertrend eval``) calls this same function. Run names in
    ``Fused.ranks`` are ``"keyword"`` and ``"dense"``.
    """
    from django.conf import settings

    return reciprocal_rank_fusion(
        {"keyword": keyword, "dense": dense},
        k=settings.SEARCH_RRF_K,
        weights={"keyword": settings.SEARCH_KEYWORD_WEIGHT, "dense": settings.SEARCH_DENSE_WEIGHT},
    )
