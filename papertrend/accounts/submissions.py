"""Submitting a paper: bring an arXiv paper into today's feed, fetching it if new.

A submission of a paper papertrend already has is reported as a duplicate; if
nobody had submitted it yet, the submission is still recorded (so the paper shows
in today's feed when it had no feed day). A new paper is fetched from the arXiv
API (https://info.arxiv.org/help/api/user-manual.html), ingested, recorded and
indexed; when arXiv cannot be reached or does not know the id, nothing is stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from papertrend.accounts.models import Submission
from papertrend.papers import identifiers
from papertrend.papers.arxiv_client import ArxivClient, ArxivError
from papertrend.papers.harvest import harvest_api
from papertrend.papers.models import Paper
from papertrend.search import indexing
from papertrend.search.backend import SearchIndexError

logger = logging.getLogger(__name__)

# A person is waiting for the page: retry once, briefly, instead of the harvester's patience.
WEB_MAX_RETRIES = 1
WEB_MAX_WAIT_S = 5.0
WEB_TIMEOUT_S = 20.0


class SubmissionError(Exception):
    """The submission was refused; the message is meant for the person submitting."""


@dataclass(frozen=True)
class SubmissionResult:
    """What a submission did.

    ``paper``: the paper (stored); ``duplicate``: it was already on papertrend;
    ``recorded``: this submission was recorded (False when someone submitted it before).
    """

    paper: Paper
    duplicate: bool
    recorded: bool


def submit_paper(user: User, raw: str, *, today: date | None = None) -> SubmissionResult:
    """Submit the paper ``raw`` names (an arXiv id, versioned id or arxiv.org URL).

    ``today`` (default: the current UTC day) becomes the feed day of a paper fetched
    now. A paper already on the site keeps its day (it is reported as a duplicate;
    the first submitter is still credited): resubmitting must not make an old paper
    "new today" at the top of the trending page.

    Raises:
        SubmissionError: ``raw`` is not an arXiv identifier, the paper is hidden by
            a moderator, arXiv could not be reached or answered an error, or arXiv
            has no such paper. Nothing is stored in these cases.
    """
    try:
        arxiv_id = identifiers.parse(raw).base
    except identifiers.InvalidArxivId as exc:
        raise SubmissionError(
            "That is not an arXiv identifier or arxiv.org link (try 2101.00001)."
        ) from exc
    day = today or timezone.localdate()
    paper = _stored(arxiv_id)
    if paper is not None:
        return SubmissionResult(paper, duplicate=True, recorded=_record(user, paper, day))
    paper = _fetch(arxiv_id)
    recorded = _record(user, paper, day, enter_feed=True)
    _sync_index()
    return SubmissionResult(paper, duplicate=False, recorded=recorded)


def _stored(arxiv_id: str) -> Paper | None:
    paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if paper is not None and paper.hidden:
        raise SubmissionError(f"arXiv:{arxiv_id} cannot be submitted to this site.")
    return paper


def _fetch(arxiv_id: str) -> Paper:
    """Ingest the paper from the arXiv API and return it."""
    client = ArxivClient.from_settings(
        max_retries=min(settings.ARXIV_MAX_RETRIES, WEB_MAX_RETRIES),
        max_wait_s=WEB_MAX_WAIT_S,
        timeout_s=min(settings.ARXIV_TIMEOUT, WEB_TIMEOUT_S),
    )
    try:
        with client:
            harvest_api(client, id_list=[arxiv_id])
    except ArxivError as exc:
        logger.warning("submission of %s: %s", arxiv_id, exc)
        if exc.status is not None and 400 <= exc.status < 500:
            raise SubmissionError(f"arXiv does not know arXiv:{arxiv_id}.") from exc
        raise SubmissionError(
            "arXiv could not be reached just now, so the paper was not added. "
            "Please try again later."
        ) from exc
    paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if paper is None:
        raise SubmissionError(f"arXiv has no paper arXiv:{arxiv_id}.")
    return paper


def _record(user: User, paper: Paper, day: date, *, enter_feed: bool = False) -> bool:
    """Record the first submission of ``paper``; True if this call recorded it."""
    try:
        with transaction.atomic():
            _, created = Submission.objects.get_or_create(paper=paper, defaults={"user": user})
            # A paper fetched by its submission appears in that day's feed.
            if created and enter_feed:
                Paper.objects.filter(pk=paper.pk).update(feed_day=day)
                paper.feed_day = day
    except IntegrityError:
        # Someone else's submission of the same paper committed first.
        return False
    return created


def _sync_index() -> None:
    """Index the new paper now; a busy or broken index catches up on its next sync."""
    try:
        indexing.sync()
    except SearchIndexError as exc:
        logger.warning("search index not synced after a submission: %s", exc)
