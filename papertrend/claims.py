"""Leases on rows that background workers share: claim, renew, release.

A worker claims a batch by writing its id and a lease expiry into the rows'
``claimed_by`` / ``claimed_until`` columns; a crashed worker's claims expire. Used by
the star refresher (repositories) and the digest sender (the outbox).

Safe with several workers at once: on PostgreSQL the batch is picked with
``SELECT ... FOR UPDATE SKIP LOCKED`` (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE)
and marked in the same transaction; on SQLite, which serializes writers, a
conditional UPDATE takes only rows still free and the worker reads back what it got.
"""

from __future__ import annotations

import os
import signal
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Model, Q, QuerySet


def default_worker_id() -> str:
    """``host:pid:random``, unique enough that two workers never share a claim."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def stop_on_signals(request_stop: Callable[..., object]) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT call ``request_stop`` (a worker finishes its
    current item and releases its claims); the previous handlers come back after."""
    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def unclaimed(now: datetime) -> Q:
    """Rows no live lease holds at ``now``."""
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def claim(
    candidates: QuerySet[Any], worker_id: str, size: int, now: datetime, lease: timedelta
) -> list[int]:
    """Claim up to ``size`` of ``candidates`` (in their order) for ``worker_id``.

    ``candidates`` is a queryset of due rows of a model with ``claimed_by`` and
    ``claimed_until``; rows under a live lease are left out here. Returns the ids
    this worker now holds, in the candidates' order.
    """
    model: type[Model] = candidates.model
    until = now + lease
    free = candidates.filter(unclaimed(now))
    connection = connections[router.db_for_write(model)]
    with transaction.atomic(using=connection.alias):
        if connection.features.has_select_for_update_skip_locked:
            ids = list(
                free.select_for_update(skip_locked=True, of=("self",)).values_list("id", flat=True)[
                    :size
                ]
            )
            model._default_manager.filter(id__in=ids).update(
                claimed_by=worker_id, claimed_until=until
            )
            return ids
        ids = list(free.values_list("id", flat=True)[:size])
        # Another writer may have claimed some since: take only rows still free.
        model._default_manager.filter(unclaimed(now), id__in=ids).update(
            claimed_by=worker_id, claimed_until=until
        )
        held = model._default_manager.filter(id__in=ids, claimed_by=worker_id, claimed_until=until)
        got = set(held.values_list("id", flat=True))
        return [i for i in ids if i in got]


def renew(rows: QuerySet[Any], row_id: int, worker_id: str, until: datetime) -> bool:
    """Extend ``worker_id``'s lease on row ``row_id`` of ``rows``; False when it was lost."""
    return bool(rows.filter(id=row_id, claimed_by=worker_id).update(claimed_until=until))


def release(rows: QuerySet[Any], worker_id: str, ids: Sequence[int] | None = None) -> int:
    """Drop ``worker_id``'s leases on ``rows`` (on ``ids`` only, when given); returns how many."""
    held = rows.filter(claimed_by=worker_id)
    if ids is not None:
        held = held.filter(id__in=ids)
    return held.update(claimed_by="", claimed_until=None)
