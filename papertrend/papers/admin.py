"""Admin for papers: moderation (hide, withdraw, fix metadata) and deletion.

Every change here queues the paper's key for the full-text index, and deletion
goes through :func:`papertrend.papers.services.delete_papers`, so the index never
keeps a deleted or stale paper.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from papertrend.coderepos.models import PaperRepository
from papertrend.papers import identifiers
from papertrend.papers.models import HarvestState, Paper, PaperSource, Version
from papertrend.papers.services import delete_papers, forget_trending_scores, set_hidden
from papertrend.search.models import enqueue


class VersionInline(admin.TabularInline):
    model = Version
    extra = 0
    fields = ("number", "submitted", "size")


class PaperSourceInline(admin.TabularInline):
    model = PaperSource
    extra = 0
    fields = ("source_format", "origin", "first_seen")
    readonly_fields = ("first_seen",)


class PaperRepositoryInline(admin.TabularInline):
    model = PaperRepository
    extra = 0
    fields = ("repository", "found_in", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("repository",)
    verbose_name = "code repository"
    verbose_name_plural = "code repositories"


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = (
        "key",
        "short_title",
        "primary_category",
        "published",
        "withdrawn",
        "hidden",
    )
    list_display_links = ("key", "short_title")
    list_filter = ("withdrawn", "hidden", "primary_category")
    search_fields = ("=key", "=arxiv_id", "title")
    ordering = ("-created_at", "-id")
    list_per_page = 50
    # A COUNT(*) over every paper on each changelist load is wasted work.
    show_full_result_count = False
    readonly_fields = ("created_at", "modified_at", "categories", "primary_category")
    inlines = (VersionInline, PaperSourceInline, PaperRepositoryInline)
    actions = ("hide_papers", "unhide_papers")
    fieldsets = (
        (None, {"fields": ("key", "arxiv_id", "title_key", "title", "abstract", "authors")}),
        ("Moderation", {"fields": ("hidden", "withdrawn")}),
        (
            "arXiv metadata",
            {
                "fields": (
                    "primary_category",
                    "categories",
                    "comments",
                    "journal_ref",
                    "doi",
                    "report_no",
                    "license",
                    "msc_class",
                    "acm_class",
                    "submitter",
                    "latest_version",
                    "published",
                    "updated",
                    "announced",
                )
            },
        ),
        ("Timestamps", {"fields": ("created_at", "modified_at")}),
    )

    @admin.display(description="title", ordering="title")
    def short_title(self, obj: Paper) -> str:
        return obj.title if len(obj.title) <= 90 else obj.title[:89] + "…"

    def save_model(self, request: HttpRequest, obj: Paper, form: ModelForm, change: bool) -> None:
        """Save, then queue the key (and the old key after a key change) for the index."""
        super().save_model(request, obj, form, change)
        if "hidden" in form.changed_data and obj.hidden:
            forget_trending_scores([obj.key])
        keys = [obj.key]
        if change and "key" in form.changed_data and form.initial.get("key"):
            keys.append(str(form.initial["key"]))
        enqueue(keys)

    def delete_model(self, request: HttpRequest, obj: Paper) -> None:
        delete_papers(Paper.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Paper]) -> None:
        delete_papers(queryset)

    @admin.action(description="Hide selected papers from the site")
    def hide_papers(self, request: HttpRequest, queryset: QuerySet[Paper]) -> None:
        self._set_hidden(request, queryset, hidden=True)

    @admin.action(description="Show selected papers on the site again")
    def unhide_papers(self, request: HttpRequest, queryset: QuerySet[Paper]) -> None:
        self._set_hidden(request, queryset, hidden=False)

    def _set_hidden(self, request: HttpRequest, queryset: QuerySet[Paper], *, hidden: bool) -> None:
        count = set_hidden(queryset, hidden=hidden)
        verb = "Hid" if hidden else "Showed"
        noun = "paper" if count == 1 else "papers"
        note = "" if hidden else " They return to the trending page at the next `trending compute`."
        self.message_user(request, f"{verb} {count} {noun}.{note}", messages.SUCCESS)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Paper], search_term: str
    ) -> tuple[QuerySet[Paper], bool]:
        """Also find a paper by any identifier form (``0704.0002v2``, arxiv.org URLs)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and identifiers.is_valid(term):
            results |= queryset.filter(key=identifiers.normalize(term))
        return results, may_have_duplicates


@admin.register(HarvestState)
class HarvestStateAdmin(admin.ModelAdmin):
    list_display = ("key", "last_datestamp", "updated_at")
    readonly_fields = ("updated_at",)
    search_fields = ("key",)
