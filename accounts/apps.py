from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Account Management"

    def ready(self):
        from . import cards  # noqa: F401  (registers the Account Management dashboard cards)
