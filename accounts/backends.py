"""Authentication against the user's IMAP server: the mail account is the Heron account."""
import logging

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, router, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.dateparse import parse_datetime
from django.views.decorators.debug import sensitive_variables

from webmail import mail
from webmail.cachejson import read
from webmail.imap.errors import AuthFailed, UnsafeInput

from . import readahead, throttle
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
        # From the primary: a login a moment ago (another browser, a retry) may have made
        # the user there before a replica has it, and a miss here would make it again.
        users = get_user_model().objects.db_manager(router.db_for_write(get_user_model()))
        existing = users.filter(username=address).first()
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
            try:
                with transaction.atomic(using=users.db):
                    user.save(using=users.db)
            except IntegrityError:
                # Made by a login of the same user that ran at the same moment.
                user = users.get(username=address)
                if user.has_usable_password():
                    return None
        elif user.email != email:
            user.email = email
            user.save(update_fields=["email"])
        return user if user.is_active else None

    def get_user(self, user_id):
        """The active user of a session: every request asks, so the row is kept in the
        shared cache a minute at most, and dropped whenever the user is saved or deleted
        (an is_active change takes effect on the next request)."""
        try:
            key = _user_key(int(user_id))
        except (TypeError, ValueError):
            return None
        found, ahead = readahead.fetch(int(user_id), key)
        kept = read(found, _USER_SHAPE, _user_from_json)
        if kept is not None:
            readahead.attach(kept, ahead)
            readahead.learn(kept.pk, normalise(kept.username))
            return kept
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is not None:
            readahead.attach(user, ahead)
            readahead.learn(user.pk, normalise(user.username))
        # Only mail accounts (no password of their own) are kept: an admin's password hash
        # stays in the database.
        if user is not None and not user.has_usable_password():
            cache.set(key, _user_json(user), USER_SECONDS)
        return user

    async def aget_user(self, user_id):
        """get_user for request.auser(), which async views (the event stream) use."""
        return await sync_to_async(self.get_user)(user_id)


USER_SECONDS = 60
USER_SHAPE = 1  # the version of the kept user's shape, named in its key
_USER_TEXT = ("username", "email", "password", "first_name", "last_name")
_USER_FLAGS = ("is_active", "is_staff", "is_superuser")
_USER_SHAPE = {"id": int, "last_login": (None, str), "date_joined": str,
               **dict.fromkeys(_USER_TEXT, str), **dict.fromkeys(_USER_FLAGS, bool)}


@readahead.register  # so that it comes in the request's first read, with the session
def _user_key(pk):
    return f"auth-user:v{USER_SHAPE}:{pk}"


def _user_json(user):
    return {"id": user.pk, "last_login": user.last_login and user.last_login.isoformat(),
            "date_joined": user.date_joined.isoformat(),
            **{name: getattr(user, name) for name in _USER_TEXT + _USER_FLAGS}}


def _user_from_json(value):
    if not value["is_active"]:
        raise ValueError("not active")  # never kept so; read as a miss
    user = get_user_model()(**{**value, "last_login": value["last_login"] and parse_datetime(
        value["last_login"]), "date_joined": parse_datetime(value["date_joined"])})
    user._state.adding, user._state.db = False, "default"
    return user


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts.backends.saved")
@receiver(post_delete, sender=get_user_model(), dispatch_uid="accounts.backends.deleted")
def _forget_user(sender, instance, **kwargs):
    cache.delete(_user_key(instance.pk))


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
