"""Request id, primary pinning after writes, Server-Timing, and mail errors as clear pages."""
import logging
import re
import secrets
import time
import uuid
from contextvars import ContextVar
from urllib.parse import unquote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core import signing
from django.core.exceptions import BadRequest, MiddlewareNotUsed
from django.core.handlers.wsgi import WSGIRequest
from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext
from redis.exceptions import RedisError

from attachments.errors import StorageUnavailable

from . import db_router, metrics
from .http import safe_next, wants_json
from .imap.errors import (
    AuthFailed,
    MailboxNotFound,
    MailError,
    MailServerUnavailable,
    MessageGone,
    NoSuchFolderRole,
    ServerRefused,
    UnsafeInput,
)
from .zones import ZONE_COOKIE, zone_named

log = logging.getLogger(__name__)
request_log = logging.getLogger("heron.request")
request_id = ContextVar("heron_request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PIN_COOKIE = "heron_pin"


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id.get()
        return True


class FrontendNameMiddleware:
    """Names the frontend that answered (X-Heron-Frontend: HERON_FRONTEND_NAME), so the
    balancing can be seen; first in the chain, so error pages carry it too."""

    def __init__(self, get_response):
        if not settings.HERON_FRONTEND_NAME:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.name = settings.HERON_FRONTEND_NAME

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Heron-Frontend"] = self.name
        return response


class RequestIdMiddleware:
    """Takes nginx's X-Request-ID (or makes one); logs and counts every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        request.request_id = rid
        started = time.perf_counter()
        # This thread's CPU time: what the request cost the frontend, without the time it
        # waited on the mail server, the database or another process for the cores.
        cpu_started = time.thread_time()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            commands, seconds = getattr(request, "imap_stats", (0, 0.0))
            elapsed = time.perf_counter() - started
            cpu = time.thread_time() - cpu_started
            # For a streamed response (a download) all three count until its body starts.
            response["Server-Timing"] = (
                f'imap;desc="{commands} IMAP commands";dur={seconds * 1000:.1f}, '
                f'app;desc="server";dur={elapsed * 1000:.1f}, cpu;desc="CPU";dur={cpu * 1000:.1f}')
            after_sent(request, response, rid, lambda: _account_for(request, response, elapsed))
            return response
        finally:
            request_id.reset(token)


def _account_for(request, response, seconds):
    log_request(request, response, seconds)
    metrics.observe_request(request, response, seconds)


def after_sent(request, response, rid, work):
    """work() once the response has gone out, under the request's id rid.

    Django's response.close() runs it, which a WSGI server calls after the last byte
    (gunicorn, even when the client has gone; Django's test client too): a request's log
    line and its counters (about 0.1 ms of a warm page, the log line's write among it) no
    longer hold up the page. Run now instead: for a streamed response (a download, the
    event stream), whose figures stop at its first byte and whose end may come minutes
    later or not at all; and off WSGI (the ASGI events process), where Django does not
    close a response whose client left early, nor uvicorn one still streaming when it
    stops."""
    def run():
        token = request_id.set(rid)
        try:
            work()
        except Exception:
            # Django's close() would drop the error unseen.
            log.exception("request not accounted for")
        finally:
            request_id.reset(token)

    if isinstance(request, WSGIRequest) and not response.streaming:
        response._resource_closers.append(run)
    else:
        run()


def log_request(request, response, seconds):
    """One structured line per request: no query string, cookies or login address."""
    commands, imap_seconds = getattr(request, "imap_stats", (0, 0.0))
    fields = {
        "method": request.method[:16], "path": request.path[:300],
        "view": metrics.view_name(request), "status": response.status_code,
        "duration_ms": round(seconds * 1000, 1), "imap_commands": commands,
        "imap_ms": round(imap_seconds * 1000, 1), "user_id": _user_id(request),
    }
    frontend = getattr(settings, "HERON_FRONTEND_NAME", "")
    if frontend:
        fields["frontend"] = frontend
    request_log.info("request", extra={"fields": fields})


def _user_id(request):
    """The id of the user the request already loaded, else None.

    Loading one here would cost a session read (and fail while Redis is down), so a user
    still behind the lazy request.user is taken only from Django's own per-request cache.
    """
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject):
        user = getattr(request, "_cached_user", None)
    return user.pk if user is not None and user.is_authenticated else None


class PrimaryPinningMiddleware:
    """A user who just wrote reads from the primary for PIN_TO_PRIMARY_SECONDS.

    The pin travels in a signed cookie, so it holds whichever frontend the next request
    lands on.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pinned = self._cookie_pins(request)
        pin_token = db_router.pinned.set(pinned)
        wrote_token = db_router.wrote.set(False)
        try:
            response = self.get_response(request)
            if db_router.wrote.get():
                response.set_cookie(
                    PIN_COOKIE, signing.dumps(1, salt=PIN_COOKIE),
                    max_age=settings.PIN_TO_PRIMARY_SECONDS, httponly=True, samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE)
            return response
        finally:
            db_router.pinned.reset(pin_token)
            db_router.wrote.reset(wrote_token)

    @staticmethod
    def _cookie_pins(request):
        value = request.COOKIES.get(PIN_COOKIE)
        if not value:
            return False
        try:
            signing.loads(value, salt=PIN_COOKIE, max_age=settings.PIN_TO_PRIMARY_SECONDS)
        except signing.BadSignature:
            return False
        return True


class MailErrorMiddleware:
    """Maps outside-service failures, raised as named errors, to one clear page each."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, AuthFailed):
            # The vault is shut or the server now refuses the password: log in again.
            if request.user.is_authenticated:
                logout(request)
            if wants_json(request):
                return JsonResponse({"error": "not authenticated"}, status=401)
            return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
        if isinstance(exception, (ServerRefused, NoSuchFolderRole)) and request.method == "POST":
            if wants_json(request):
                return JsonResponse({"error": exception.user_message}, status=409)
            messages.error(request, exception.user_message)
            return redirect(safe_next(request))
        if isinstance(exception, (UnsafeInput, BadRequest)):
            # The message names the parameter or command, never the value.
            log.warning("refused a request: %s", exception)
            message = getattr(exception, "user_message", None) or str(exception)
            return self._page(request, 400, gettext("Request refused"), message)
        if isinstance(exception, (MailboxNotFound, MessageGone)):
            return self._page(request, 404, gettext("Not found"), exception.user_message)
        if isinstance(exception, MailServerUnavailable):
            log.warning("mail server unavailable: %s", exception)
            return self._page(request, 503, gettext("Mail server unreachable"),
                              exception.user_message)
        if isinstance(exception, MailError):
            log.warning("mail error: %s", exception)
            return self._page(request, 502, gettext("Mail server error"), exception.user_message)
        if isinstance(exception, (RedisError, DatabaseError, StorageUnavailable)):
            log.error("service unavailable: %s", type(exception).__name__)
            return self._page(request, 503, gettext("Temporarily unavailable"), gettext(
                "Heron cannot reach one of its services right now. Nothing you saved is lost; "
                "please try again in a moment."))
        return None

    @staticmethod
    def _page(request, status, title, message):
        if wants_json(request):
            return JsonResponse({"error": message}, status=status)
        return render(request, "error.html", {"title": title, "message": message},
                      status=status)


class TimezoneMiddleware:
    """Dates show in the browser's time zone, which theme.js puts in a cookie (a zone fixed
    in Settings replaces it: accounts.zone_middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = zone_named(unquote(request.COOKIES.get(ZONE_COOKIE, "")))
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        return self.get_response(request)


# Heron's own pages: scripts and styles from our origin only, images from us (and data:
# for small inline icons), frames only our sanitized message bodies.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


STYLE_NONCE = re.compile(r"[A-Za-z0-9_-]{22,64}")


def style_nonce(request):
    """The nonce this page's policy gives <style> elements, made on first asking.

    A page that holds message bodies in srcdoc frames (the message page, and the mail
    page whose reading pane does) asks for one: a srcdoc document takes the policy of the
    page that holds it, so its stylesheets (the frame's own and the sanitizer's) carry the
    nonce, and that page lets style attributes apply. Scripts and images stay as strict
    as on every page; the frame stays sandboxed without scripts, and its document carries
    the frame's own policy, which applies on top."""
    nonce = getattr(request, "style_nonce", None)
    if nonce is None:
        nonce = request.style_nonce = secrets.token_urlsafe(18)
    return nonce


def page_csp(nonce=None):
    """PAGE_CSP, or with a style nonce (style_nonce) the policy of a page that holds mail."""
    if nonce is None:
        return PAGE_CSP
    # style-src names the nonce too, for browsers without style-src-elem: they apply the
    # stylesheets (not the style attributes), where they would otherwise apply none.
    return PAGE_CSP.replace(
        "style-src 'self';",
        f"style-src 'self' 'nonce-{nonce}'; style-src-elem 'self' 'nonce-{nonce}'; "
        "style-src-attr 'unsafe-inline';")


class ContentSecurityPolicyMiddleware:
    """Every response gets a strict CSP unless the view set its own (message bodies do)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and not request.path.startswith("/admin/"):
            response["Content-Security-Policy"] = page_csp(getattr(request, "style_nonce", None))
        return response
