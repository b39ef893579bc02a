"""Where a login's mail server is, for nginx's mail proxy (its auth_http protocol).

One routing table serves webmail and desktop clients alike: nginx asks this endpoint for
each login it proxies (IMAP or SMTP) and connects to the server the Route and Domain
tables name for it, the same server Heron itself uses. nginx hands the login's password
along; Heron never reads it: the server behind the proxy checks it, and its refusal reaches
the client as the server worded it.

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

from .client import client_ip
from .domains import servers_for

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Heron-Proxy-Secret"
REFUSED = "Invalid login or password"
TRY_LATER = "Temporary server problem, try again later"
_PROTOCOLS = {"imap": "imap", "smtp": "smtp"}


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
    login = _login(request.headers.get("Auth-User", ""))
    protocol = _PROTOCOLS.get(request.headers.get("Auth-Protocol", "").lower())
    if login is None or protocol is None:
        return _answer(REFUSED, wait=3)
    servers = servers_for(login, backend=True)
    if not servers.active:
        return _answer(REFUSED, wait=3)
    server = servers.imap if protocol == "imap" else servers.smtp
    address = _address_of(server.host, server.port)
    if address is None:
        log.warning("mail proxy: the %s server %s:%s has no address", protocol, server.host,
                    server.port)
        return _answer(TRY_LATER, wait=5)
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
