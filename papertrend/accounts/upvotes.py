"""Upvotes: casting and undoing them, and counting them for a page of papers.

A list page must not ask one query per card, so counts and the "upvoted by me"
state come either from :func:`annotate_upvotes` (a queryset: correlated
subqueries, no GROUP BY over the paper's columns) or from :func:`attach_upvotes`
(a list already fetched: two queries for the whole list).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from papertrend.accounts.models import Upvote
from papertrend.papers.models import Paper

AnyUser = AbstractBaseUser | AnonymousUser


def _user_id(user: AnyUser | None) -> int | None:
    """The signed-in user's id, or None for nobody or an anonymous visitor."""
    if user is None or not user.is_authenticated or user.pk is None:
        return None
    return int(user.pk)


def upvote_count_expression() -> Coalesce:
    """An expression for a paper queryset: its number of upvotes (0 when none)."""
    counts = (
        Upvote.objects.filter(paper=OuterRef("pk"))
        .order_by()
        .values("paper")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def annotate_upvotes(papers: QuerySet[Paper], user: AnyUser | None) -> QuerySet[Paper]:
    """``papers`` with ``upvote_count`` (int) and ``upvoted`` (bool: ``user`` upvoted it).

    ``upvoted`` is always False for an anonymous user (or None), without a subquery.
    """
    papers = papers.annotate(upvote_count=upvote_count_expression())
    user_id = _user_id(user)
    if user_id is not None:
        mine = Upvote.objects.filter(paper=OuterRef("pk"), user_id=user_id)
        return papers.annotate(upvoted=Exists(mine))
    return papers.annotate(upvoted=Value(False))


def attach_upvotes(papers: Sequence[Paper], user: AnyUser | None) -> None:
    """Set ``upvote_count`` and ``upvoted`` on each paper of a fetched list (≤ 2 queries)."""
    if not papers:
        return
    ids = [paper.pk for paper in papers]
    counts = dict(
        Upvote.objects.filter(paper_id__in=ids)
        .order_by()
        .values("paper_id")
        .annotate(n=Count("pk"))
        .values_list("paper_id", "n")
    )
    mine: set[int] = set()
    user_id = _user_id(user)
    if user_id is not None:
        mine = set(
            Upvote.objects.filter(paper_id__in=ids, user_id=user_id).values_list(
                "paper_id", flat=True
            )
        )
    for paper in papers:
        paper.upvote_count = counts.get(paper.pk, 0)  # type: ignore[attr-defined]
        paper.upvoted = paper.pk in mine  # type: ignore[attr-defined]


def upvote(user: User, paper: Paper) -> bool:
    """Record ``user``'s upvote of ``paper``; True if new, False if it was already there.

    Two simultaneous requests may both miss the row; the unique constraint lets
    one insert win and the other reports "already there", so nothing counts twice.
    """
    try:
        with transaction.atomic():
            _, created = Upvote.objects.get_or_create(user=user, paper=paper)
    except IntegrityError:
        return False
    return created


def unvote(user: User, paper: Paper) -> bool:
    """Remove ``user``'s upvote of ``paper``; True if there was one."""
    deleted, _ = Upvote.objects.filter(user=user, paper=paper).delete()
    return deleted > 0
