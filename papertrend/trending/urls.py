"""Feed routes; included before the papers routes, whose ``papers/<path:key>`` is greedy."""

from django.urls import path

from papertrend.trending import views

app_name = "trending"
urlpatterns = [
    path("papers/date/<str:value>", views.feed, {"kind": "date"}, name="date"),
    path("papers/week/<str:value>", views.feed, {"kind": "week"}, name="week"),
    path("papers/month/<str:value>", views.feed, {"kind": "month"}, name="month"),
]
