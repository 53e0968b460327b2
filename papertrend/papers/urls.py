"""Routes for the paper pages; ``papers:detail`` takes keys with ``/`` (``hep-th/9901001``)."""

from django.urls import path

from papertrend.papers import views

app_name = "papers"
urlpatterns = [
    path("", views.trending, name="trending"),
    path("new", views.new, name="new"),
    path("papers/<path:key>", views.paper_detail, name="detail"),
    path("healthz", views.healthz, name="healthz"),
]
