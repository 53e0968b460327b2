from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "papertrend.digests"
    label = "digests"
    verbose_name = "Email digests"
