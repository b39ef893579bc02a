from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Address book")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Connects the receivers that move a user's kept answers on at a change of a card.
        from . import known  # noqa: F401
