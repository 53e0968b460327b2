from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "papertrend.papers"
    label = "papers"
    verbose_name = "Papers"
