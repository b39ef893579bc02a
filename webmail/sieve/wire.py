"""Sockets that honour one deadline for a whole ManageSieve operation.

sievelib's Client has no connect timeout and only a per-recv read timeout, so a server that
answers a byte at a time could hold a request forever. Every recv and send here first sets
the socket's timeout to the time left, and fails with TimeoutError once none is left; the
TLS socket class does the same, and the TLS handshake is bounded by the time left when it
starts (CPython bounds a handshake by the socket's timeout as a whole).
"""
import socket
import ssl
import time


class Deadline:
    """A point in time after which no connect, read or write may wait any longer."""

    def __init__(self, seconds):
        self.at = time.monotonic() + seconds

    def expired(self):
        return time.monotonic() >= self.at

    def remaining(self):
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the time for this ManageSieve operation is up")
        return left


class _HonoursDeadline:
    """recv and send of a socket class that first wait no longer than the deadline."""

    deadline: Deadline | None = None

    def _arm(self):
        if self.deadline is not None:
            self.settimeout(self.deadline.remaining())  # type: ignore[attr-defined]

    def recv(self, *args, **kwargs):
        self._arm()
        return super().recv(*args, **kwargs)  # type: ignore[misc]

    def recv_into(self, *args, **kwargs):
        self._arm()
        return super().recv_into(*args, **kwargs)  # type: ignore[misc]

    def send(self, *args, **kwargs):
        self._arm()
        return super().send(*args, **kwargs)  # type: ignore[misc]

    def sendall(self, *args, **kwargs):
        self._arm()
        return super().sendall(*args, **kwargs)  # type: ignore[misc]


class DeadlineSocket(_HonoursDeadline, socket.socket):
    """A TCP socket whose every read and write waits at most until its deadline."""


class DeadlineSSLSocket(_HonoursDeadline, ssl.SSLSocket):
    """The TLS socket of a deadline_context(): its reads and writes honour the deadline."""


def deadline_context():
    """A TLS context with default verification (the system's CAs, the host name checked)
    whose sockets honour their deadline."""
    context = ssl.create_default_context()
    context.sslsocket_class = DeadlineSSLSocket
    return context


def connect(host, port, deadline):
    """A DeadlineSocket connected to host:port within the deadline (OSError otherwise)."""
    plain = socket.create_connection((host, port), timeout=deadline.remaining())
    sock = DeadlineSocket(plain.family, plain.type, plain.proto, fileno=plain.detach())
    sock.deadline = deadline
    return sock


def wrap_tls(sock, host, deadline, context=None):
    """The socket wrapped in TLS for host, the handshake done within the deadline."""
    sock.settimeout(deadline.remaining())
    wrapped = (context or deadline_context()).wrap_socket(sock, server_hostname=host)
    wrapped.deadline = deadline
    return wrapped
