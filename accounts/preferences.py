"""A user's preferences for the mail screen, kept in the database so that every frontend
and every device of the user sees the same choice."""
from django.db import IntegrityError, transaction

from .models import Preferences

# The list keeps at least this share of the space beside (or above) the reading pane,
# and leaves the pane at least as much.
LIST_SHARE_RANGE = (20, 80)
# After Send, a message waits this many seconds (at most) while Undo can take it back.
UNDO_RANGE = (0, 30)


def preferences_for(user):
    """The user's Preferences, made with the defaults on first use. Never None.

    Read once per user object, that is once per request: the page's settings, its time
    zone and its Send all ask."""
    found = getattr(user, "_heron_preferences", None)
    if found is None:
        found = _read(user)
        user._heron_preferences = found
    return found


def _read(user):
    found = Preferences.objects.filter(user=user).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Preferences.objects.create(user=user)
    except IntegrityError:
        # A concurrent request made them first.
        return Preferences.objects.get(user=user)


def keep_list_share(user, share):
    """Remember where the divider was dragged to; share is clamped to LIST_SHARE_RANGE."""
    low, high = LIST_SHARE_RANGE
    share = min(max(int(share), low), high)
    preferences = preferences_for(user)
    Preferences.objects.filter(pk=preferences.pk).update(list_share=share)
    return share
