from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and mail domains"

    def ready(self):
        # Connects the receivers that record sessions at login and forget them at logout,
        # and those that drop a kept user, preferences, default identity or trusted senders
        # or route at a change.
        from . import (  # noqa: F401
            backends,
            checks,
            identities,
            preferences,
            routes,
            sessions,
            trust,
        )
