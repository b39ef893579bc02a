"""Authentication against the user's IMAP server: the mail account is the Heron account."""
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.views.decorators.debug import sensitive_variables

from webmail import mail
from webmail.imap.errors import AuthFailed, UnsafeInput

from . import throttle
from .client import client_ip
from .domains import servers_for

log = logging.getLogger(__name__)


def normalise(username):
    return (username or "").strip().lower()


class ImapBackend:
    """Logs in to IMAP; on success creates or updates the Django user named by the address.

    Raises MailServerUnavailable when the server cannot be asked, so the caller can tell
    "wrong password" from "server down". Only Heron's login asks it (imap=True): the admin
    login goes to Django's own backend. A local Django account with a password of its own
    (an admin) is never taken over by an IMAP login of the same name.
    """

    @sensitive_variables("password")
    def authenticate(self, request, username=None, password=None, imap=False, **kwargs):
        address = normalise(username)
        if not imap or not address or not password:
            return None
        existing = get_user_model().objects.filter(username=address).first()
        if existing is not None and existing.has_usable_password():
            return None
        servers = servers_for(address)
        if not servers.active:
            return None
        session = mail.new_session(servers.imap)
        try:
            session.login(address, password)
        except (AuthFailed, UnsafeInput):
            return None
        if request is not None:
            # Handed to the pool after the session key is cycled, so the first page after
            # login does not connect again.
            request.heron_login_session = session
        else:
            session.close()
        email = address if "@" in address else ""
        user = existing
        if user is None:
            user = get_user_model()(username=address, email=email)
            user.set_unusable_password()
            user.save()
        elif user.email != email:
            user.email = email
            user.save(update_fields=["email"])
        return user if user.is_active else None

    def get_user(self, user_id):
        return get_user_model().objects.filter(pk=user_id, is_active=True).first()

    async def aget_user(self, user_id):
        """get_user for request.auser(), which async views (the event stream) use."""
        return await get_user_model().objects.filter(pk=user_id, is_active=True).afirst()


class ThrottledModelBackend(ModelBackend):
    """Django's own password check (the admin login), behind the same login throttle as
    Heron's login: the attempt is counted before the password is checked."""

    @sensitive_variables("password")
    def authenticate(self, request, username=None, password=None, **kwargs):
        if kwargs.get("imap") or username is None or password is None:
            return None
        try:
            attempt = throttle.begin(normalise(username),
                                     client_ip(request) if request is not None else None)
        except throttle.Throttled:
            log.warning("admin login throttled")
            # Stops Django trying other backends: this login is refused, not unknown.
            raise PermissionDenied("too many failed logins") from None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            attempt.succeeded()
        return user
