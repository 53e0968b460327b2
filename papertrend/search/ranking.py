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
from difflib import SequenceMatcher
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


# Below this cosine similarity a paper found by meaning alone is not shown: the
# nearest neighbours of any text (a typo, a name not in the collection) are
# always some papers. Per model, as cosines differ in scale between models;
# calibrated on CISI, Cranfield and CACM with bench/similarity_floor.py
# (docs/search-quality.md, "Similarity floor"): the highest floor that costs
# dense-alone nDCG@10 at most 0.007 and hybrid nothing, while 20 queries that
# should find nothing show papers in 7 (minilm) and 9 (static) of 60 cases, not 60.
MIN_SIMILARITY: Mapping[str, float] = {"minilm": 0.35, "minilm-static": 0.45}
# A query this close to a paper's title (difflib ratio over folded words) is that title.
TITLE_MATCH_RATIO = 0.9


def min_similarity(model_name: str) -> float:
    """The similarity floor for ``model_name`` (``settings.EMBEDDING_MODEL``'s values):
    ``settings.SEARCH_MIN_SIMILARITY`` when set, else ``MIN_SIMILARITY`` (0 for an
    unknown model)."""
    from django.conf import settings

    override = getattr(settings, "SEARCH_MIN_SIMILARITY", None)
    if override is not None:
        return float(override)
    return MIN_SIMILARITY.get(model_name, 0.0)


def fuse_with_floor(
    keyword: Sequence[K], dense: Sequence[tuple[K, float]], floor: float
) -> list[Fused[K]]:
    """``hybrid_fuse`` of a keyword run and a dense run of (key, cosine similarity),
    best first, without the papers only the dense run found at a similarity below
    ``floor``. Keyword matches keep their dense rank however low their similarity:
    the dense run re-ranks them, it only needs the floor to add papers."""
    similarity = dict(dense)
    fused = hybrid_fuse(keyword, [key for key, _ in dense])
    return [e for e in fused if "keyword" in e.ranks or similarity.get(e.key, -1.0) >= floor]


def title_words(text: str) -> list[str]:
    """``text``'s words as titles are compared: TeX converted, lowercased, ASCII-folded."""
    from papertrend.search.backend import plain_text
    from papertrend.search.querytext import fold

    return [word for _, _, word in fold(plain_text(text))]


def title_match(query: str, title: str) -> int:
    """How closely ``query`` is ``title``: 2 when it has the same words lowercased and
    ASCII-folded, TeX converted (hyphens and punctuation ignored, "pre-training" =
    "pretraining"); 1 for a difflib ratio of at least ``TITLE_MATCH_RATIO`` (a typo, a
    missing or extra short word); 0 otherwise."""
    asked, wanted = title_words(query), title_words(title)
    if not asked or not wanted:
        return 0
    if asked == wanted or "".join(asked) == "".join(wanted):
        return 2
    matcher = SequenceMatcher(None, " ".join(asked), " ".join(wanted), autojunk=False)
    # real_quick_ratio bounds ratio from above: most titles are ruled out by length.
    close = matcher.real_quick_ratio() >= TITLE_MATCH_RATIO and matcher.ratio() >= TITLE_MATCH_RATIO
    return 1 if close else 0


def is_title_match(query: str, title: str) -> bool:
    """Whether ``query`` is (almost) exactly ``title`` (``title_match`` above 0)."""
    return title_match(query, title) > 0


def promote_title_matches(
    query: str, fused: Sequence[Fused[K]], titles: Mapping[K, str]
) -> list[Fused[K]]:
    """``fused`` with the keyword matches whose title the query (almost) exactly is
    moved to the front: a user who types a title wants that paper first, whatever
    the embedding side thinks. Exact titles come before near ones ("Book Selection
    and Censorship" before "Book Selection of Censorship"), each group in fused order."""
    if len(query) > 1000:  # no title is this long
        return list(fused)
    levels = {
        id(e): title_match(query, titles.get(e.key, "")) for e in fused if "keyword" in e.ranks
    }
    first = sorted((e for e in fused if levels.get(id(e))), key=lambda e: -levels[id(e)])
    if not first:
        return list(fused)
    chosen = {id(e) for e in first}
    return first + [e for e in fused if id(e) not in chosen]
