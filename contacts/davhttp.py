"""The wire under the CardDAV client: HTTP exchanges bounded in time and size.

httpcore (the engine of httpx) speaks HTTP/1.1; this module gives it a network backend whose
every read and write is cut short by one deadline for the whole sync, so a server that
sends its headers or body a byte at a time cannot hold a user's request longer than the
budget (a per-read timeout alone would not stop it). Bodies are read in pieces and refused
past a size limit. Redirects are followed only within the same origin, a few times.
"""
import base64
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpcore
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

MAX_REDIRECTS = 3
CONNECT_SECONDS = 5


class CardDavError(Exception):
    """Anything that went wrong with the CardDAV server; str() is a message for the user."""


class ServerTimeout(CardDavError):
    pass


class TooLarge(CardDavError):
    """An answer over the size limit."""


class Rejected(CardDavError):
    """The server answered with an HTTP error status (kept in .status)."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict  # lower-case name -> value (the last one of a repeated header)
    body: bytes

    def content_type(self):
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class Deadline:
    """A point in time after which no read or write may wait any longer."""

    def __init__(self, seconds):
        self.at = time.monotonic() + seconds

    def clip(self, timeout):
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise httpcore.ReadTimeout("the time for this sync is up")
        return remaining if timeout is None else min(timeout, remaining)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream, deadline):
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes, timeout=None):
        return self._stream.read(max_bytes, self._deadline.clip(timeout))

    def write(self, buffer, timeout=None):
        self._stream.write(buffer, self._deadline.clip(timeout))

    def close(self):
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _Stream(self._stream.start_tls(ssl_context, server_hostname,
                                              self._deadline.clip(timeout)), self._deadline)

    def get_extra_info(self, info):
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, deadline):
        self._backend = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self._backend.connect_tcp(host, port, self._deadline.clip(timeout),
                                           local_address, socket_options)
        return _Stream(stream, self._deadline)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("no unix sockets")

    def sleep(self, seconds):
        time.sleep(min(seconds, max(0.0, self._deadline.at - time.monotonic())))


def origin(url):
    parts = urlsplit(url)
    return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)


def _unsafe(text):
    return any(ch in text for ch in "\r\n\0")


class Wire:
    """HTTP exchanges with one server as one user, within one deadline. Use as a context
    manager; its connections close at the end."""

    @sensitive_variables("password", "token")
    def __init__(self, username, password, *, seconds, max_bytes):
        if _unsafe(username) or _unsafe(password):
            raise CardDavError(_("The address book login holds characters a server cannot take."))
        token = base64.b64encode(f"{username}:{password}".encode("utf-8")).decode("ascii")
        self._authorization = f"Basic {token}"
        self.deadline = Deadline(seconds)
        self.max_bytes = max_bytes
        self._pool = httpcore.ConnectionPool(network_backend=_Backend(self.deadline),
                                             max_connections=2, retries=0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._pool.close()

    def send(self, method, url, body=b"", headers=None):
        """One exchange, redirects within the origin followed. Raises CardDavError."""
        start = origin(url)
        if start[0] not in ("http", "https") or not start[1]:
            raise CardDavError(_("The address book server's address is not an http(s) URL."))
        for _hop in range(MAX_REDIRECTS + 1):
            answer = self._once(method, url, body, headers or {})
            if answer.status == 401:
                raise Rejected(_("The address book server refused your login (your mail "
                                 "address and password)."), 401)
            if answer.status not in (301, 302, 307, 308):
                return answer
            location = answer.headers.get("location", "")
            target = urljoin(url, location)
            if not location or _unsafe(location) or origin(target) != start:
                raise CardDavError(_("The address book server sent Heron to another server."))
            url = target
        raise CardDavError(_("The address book server redirects in circles."))

    def _once(self, method, url, body, headers):
        if _unsafe(url):
            raise CardDavError(_("The address book server gave an address Heron will not use."))
        sent = [(b"Authorization", self._authorization.encode("ascii")),
                (b"User-Agent", b"Heron"), (b"Accept-Encoding", b"identity")]
        sent += [(name.encode("ascii"), value.encode("utf-8")) for name, value in headers.items()]
        timeouts = {"connect": CONNECT_SECONDS, "read": None, "write": None, "pool": None}
        try:
            with self._pool.stream(method, url, headers=sent, content=body,
                                   extensions={"timeout": timeouts}) as response:
                received = {name.decode("latin-1").lower(): value.decode("latin-1")
                            for name, value in response.headers}
                declared = received.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise TooLarge(_("The address book server sent more than Heron accepts."))
                chunks, size = [], 0
                for chunk in response.iter_stream():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge(_("The address book server sent more than Heron accepts."))
                    chunks.append(chunk)
                return Answer(response.status, received, b"".join(chunks))
        except httpcore.TimeoutException as error:
            raise ServerTimeout(_("The address book server did not answer in time.")) from error
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol,
                OSError) as error:
            raise CardDavError(_("The address book server cannot be reached.")) from error
