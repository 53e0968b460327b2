"""Routes of the machine-readable outputs: the JSON API, feeds and exports."""

from django.urls import include, path

from papertrend.api.json_api import api

urlpatterns = [
    path("api/", api.urls),
    path("feeds/", include("papertrend.api.feed_urls")),
    path("export/", include("papertrend.api.export_urls")),
]
