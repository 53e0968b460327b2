from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "papertrend.search"
    label = "search"
    verbose_name = "Search"
