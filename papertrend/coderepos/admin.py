"""Admin for code repositories and their links to papers."""

from __future__ import annotations

from django.contrib import admin

from papertrend.coderepos.models import PaperRepository, Repository


class PaperLinkInline(admin.TabularInline):
    model = PaperRepository
    extra = 0
    fields = ("paper", "found_in", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("paper",)
    verbose_name = "linked paper"
    verbose_name_plural = "linked papers"


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ("key", "host", "owner", "name", "created_at")
    list_filter = ("host",)
    search_fields = ("key", "owner", "name")
    ordering = ("-created_at", "-id")
    readonly_fields = ("created_at",)
    show_full_result_count = False
    inlines = (PaperLinkInline,)


@admin.register(PaperRepository)
class PaperRepositoryAdmin(admin.ModelAdmin):
    list_display = ("paper", "repository", "found_in", "created_at")
    list_filter = ("found_in", "repository__host")
    search_fields = ("=paper__key", "repository__key")
    list_select_related = ("paper", "repository")
    autocomplete_fields = ("paper", "repository")
    readonly_fields = ("created_at",)
    ordering = ("-created_at", "-id")
    show_full_result_count = False
