"""Subscribe, confirm, unsubscribe, preferences and preview pages for email digests.

Mail scanners and link previewers follow every link in an email, so no GET here
changes anything: the confirm and unsubscribe links show a page with a button that
POSTs. The signed token in the URL is the credential for everything but subscribing
(see :mod:`papertrend.digests.tokens`); token pages send ``Referrer-Policy:
no-referrer`` so the token never leaks to the sites their links lead to.

Subscribing reveals nothing: a new address, an unconfirmed one, a confirmed one and
an unsubscribed one all get the same redirect to the same page, after the same work:
the view never talks to the mail server (which would make answers for new addresses
measurably slower), it writes one confirmation row to the outbox, which the
``papertrend digests send`` worker delivers with the digests' claims and retries. The
row is pending for a new or not-yet-active address (at most once per
``RESEND_AFTER``) and skipped for a confirmed, active one, because a note on every
form submission would let anyone mail it repeatedly. Only the confirmation is ever
sent to an unconfirmed address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from papertrend.accounts import ratelimits
from papertrend.digests import schedule, tokens
from papertrend.digests.email import digest_context
from papertrend.digests.forms import PreferencesForm, SubscribeForm, timezone_names
from papertrend.digests.models import Digest, Subscriber

SUBSCRIBE_GROUP = "papertrend.digests.subscribe"
DEFAULT_SUBSCRIBE_RATE = "5/h"
# A second confirmation for the same address within this time is not sent.
RESEND_AFTER = timedelta(minutes=10)


def subscribe_rate() -> str:
    """Subscribe form submissions allowed per client IP, e.g. ``"5/h"``."""
    return str(getattr(settings, "SUBSCRIBE_RATE", DEFAULT_SUBSCRIBE_RATE))


def _token_page(
    request: HttpRequest, template: str, context: dict[str, object], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _bad_link(request: HttpRequest, error: tokens.InvalidToken) -> HttpResponse:
    expired = isinstance(error, tokens.ExpiredToken)
    return _token_page(
        request, "digests/bad_link.html", {"expired": expired}, status=410 if expired else 400
    )


def request_subscription(email: str, user_id: int | None, now: datetime) -> bool:
    """Record a subscription request for ``email``; True if a confirmation was queued.

    A new address is created unconfirmed (attached to ``user_id`` when given). An
    address not yet active (unconfirmed, unsubscribed or disabled) gets a new
    confirmation unless one was queued within ``RESEND_AFTER``; an active address is
    left alone. Never changes an existing subscription's account. Whatever the case,
    the same statements run (insert-if-absent, lock, update, one outbox row), so the
    time an answer takes does not tell whether the address was known.
    """
    with transaction.atomic():
        Subscriber.objects.bulk_create(
            [Subscriber(email=email, user_id=user_id)], ignore_conflicts=True
        )
        subscriber = Subscriber.objects.select_for_update().get(email=email)
        sent = subscriber.confirmation_sent_at
        send = not subscriber.is_active and (sent is None or now - sent >= RESEND_AFTER)
        if send:
            subscriber.confirmation_sent_at = now
        subscriber.save(update_fields=["confirmation_sent_at"])
        Digest.objects.create(
            subscriber=subscriber,
            kind=Digest.CONFIRMATION,
            period=f"confirm:{now.isoformat(timespec='microseconds')}"[:40],
            due_at=now,
            status=Digest.PENDING if send else Digest.SKIPPED,
        )
    return send


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """``/digests/subscribe``: the form (GET); POST queues a confirmation email and redirects."""
    user = request.user if request.user.is_authenticated else None
    if request.method != "POST":
        form = SubscribeForm(initial={"email": user.email if user else ""})
        return render(request, "digests/subscribe.html", {"form": form})
    if ratelimits.over_limit(request, SUBSCRIBE_GROUP, subscribe_rate(), key="ip"):
        return ratelimits.too_many_requests(request, "subscription requests")
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "digests/subscribe.html", {"form": form}, status=400)
    request_subscription(form.cleaned_data["email"], user.pk if user else None, timezone.now())
    return redirect("digests:subscribe_sent")


def subscribe_sent(request: HttpRequest) -> HttpResponse:
    """``/digests/subscribe/sent``: the same page whatever the address's state."""
    return render(request, "digests/subscribe_sent.html")


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """``/digests/confirm/<token>``: GET shows a button; POST confirms (and re-activates)."""
    try:
        subscriber = tokens.read_confirmation_token(token)
    except tokens.InvalidToken as error:
        return _bad_link(request, error)
    if request.method == "POST":
        now = timezone.now()
        subscriber.confirmed_at = subscriber.confirmed_at if subscriber.is_active else now
        subscriber.unsubscribed_at = None
        subscriber.disabled_at = None
        subscriber.hard_bounces = 0
        if subscriber.next_digest_at is None or subscriber.next_digest_at < now:
            subscriber.next_digest_at = schedule.next_due(subscriber, now)
        subscriber.save()
        return _token_page(
            request,
            "digests/confirmed.html",
            {"subscriber": subscriber, "preferences_token": tokens.preferences_token(subscriber)},
        )
    return _token_page(request, "digests/confirm.html", {"subscriber": subscriber})


