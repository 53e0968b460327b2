"""Admin for code repositories and their links to papers."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from papertrend.coderepos.models import PaperRepository, Repository


class PaperLinkInline(admin.TabularInline):
    model = PaperRepository
    extra = 0
    fields = ("paper", "found_in", "is_official", "framework", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("paper",)
    verbose_name = "linked paper"
    verbose_name_plural = "linked papers"


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ("key", "host", "owner", "name", "hidden", "created_at")
    list_filter = ("host", "hidden")
    search_fields = ("key", "owner", "name")
    ordering = ("-created_at", "-id")
    readonly_fields = ("created_at",)
    show_full_result_count = False
    inlines = (PaperLinkInline,)
    actions = ("hide_repositories", "unhide_repositories")

    @admin.action(description="Hide selected repositories from the site")
    def hide_repositories(self, request: HttpRequest, queryset: QuerySet[Repository]) -> None:
        count = queryset.update(hidden=True)
        self.message_user(
            request,
            f"Hid {count} {'repository' if count == 1 else 'repositories'}.",
            messages.SUCCESS,
        )

    @admin.action(description="Show selected repositories on the site again")
    def unhide_repositories(self, request: HttpRequest, queryset: QuerySet[Repository]) -> None:
        count = queryset.update(hidden=False)
        self.message_user(
            request,
            f"Showed {count} {'repository' if count == 1 else 'repositories'}.",
            messages.SUCCESS,
        )


@admin.register(PaperRepository)
class PaperRepositoryAdmin(admin.ModelAdmin):
    list_display = ("paper", "repository", "found_in", "is_official", "framework", "created_at")
    list_filter = ("found_in", "is_official", "repository__host")
    search_fields = ("=paper__key", "repository__key")
    list_select_related = ("paper", "repository")
    autocomplete_fields = ("paper", "repository")
    readonly_fields = ("created_at",)
    ordering = ("-created_at", "-id")
    show_full_result_count = False
