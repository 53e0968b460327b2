"""URL routes: pages from each app, and the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("search", include("papertrend.search.urls")),
    path("", include("papertrend.papers.urls")),
]
