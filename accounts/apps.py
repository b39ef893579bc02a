from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and mail domains"

    def ready(self):
        # Connects the receivers that record sessions at login and forget them at logout,
        # and those that drop a kept user, preferences, default identity or trusted senders
        # at a change.
        from . import backends, checks, identities, preferences, sessions, trust  # noqa: F401
