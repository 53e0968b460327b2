"""Routes for email digest pages; tokens are signed path segments (see ``digests.tokens``)."""

from django.urls import path

from papertrend.digests import views

app_name = "digests"
urlpatterns = [
    path("subscribe", views.subscribe, name="subscribe"),
    path("subscribe/sent", views.subscribe_sent, name="subscribe_sent"),
    path("confirm/<str:token>", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>", views.preferences, name="preferences"),
    path("preview", views.preview, name="preview"),
]
