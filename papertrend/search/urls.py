"""``/search`` (mounted by the project's urls)."""

from django.urls import path

from papertrend.search import views

app_name = "search"
urlpatterns = [path("", views.search, name="search")]
