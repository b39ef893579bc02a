"""Template context the mail pages need of the user's held messages (webmail/outbox.py):
the count beside "Scheduled" in the folder list, and the sends that failed since the user
last looked, told once as notices.

Nothing is read until a template asks (a fragment, a JSON answer or a page without the
folder list and notices pays nothing); then one query on the (owner, state) index, and a
second only when there is a failure to tell. No IMAP command."""
from functools import cached_property

from django.db import DatabaseError
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from redis.exceptions import RedisError

from . import outbox, pending
from .models import HeldMessage

State = HeldMessage.State


def held_messages(request):
    try:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return {}
    except (RedisError, DatabaseError):
        # Asking who the user is reads the session: with Redis or the database down, the
        # page drawn is the one that says so, and it shows nothing of held messages.
        return {}
    return {"held": HeldFigures(user)}


class Failure:
    """A held send the user has not been told of, as its notice says it."""

    def __init__(self, held):
        subject = held.subject or gettext("(no subject)")
        reason = held.last_error.strip().rstrip(".")
        said = {"subject": subject, "reason": reason}
        if held.state == State.UNCERTAIN:
            self.text = gettext("Perhaps sent: %(subject)s — %(reason)s.") % said
            self.link, self.link_text = reverse("webmail:outbox"), gettext("Open Scheduled")
        elif held.state == State.CANCELLED:
            self.text = gettext("Not sent: %(subject)s — %(reason)s. It is back in Drafts.") % said
            self.link = f"{reverse('webmail:compose-reload')}?{urlencode({'key': held.draft_key})}"
            self.link_text = gettext("Open the draft")
        else:
            self.text = gettext(
                "Not sent: %(subject)s — %(reason)s. It is going back to Drafts.") % said
            self.link, self.link_text = reverse("webmail:outbox"), gettext("Open Scheduled")


class HeldFigures:
    """Read on first use, once per page; a database outage leaves them empty, so that the
    error page itself still draws."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def _counts(self):
        found = pending.figures(self.user)
        return {"listed": found["scheduled"], "untold": found["untold"]}

    @property
    def scheduled(self):
        """How many messages the Scheduled view lists."""
        return self._counts["listed"]

    @property
    def shown_in_folders(self):
        """Whether the folder list offers Scheduled: when it holds something, or when
        messages can be held at all."""
        return bool(self.scheduled) or outbox.available()

    def heron_kept_key(self):
        """What a kept part (webmail/templatetags/kept.py) may show of these figures: the
        folder list's Scheduled entry. The failures are told in notices, never kept."""
        return (self.shown_in_folders, self.scheduled)

    @cached_property
    def failures(self):
        """The untold failures as Failure notices; reading them tells them."""
        if not self._counts["untold"]:
            return []
        try:
            return [Failure(held) for held in outbox.untold_failures(self.user)]
        except DatabaseError:
            return []
