"""Admin: subscribers (search by address, filter by state), the digest outbox, sent papers."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from papertrend.digests.models import Digest, SentPaper, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "user",
        "frequency",
        "confirmed_at",
        "unsubscribed_at",
        "disabled_at",
        "hard_bounces",
        "next_digest_at",
    ]
    list_filter = ["frequency", "confirmed_at", "unsubscribed_at", "disabled_at"]
    search_fields = ["email", "user__username"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "confirmation_sent_at", "last_digest_at"]
    actions = ["unsubscribe_selected"]

    @admin.action(description="Unsubscribe selected addresses")
    def unsubscribe_selected(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        count = queryset.filter(unsubscribed_at__isnull=True).update(unsubscribed_at=timezone.now())
        self.message_user(request, f"Unsubscribed {count} address(es).")


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "kind", "period", "status", "due_at", "attempts", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["subscriber__email", "period", "message_id"]
    raw_id_fields = ["subscriber"]
    readonly_fields = ["created_at", "message_id", "sent_at", "claimed_by", "claimed_until"]
    date_hierarchy = "due_at"


@admin.register(SentPaper)
class SentPaperAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "paper", "digest"]
    search_fields = ["subscriber__email", "paper__key"]
    raw_id_fields = ["subscriber", "paper", "digest"]
