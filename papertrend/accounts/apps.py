from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "papertrend.accounts"
    label = "accounts"
    verbose_name = "Accounts and community"
