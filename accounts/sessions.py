"""A user's sessions: recorded at login, forgotten at logout, listed for their user, and
ended by the user (Settings), by an operator, or when an operator disables the mail domain.

The session store cannot list one user's sessions, so each login records a UserSession
row (see its docstring for why the raw key is kept) and each logout deletes it. The
receivers below hear every login and logout, Heron's own and the admin's, including the
logout that follows a mail server refusing the password. SessionActivityMiddleware keeps
last_seen roughly current: at most one database write per session every SEEN_EVERY.
"""
import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.cache import cache
from django.db import DatabaseError, router
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from webmail import events, mail
from webmail.http import wants_json
from webmail.recently import Recently

from . import actions
from .client import client_ip
from .domains import user_servers
from .models import UserSession

log = logging.getLogger(__name__)

SEEN_EVERY = timedelta(minutes=5)
# The sessions this process noted lately: most pages then skip even the cache's "not yet?".
_touched = Recently(SEEN_EVERY.total_seconds())


def _seen_key(session_key):
    return "session-seen:" + hashlib.sha256(session_key.encode("ascii")).hexdigest()


def live_since():
    """Rows last seen before this belong to sessions the store has expired by now.

    A session lives SESSION_COOKIE_AGE after its last change, and a change needs a request,
    which last_seen trails by at most SEEN_EVERY.
    """
    return timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE) - SEEN_EVERY


@receiver(user_logged_in, dispatch_uid="accounts.sessions.record")
def record(sender, request, user, **kwargs):
    """Record the session that login() has just created (with a fresh key)."""
    session_key = request.session.session_key if request is not None else None
    if not session_key:
        return
    UserSession.objects.update_or_create(session_key=session_key, defaults={
        "user": user, "last_seen": timezone.now(), "client_ip": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
    })
    cache.set(_seen_key(session_key), 1, SEEN_EVERY.total_seconds())


@receiver(user_logged_out, dispatch_uid="accounts.sessions.forget")
def forget(sender, request, user, **kwargs):
    session_key = request.session.session_key if request is not None else None
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()
    # The watcher stops listening only when the user's last session ends: another
    # browser of theirs still wants its pushes.
    if user is not None and not UserSession.objects.filter(user=user).exists():
        try:
            events.forget(user.get_username())
        except RedisError as error:
            # Only bookkeeping: the watcher lets the user go when their presence expires.
            log.warning("logged-out user not forgotten by the watcher: %s",
                        type(error).__name__)


def touch(request):
    """Note that the request's session was used, at most once every SEEN_EVERY.

    A session without a row (one that began before rows were kept) gets one, so that
    "sign out everywhere" reaches it too.
    """
    session_key = request.session.session_key
    if _touched.seen(session_key) or \
            not cache.add(_seen_key(session_key), 1, SEEN_EVERY.total_seconds()):
        return
    now = timezone.now()
    if not UserSession.objects.filter(session_key=session_key).update(last_seen=now):
        UserSession.objects.bulk_create([UserSession(
            user=request.user, session_key=session_key, last_seen=now,
            client_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )], ignore_conflicts=True)


class SessionActivityMiddleware:
    """Keeps UserSession.last_seen current; goes after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            if request.session.session_key and request.user.is_authenticated:
                touch(request)
        except (DatabaseError, RedisError) as error:
            # Only bookkeeping: the view meets the same outage and shows its clear page.
            log.warning("session activity not recorded: %s", type(error).__name__)
        return self.get_response(request)


DOMAIN_DISABLED = _("Your mail domain has been disabled by the administrator.")


def domain_is_active(user):
    """False once an operator has deactivated the user's mail domain (Domain.active).

    The lookup is servers_for's, cached in the shared cache and forgotten when an operator
    saves the domain, so every frontend sees the change on its next request. When the
    database or the cache does not answer, the user is let through: the view meets the same
    outage and shows its clear page.
    """
    try:
        return user_servers(user).active
    except (DatabaseError, RedisError) as error:
        log.warning("mail domain not checked: %s", type(error).__name__)
        return True


class DisabledDomainMiddleware:
    """Ends the session of a user whose mail domain was deactivated, on their next request.

    Pages are sent to the login page, which says why; JSON callers get 401 with the reason.
    Goes after MessageMiddleware, which carries that notice to the login page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            carry_on = not request.user.is_authenticated or domain_is_active(request.user)
        except (DatabaseError, RedisError) as error:
            # The session or the user cannot be read: the view meets the same outage and
            # shows its clear page (middleware errors get no such page).
            log.warning("mail domain not checked: %s", type(error).__name__)
            carry_on = True
        if carry_on:
            return self.get_response(request)
        if wants_json(request):
            return actions.log_out(request, JsonResponse({"error": DOMAIN_DISABLED}, status=401))
        response = actions.log_out(request, redirect(settings.LOGIN_URL))
        messages.error(request, DOMAIN_DISABLED)
        return response


def end(sessions):
    """End these sessions: delete each from the session store, then its row.

    Returns how many were ended. The next request of each, on any frontend, is anonymous
    and is sent to the login page. This process closes its pooled IMAP connections of
    each; other processes never check theirs out again (the pool is keyed by session),
    and they close when idle.
    """
    # Read from the primary: a session that began a moment ago must not escape.
    primary = router.db_for_write(UserSession)
    ended = list(sessions.using(primary).values_list("session_key", "user__username"))
    store = import_string(settings.SESSION_ENGINE).SessionStore
    for session_key, username in ended:
        store(session_key=session_key).delete()
        cache.delete(_seen_key(session_key))
        mail.release_session(session_key, username)
    UserSession.objects.using(primary).filter(
        session_key__in=[session_key for session_key, _ in ended]).delete()
    return len(ended)


def sessions_of(user):
    """The user's live sessions, the most recently seen first."""
    return list(UserSession.objects.filter(user=user, last_seen__gte=live_since())
                .order_by("-last_seen", "-pk"))


def end_own(request, session_id=None):
    """End one of the request user's other sessions (by UserSession id), or all of them
    (None); the request's own is left. Returns the rows ended; none for an id that is not
    one of the user's other sessions."""
    others = UserSession.objects.filter(user=request.user).exclude(
        session_key=request.session.session_key)
    if session_id is not None:
        others = others.filter(pk=session_id)
    primary = router.db_for_write(UserSession)
    rows = list(others.using(primary))
    end(UserSession.objects.filter(pk__in=[row.pk for row in rows]))
    return rows


def sign_out_everywhere(users):
    """End every session of these users; returns how many recorded sessions ended.

    An account that logs in with its mail password (no usable Django password) also gets a
    new unusable password. Django ties each session to a hash of the password field, so
    this ends sessions that were never recorded, or that a request in flight saved again
    after end() deleted them. A local account's own password is left alone.
    """
    users = list(users)
    ended = end(UserSession.objects.filter(user__in=users))
    for user in users:
        if not user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
    return ended


def prune():
    """Delete the rows of sessions that expired on their own; returns how many."""
    deleted, _ = UserSession.objects.filter(last_seen__lt=live_since()).delete()
    return deleted
