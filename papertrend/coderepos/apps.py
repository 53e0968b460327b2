from django.apps import AppConfig


class CodeReposConfig(AppConfig):
    name = "papertrend.coderepos"
    label = "coderepos"
    verbose_name = "Code repositories"
