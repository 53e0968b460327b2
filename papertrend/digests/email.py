"""Every email papertrend sends is built here, by :func:`build_email`, from three templates.

``digests/email/<name>_subject.txt``, ``<name>.txt`` and ``<name>.html``: a plain-text
part and an HTML alternative whose ``<style>`` is inlined into ``style`` attributes by
``css_inline`` (mail clients drop ``<style>``). The HTML loads nothing: no remote
stylesheets, no images, no tracking pixels. Text from papers is TeX converted to plain
unicode (:func:`papertrend.papers.text.tex_to_text`); the HTML templates autoescape it.

Digest emails carry ``List-Unsubscribe`` (https, plus mailto when
``DIGEST_UNSUBSCRIBE_MAILTO`` is set; RFC 2369) and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (RFC 8058, https://www.rfc-editor.org/rfc/rfc8058).
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Any
from urllib.parse import quote, urlsplit

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, make_msgid
from django.template.loader import render_to_string
from django.urls import reverse

from papertrend.coderepos.models import PaperRepository
from papertrend.digests import tokens
from papertrend.digests.forms import WEEKDAYS
from papertrend.digests.models import Digest, Subscriber
from papertrend.papers.models import Paper
from papertrend.papers.text import tex_to_text

SNIPPET_CHARS = 300

# Remote stylesheets would make building an email fetch URLs; ours are all inline.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


def site_domain() -> str:
    """The host of ``SITE_URL`` (``papers.example.org``), used in Message-IDs."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def absolute(path: str) -> str:
    """``SITE_URL`` + an absolute path (``/digests/...``)."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def build_email(
    template: str, context: dict[str, Any], to: str, *, headers: dict[str, str] | None = None
) -> EmailMultiAlternatives:
    """One email to ``to`` from the templates ``digests/email/<template>{_subject.txt,.txt,.html}``.

    ``context`` gets ``site_url`` added. The subject is folded to one line. The HTML
    part has its CSS inlined. ``Message-ID`` (``make_msgid`` with the site's domain)
    and ``Date`` (RFC 5322, UTC) are set unless ``headers`` gives them, so a retry can
    reuse the Message-ID it recorded. Raises TemplateDoesNotExist for a missing
    template and ``css_inline.InlineError`` for CSS it cannot parse.
    """
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = " ".join(render_to_string(f"digests/email/{template}_subject.txt", context).split())
    text = render_to_string(f"digests/email/{template}.txt", context)
    html = _INLINER.inline(render_to_string(f"digests/email/{template}.html", context))
    all_headers = {"Message-ID": make_msgid(domain=site_domain()), "Date": formatdate(usegmt=True)}
    all_headers.update(headers or {})
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=all_headers,
    )
    message.attach_alternative(html, "text/html")
    return message


def schedule_text(subscriber: Subscriber) -> str:
    """``"daily on weekdays at 08:00 Europe/Paris time"`` or ``"every Monday at 08:00 UTC time"``.

    The hour is local to the subscriber's zone, as the schedule resolves it.
    """
    at = f"at {subscriber.hour:02d}:00 {subscriber.timezone} time"
    if subscriber.frequency == Subscriber.WEEKLY:
        return f"every {WEEKDAYS[subscriber.weekday % 7]} {at}"
    return f"daily on weekdays {at}"


def subscriber_links(subscriber: Subscriber) -> dict[str, str]:
    """Absolute URLs: ``unsubscribe_url``, ``preferences_url``, ``preview_url``."""
    preferences = tokens.preferences_token(subscriber)
    return {
        "unsubscribe_url": absolute(
            reverse("digests:unsubscribe", args=[tokens.unsubscribe_token(subscriber)])
        ),
        "preferences_url": absolute(reverse("digests:preferences", args=[preferences])),
        "preview_url": absolute(reverse("digests:preview") + "?token=" + quote(preferences)),
    }


def unsubscribe_headers(unsubscribe_url: str) -> dict[str, str]:
    """``List-Unsubscribe`` (https, then mailto if configured) and ``List-Unsubscribe-Post``."""
    targets = [f"<{unsubscribe_url}>"]
    mailto = settings.DIGEST_UNSUBSCRIBE_MAILTO
    if mailto:
        targets.append(f"<mailto:{mailto}?subject=unsubscribe>")
    return {
        "List-Unsubscribe": ", ".join(targets),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def confirmation_email(subscriber: Subscriber, message_id: str = "") -> EmailMultiAlternatives:
    """The double opt-in email: a link to ``/digests/confirm/<token>`` valid for 7 days.

    ``message_id``: the one recorded by an earlier attempt (a retry is the same message).
    """
    token = tokens.confirmation_token(subscriber)
    context = {
        "subscriber": subscriber,
        "confirm_url": absolute(reverse("digests:confirm", args=[token])),
        "expires_days": tokens.CONFIRMATION_MAX_AGE.days,
    }
    headers = {"Message-ID": message_id} if message_id else None
    return build_email("confirmation", context, subscriber.email, headers=headers)


def paper_entries(pairs: list[tuple[Paper, str]]) -> list[dict[str, Any]]:
    """Template rows for (paper, reason) pairs, in order: plain-text title and snippet,
    absolute paper URL, code repository URLs (hidden repositories left out)."""
    links: dict[int, list[str]] = {}
    rows = PaperRepository.objects.filter(
        paper__in=[paper for paper, _ in pairs], repository__hidden=False
    ).select_related("repository")
    for link in rows.order_by("id"):
        links.setdefault(link.paper_id, []).append(link.repository.url)
    entries = []
    for paper, reason in pairs:
        abstract = tex_to_text(paper.abstract)
        if len(abstract) > SNIPPET_CHARS:
            abstract = abstract[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
        names = [tex_to_text(name) for name in paper.author_names()]
        entries.append(
            {
                "title": tex_to_text(paper.title),
                "snippet": abstract,
                "authors": ", ".join(names[:5]) + (" et al." if len(names) > 5 else ""),
                "url": absolute(paper.get_absolute_url()),
                "code": links.get(paper.pk, []),
                "reason": reason,
            }
        )
    return entries


def digest_papers(digest: Digest) -> list[tuple[Paper, str]]:
    """``digest.items`` as (paper, reason) in order; deleted or hidden papers are left out."""
    ids = [item["paper"] for item in digest.items]
    papers = Paper.objects.filter(pk__in=ids, hidden=False).in_bulk()
    return [
        (papers[item["paper"]], str(item.get("reason", "")))
        for item in digest.items
        if item["paper"] in papers
    ]


def digest_context(subscriber: Subscriber, pairs: list[tuple[Paper, str]]) -> dict[str, Any]:
    """What the digest templates need: entries, links, and why the subscriber gets it."""
    return {
        "subscriber": subscriber,
        "entries": paper_entries(pairs),
        "schedule": schedule_text(subscriber),
        **subscriber_links(subscriber),
    }


def digest_email(digest: Digest) -> EmailMultiAlternatives:
    """The email for an outbox row: its papers in order, each with its reason line.

    Reuses ``digest.message_id`` when set (a retry sends the same message). Raises
    KeyError if an item lacks ``"paper"``.
    """
    subscriber = digest.subscriber
    context = digest_context(subscriber, digest_papers(digest))
    headers = unsubscribe_headers(context["unsubscribe_url"])
    if digest.message_id:
        headers["Message-ID"] = digest.message_id
    return build_email("digest", context, subscriber.email, headers=headers)
