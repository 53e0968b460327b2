"""Changes to papers that other parts (the search index) must hear about.

Deleting through these functions, not ``QuerySet.delete()``, queues the keys for
the full-text index in the same transaction, so the index never keeps a deleted paper.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet

from papertrend.papers import identifiers
from papertrend.papers.models import Paper
from papertrend.search.models import enqueue


def delete_papers(papers: QuerySet[Paper]) -> int:
    """Delete the given papers (with versions, sources, links) and queue their keys.

    Returns the number of papers deleted.
    """
    with transaction.atomic():
        keys = list(papers.values_list("key", flat=True))
        enqueue(keys)
        Paper.objects.filter(key__in=keys).delete()
    return len(keys)


def set_hidden(papers: QuerySet[Paper], *, hidden: bool) -> int:
    """Hide papers from the site (or show them again); returns how many.

    Hiding also drops their trending scores, so a trending page never counts a
    hidden paper; showing them again waits for the next ``trending compute``.
    The keys are queued for the search index, which leaves hidden papers out.
    """
    with transaction.atomic():
        keys = list(papers.values_list("key", flat=True))
        Paper.objects.filter(key__in=keys).update(hidden=hidden)
        if hidden:
            forget_trending_scores(keys)
        enqueue(keys)
    return len(keys)


def forget_trending_scores(keys: list[str]) -> None:
    """Drop the trending scores of these papers (hidden ones must not be ranked or counted)."""
    from papertrend.trending.models import TrendingScore

    TrendingScore.objects.filter(paper__key__in=keys).delete()


def find_paper(papers: QuerySet[Paper], raw: str) -> Paper | None:
    """The paper of ``papers`` that ``raw`` names, or None.

    ``raw`` is a paper key (``0704.0002``, ``hep-th/9901001``, ``t:<hash>``) or any
    form :func:`identifiers.parse` accepts (``0704.0002v2``, ``arXiv:…``, arxiv.org
    URLs, ``math.GT/0309136``). Callers pass the queryset they serve from
    (visible papers, with their annotations and prefetches).
    """
    paper = papers.filter(key=raw).first()
    if paper is not None:
        return paper
    try:
        base = identifiers.normalize(raw)
    except identifiers.InvalidArxivId:
        return None
    return papers.filter(Q(key=base) | Q(arxiv_id=base)).first()
