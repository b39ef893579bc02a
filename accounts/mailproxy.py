"""Where a login's mail server is, for nginx's mail proxy (its auth_http protocol).

One routing table serves webmail and desktop clients alike: nginx asks this endpoint for
each IMAP login it proxies and connects to the server the Route and Domain tables name for
it, the same server Heron itself uses. nginx hands the login's password along; Heron never
reads it: the server behind the proxy checks it, and its refusal reaches the client as the
server worded it. SMTP is not answered: nginx's SMTP proxy leaves the password to this
endpoint (it passes the login on by XCLIENT), which never checks one.

Only nginx may ask: the request must carry HERON_MAIL_PROXY_SECRET (nginx's
auth_http_header) and come from an address of HERON_MAIL_PROXY_ALLOW. Without a secret set
the endpoint does not exist (404).
"""
import hmac
import logging
import socket
from ipaddress import ip_address
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from .client import client_ip
from .domains import servers_for

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Heron-Proxy-Secret"
REFUSED = "Invalid login or password"
TRY_LATER = "Temporary server problem, try again later"
_METHODS = {"plain", "login"}  # nginx hands the password on as the client sent it
# After this many attempts of one client connection, a refusal carries no Auth-Wait: nginx
# then closes the connection rather than keep it for another try.
MAX_ATTEMPTS = 10


@csrf_exempt  # nginx's GET carries no token; the secret and the allow-list stand for it
@never_cache
def auth(request):
    secret = settings.HERON_MAIL_PROXY_SECRET
    if not secret:
        raise Http404("No such page.")
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    sent = request.headers.get(SECRET_HEADER, "").encode()
    if not (hmac.compare_digest(sent, secret.encode()) and _allowed(client_ip(request))):
        return HttpResponseForbidden("Not a mail proxy of this site.\n",
                                     content_type="text/plain")
    wait = 3 if _attempt(request) < MAX_ATTEMPTS else None
    login = _login(request.headers.get("Auth-User", ""))
    if (login is None or request.headers.get("Auth-Protocol", "").lower() != "imap"
            or request.headers.get("Auth-Method", "").lower() not in _METHODS):
        return _answer(REFUSED, wait=wait)
    servers = servers_for(login, backend=True)
    if not servers.active:
        return _answer(REFUSED, wait=wait)
    server = servers.imap
    if server.security == "ssl":
        log.warning("mail proxy: the IMAP server %s:%s speaks only TLS, which nginx's mail "
                    "proxy cannot", server.host, server.port)
        return _answer(TRY_LATER, wait=wait and 5)
    address = _address_of(server.host, server.port)
    if address is None:
        log.warning("mail proxy: the IMAP server %s:%s has no address", server.host,
                    server.port)
        return _answer(TRY_LATER, wait=wait and 5)
    response = _answer("OK")
    response["Auth-Server"] = address
    response["Auth-Port"] = str(server.port)
    return response


def _answer(status, wait=None):
    response = HttpResponse(b"", content_type="text/plain")
    response["Auth-Status"] = status
    if wait is not None:
        response["Auth-Wait"] = str(wait)
    return response


def _attempt(request):
    try:
        return int(request.headers.get("Auth-Login-Attempt", "1"))
    except ValueError:
        return MAX_ATTEMPTS


def _allowed(address):
    if address is None:
        return False
    parsed = ip_address(address)
    if parsed.version == 6 and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    return any(parsed.version == network.version and parsed in network
               for network in settings.HERON_MAIL_PROXY_ALLOW)


def _login(raw):
    """The login nginx names, lower case; None when it is not one a user could have (empty,
    too long, not UTF-8, or with control characters). nginx percent-encodes some bytes of
    it (space, %, CR, LF) and sends the others as they are: the header's bytes are
    unquoted, then read as UTF-8."""
    try:
        login = unquote_to_bytes(raw.encode("latin-1")).decode("utf-8").strip().lower()
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    if not login or len(login) > 254 or any(ord(c) < 32 or c == "\x7f" for c in login):
        return None
    return login


def _address_of(host, port):
    """nginx wants an IP address: the host's first, or None when it has none."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    return found[0][4][0] if found else None
