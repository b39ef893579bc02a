from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and mail domains"

    def ready(self):
        # Connects the receivers that record sessions at login and forget them at logout,
        # and those that drop a kept user or default identity when either changes.
        from . import backends, checks, identities, sessions  # noqa: F401
