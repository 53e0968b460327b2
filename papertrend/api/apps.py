from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "papertrend.api"
    label = "api"
    verbose_name = "API, feeds and exports"
