"""Logging in and out: throttling, IMAP authentication, the vault, the audit trail."""
import logging

from django.contrib.auth import login, logout
from django.utils.translation import gettext, ngettext
from django.views.decorators.debug import sensitive_variables

from webmail import mail, metrics
from webmail.imap.errors import LoginElsewhere, MailServerUnavailable

from . import throttle, vault
from .backends import ImapBackend, normalise
from .client import client_ip
from .models import LoginEvent

log = logging.getLogger(__name__)


class LoginRefused(Exception):
    """A login that did not happen; message is what the user is told."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _record(request, username, outcome, user=None):
    if outcome != LoginEvent.Outcome.LOGOUT:
        metrics.login_attempt(outcome)
    LoginEvent.objects.create(
        username=username[:254], user=user, outcome=outcome, client_ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )


@sensitive_variables("password")
def log_in(request, username, password):
    """Authenticate against IMAP and start a session; raises LoginRefused with the reason.

    The caller must pass the response to finish_login() so the vault key cookie is set.
    """
    username = normalise(username)
    try:
        attempt = throttle.begin(username, client_ip(request))
    except throttle.Throttled as throttled:
        _record(request, username, LoginEvent.Outcome.THROTTLED)
        raise LoginRefused(ngettext(
            "Too many failed logins. Please wait %(seconds)s second before trying again.",
            "Too many failed logins. Please wait %(seconds)s seconds before trying again.",
            throttled.wait) % {"seconds": throttled.wait}) from None
    try:
        user = ImapBackend().authenticate(request, username=username, password=password,
                                          imap=True)
    except LoginElsewhere as referred:
        attempt.unanswered()
        log.warning("login failed: the mail server referred it to another server")
        _record(request, username, LoginEvent.Outcome.SERVER_UNAVAILABLE)
        raise LoginRefused(str(referred.user_message)) from None
    except MailServerUnavailable:
        attempt.unanswered()
        log.warning("login failed: mail server unreachable for %s", username)
        _record(request, username, LoginEvent.Outcome.SERVER_UNAVAILABLE)
        raise LoginRefused(gettext(
            "The mail server cannot be reached right now. Please try again in a moment.")
        ) from None
    if user is None:
        _record(request, username, LoginEvent.Outcome.BAD_CREDENTIALS)
        raise LoginRefused(gettext("Wrong email address or password."))
    attempt.succeeded()
    login(request, user, backend="accounts.backends.ImapBackend")
    _record(request, username, LoginEvent.Outcome.SUCCESS, user)
    session = getattr(request, "heron_login_session", None)
    if session is not None:
        mail.adopt(request, session)
    return user


@sensitive_variables("password")
def finish_login(request, response, password):
    vault.seal(request, response, password)
    return response


def log_out(request, response):
    """End the session, its pooled IMAP connections and the vault key cookie."""
    if request.user.is_authenticated:
        _record(request, request.user.username, LoginEvent.Outcome.LOGOUT, request.user)
    mail.release(request)
    logout(request)
    vault.forget(response)
    return response
