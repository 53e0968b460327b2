"""Related papers for a paper page and the API.

Nearest neighbours in embedding space (``dense.related_papers``), the paper
itself excluded (its versions share its row, so they are excluded with it).
A paper without a vector yet (just ingested, before the next
``papertrend index build``) gets BM25 neighbours of its title instead, so the
section is never empty for a reason the reader can't see.
"""

from __future__ import annotations

from dataclasses import dataclass

from papertrend.papers.models import Paper
from papertrend.search import backend, dense
from papertrend.search.embedders import document_text

DEFAULT_COUNT = 5


@dataclass(frozen=True)
class Related:
    """A related ``paper``, its cosine ``similarity`` (None for keyword
    neighbours) and ``how`` it was found: ``"embedding"`` or ``"keywords"``."""

    paper: Paper
    similarity: float | None
    how: str


def related_papers(paper: Paper, *, k: int = DEFAULT_COUNT) -> list[Related]:
    """Up to ``k`` visible papers most like ``paper``, best first."""
    hits = dense.related_papers(paper, k=k)
    if hits:
        found = {
            p.key: p for p in Paper.objects.filter(key__in=[h.key for h in hits], hidden=False)
        }
        return [Related(found[h.key], h.similarity, "embedding") for h in hits if h.key in found]
    text = document_text(paper.title, "")
    try:
        keyword_hits, _ = backend.search(text, limit=k, exclude_keys=[paper.key])
    except backend.SearchIndexError:
        return []
    found = {
        p.key: p for p in Paper.objects.filter(key__in=[h.key for h in keyword_hits], hidden=False)
    }
    return [Related(found[h.key], None, "keywords") for h in keyword_hits if h.key in found]
