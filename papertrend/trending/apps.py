from django.apps import AppConfig


class TrendingConfig(AppConfig):
    name = "papertrend.trending"
    label = "trending"
    verbose_name = "Trending"
