"""Changes to papers that other parts (the search index) must hear about.

Deleting through these functions, not ``QuerySet.delete()``, queues the keys for
the full-text index in the same transaction, so the index never keeps a deleted paper.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

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
