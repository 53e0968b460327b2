"""Sign up, sign in and out, upvotes, and paper submissions.

Every view that changes data takes POST only (GET answers 405) and relies on
Django's CSRF middleware; redirects go only to same-site ``next`` addresses.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView, LogoutView, redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from papertrend.accounts import ratelimits
from papertrend.accounts.forms import SignUpForm, SubmitForm
from papertrend.accounts.submissions import SubmissionError, submit_paper
from papertrend.accounts.upvotes import unvote, upvote
from papertrend.papers.models import Paper
from papertrend.papers.text import tex_to_text


def safe_next(request: HttpRequest, fallback: str) -> str:
    """``next`` from the POST or query string if it points at this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class SignInView(LoginView):
    """``/accounts/login``: Django's login view with the site's template."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class SignOutView(LogoutView):
    """``/accounts/logout``: POST only (Django 5), then ``LOGOUT_REDIRECT_URL``."""


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """``/accounts/signup``: create an account and sign in, then go to ``next`` or home.

    POSTs are limited per client IP (``SIGNUP_RATE``, 429 over it); the form reveals
    nothing about other accounts' e-mail addresses (:class:`SignUpForm`).
    """
    home = resolve_url(settings.LOGIN_REDIRECT_URL)
    if request.user.is_authenticated:
        return redirect(home)
    if request.method == "POST" and ratelimits.over_limit(
        request, ratelimits.SIGNUP_GROUP, ratelimits.signup_rate(), key="ip"
    ):  # every attempt counts, so guessing which usernames are taken is slow too
        return ratelimits.too_many_requests(request, "sign-up attempts")
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to papertrend, {user.get_username()}.")
        return redirect(safe_next(request, home))
    return render(request, "accounts/signup.html", {"form": form, "next": safe_next(request, "")})


def _short_title(paper: Paper) -> str:
    title = tex_to_text(paper.title)
    return title if len(title) <= 80 else title[:79] + "…"


@require_POST
def vote(request: HttpRequest, key: str, action: str) -> HttpResponse:
    """``POST /papers/<key>/upvote`` or ``…/unvote``; back to ``next`` with a message.

    Anonymous visitors are sent to sign in. Over the rate limit: 429, nothing changed.

    Raises:
        Http404: no visible paper has ``key``.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(safe_next(request, reverse("papers:detail", args=[key])))
    paper = get_object_or_404(Paper, key=key, hidden=False)
    if ratelimits.over_limit(request, ratelimits.UPVOTE_GROUP, ratelimits.upvote_rate()):
        return ratelimits.too_many_requests(request, "upvotes")
    user = cast(User, request.user)
    title = _short_title(paper)
    if action == "upvote":
        if upvote(user, paper):
            messages.success(request, f"Upvoted “{title}”.")
        else:
            messages.info(request, f"You had already upvoted “{title}”.")
    elif unvote(user, paper):
        messages.success(request, f"Removed your upvote from “{title}”.")
    else:
        messages.info(request, f"You had not upvoted “{title}”.")
    return redirect(safe_next(request, paper.get_absolute_url()))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """``/submit``: add an arXiv paper to today's feed (see ``accounts.submissions``)."""
    form = SubmitForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if ratelimits.over_limit(
            request, ratelimits.SUBMISSION_GROUP, ratelimits.submission_rate()
        ):
            return ratelimits.too_many_requests(request, "paper submissions")
        try:
            result = submit_paper(cast(User, request.user), form.cleaned_data["paper"])
        except SubmissionError as exc:
            form.add_error("paper", str(exc))
        else:
            label = f"arXiv:{result.paper.arxiv_id}"
            if result.duplicate:
                messages.info(request, f"{label} is already on papertrend.")
            else:
                messages.success(request, f"Thank you: {label} is now in today's papers.")
            return redirect(result.paper.get_absolute_url())
    return render(request, "accounts/submit.html", {"form": form})