# RFC 8058 one-click unsubscribe: the mail provider POSTs "List-Unsubscribe=One-Click"
# to the List-Unsubscribe URL with no cookies, no session and no CSRF token, so this
# view must be exempt from CSRF. That is safe because the signed token in the URL is
# the credential (a forged cross-site POST would need the token), and because the
# only thing a POST can do here is unsubscribe that one address. GET never changes
# anything: it shows a page whose button POSTs here.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """``/digests/unsubscribe/<token>``: GET shows a button; any POST unsubscribes."""
    try:
        subscriber = tokens.read_unsubscribe_token(token)
    except tokens.InvalidToken as error:
        return _bad_link(request, error)
    if request.method == "POST":
        if subscriber.unsubscribed_at is None:
            subscriber.unsubscribed_at = timezone.now()
            subscriber.save(update_fields=["unsubscribed_at"])
        return _token_page(request, "digests/unsubscribed.html", {"subscriber": subscriber})
    return _token_page(request, "digests/unsubscribe.html", {"subscriber": subscriber})


@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """``/digests/preferences/<token>``: the preferences form; POST saves and reschedules."""
    try:
        subscriber = tokens.read_preferences_token(token)
    except tokens.InvalidToken as error:
        return _bad_link(request, error)
    saved = False
    if request.method == "POST":
        form = PreferencesForm(request.POST, instance=subscriber)
        if form.is_valid():
            subscriber = form.save(commit=False)
            if subscriber.is_active:
                subscriber.next_digest_at = schedule.next_due(subscriber, timezone.now())
            subscriber.save()
            saved = True
    else:
        form = PreferencesForm(instance=subscriber)
    context = {
        "form": form,
        "subscriber": subscriber,
        "saved": saved,
        "token": token,
        "unsubscribe_token": tokens.unsubscribe_token(subscriber),
        "timezones": sorted(timezone_names()),
    }
    status = 400 if request.method == "POST" and not saved else 200
    return _token_page(request, "digests/preferences.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
def preview(request: HttpRequest) -> HttpResponse:
    """``/digests/preview?token=<preferences token>``: the next digest, as the email's HTML.

    The papers come from ``builder.preview_items(subscriber, now)``; nothing is recorded.
    """
    try:
        subscriber = tokens.read_preferences_token(request.GET.get("token", ""))
    except tokens.InvalidToken as error:
        return _bad_link(request, error)
    from papertrend.digests import builder  # lazily: the builder imports search and trending

    pairs = list(builder.preview_items(subscriber, timezone.now()))
    context = digest_context(subscriber, pairs)
    context["preview"] = True
    context["site_url"] = settings.SITE_URL.rstrip("/")
    return _token_page(request, "digests/email/digest.html", context)
