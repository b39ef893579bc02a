"""Start-up checks of the accounts app's settings (run as webmail/checks.py describes)."""
from django.conf import settings
from django.core import checks

from webmail.checks import STARTUP

from . import senders


def allowed_senders_are_addresses_or_patterns(app_configs=None, **kwargs):
    # A malformed value stops start-up with the variable's name, as settings.py's helpers
    # do; otherwise the first send or settings page would fail instead.
    try:
        senders.parse_allowed(settings.HERON_ALLOWED_SENDERS)
    except ValueError as refused:
        return [checks.Error(f"HERON_ALLOWED_SENDERS: {refused}",
                             hint="List addresses or patterns, comma-separated.",
                             id="heron.E002")]
    return []


checks.register(allowed_senders_are_addresses_or_patterns, STARTUP)
