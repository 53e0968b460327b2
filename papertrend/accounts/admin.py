"""Admin for moderation of people: banning users, and lists of upvotes and submissions.

Banning sets ``is_active=False`` (Django's ModelBackend then refuses the sign-in and
drops existing sessions on their next request) and deletes the user's upvotes, so
vote-stuffing disappears from counts at once. Unbanning restores sign-in only.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from papertrend.accounts.models import Submission, Upvote


def ban_users(queryset: QuerySet[User], *, keep: User | None = None) -> tuple[int, int]:
    """Deactivate the users (never ``keep``) and delete their upvotes.

    Returns (users banned, upvotes deleted).
    """
    if keep is not None:
        queryset = queryset.exclude(pk=keep.pk)
    with transaction.atomic():
        ids = list(queryset.values_list("pk", flat=True))
        banned = User.objects.filter(pk__in=ids).update(is_active=False)
        deleted, _ = Upvote.objects.filter(user_id__in=ids).delete()
    return banned, deleted


admin.site.unregister(User)


@admin.register(User)
class PapertrendUserAdmin(UserAdmin):
    """Django's user admin plus ban and unban actions."""

    actions = ("ban_selected", "unban_selected")

    @admin.action(description="Ban selected users (deactivate, delete their upvotes)")
    def ban_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        me = request.user if isinstance(request.user, User) else None
        selected_me = me is not None and queryset.filter(pk=me.pk).exists()
        banned, deleted = ban_users(queryset, keep=me)
        note = " (you cannot ban yourself)" if selected_me else ""
        self.message_user(
            request,
            f"Banned {banned} user(s); deleted {deleted} upvote(s){note}.",
            messages.SUCCESS,
        )

    @admin.action(description="Unban selected users (allow sign-in again)")
    def unban_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = queryset.update(is_active=True)
        noun = "user" if count == 1 else "users"
        self.message_user(request, f"Unbanned {count} {noun}.", messages.SUCCESS)


class _PaperActivityAdmin(admin.ModelAdmin):
    """What a person did to a paper (an upvote, a submission): newest first."""

    list_display = ("paper", "user", "created_at")
    list_select_related = ("paper", "user")
    search_fields = ("=paper__key", "user__username")
    autocomplete_fields = ("paper", "user")
    readonly_fields = ("created_at",)
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Upvote)
class UpvoteAdmin(_PaperActivityAdmin):
    pass


@admin.register(Submission)
class SubmissionAdmin(_PaperActivityAdmin):
    pass
