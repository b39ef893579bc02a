"""The ManageSieve client (RFC 5804): one adapter over sievelib's Client.

Every operation — connect, TLS, login and the command — runs under one deadline (wire.py);
every failure becomes an error of errors.py with a message for the user. sievelib lacks a
public API for a few things Heron needs, so this module, and only this module, uses these
private names of sievelib.managesieve.Client (each use says which API is missing):
  _Client__get_capabilities  read the greeting over a socket Heron made (connect() makes its
                             own socket, with no connect timeout)
  _Client__capabilities      forget the capabilities after STARTTLS, and ask for VERSION
  _Client__read_buffer       drop anything a server sent in clear after STARTTLS's OK
  _Client__authenticate      log in over that socket (connect() would make a new one)
  _Client__send_command      STARTTLS over Heron's TLS context; GETSCRIPT/PUTSCRIPT with the
                             script's exact bytes (getscript() and putscript() rewrite line
                             breaks and drop the final one)
  _Client__read_block        overridden to keep a literal's exact bytes (GETSCRIPT's script)
"""
import logging
import re
import ssl
from dataclasses import dataclass

from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables
from sievelib import managesieve

from . import wire
from .errors import SieveAuthFailed, SieveRefused, SieveTooLarge, SieveUnavailable
from .validation import max_script_bytes

log = logging.getLogger(__name__)

SECURITIES = ("starttls-if-offered", "starttls", "ssl", "none")
CHECK_NAME = "heron-check"
MAX_NAME_BYTES = 128
# RFC 5804 section 1.6: no control characters (C0, DEL, C1) nor line/paragraph separators in
# a script name; also no quote, backslash or slash, which sievelib's LISTSCRIPTS reading and
# file-based servers (Dovecot keeps a script as a file) cannot take.
_BAD_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029"\\/]')
_BAD_CREDENTIAL = re.compile(r"[\r\n\x00]")
_LINE = re.compile(r"\bline (\d+)\b", re.IGNORECASE)
# What the server says when the script would not fit its quota (RFC 5804 section 1.3).
_QUOTA = re.compile(rb"^QUOTA", re.IGNORECASE)
PROTOCOL_ERRORS = (managesieve.Error, UnicodeError, ValueError, IndexError, KeyError,
                   TypeError, AttributeError)


@dataclass(frozen=True)
class SieveServer:
    host: str
    port: int
    security: str  # one of SECURITIES


@dataclass(frozen=True)
class ScriptInfo:
    name: str
    active: bool


def check_script_name(name):
    """Refuse a script name RFC 5804 does not allow (or that is empty or too long)."""
    if (not isinstance(name, str) or not name or _BAD_NAME.search(name)
            or len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES
            or any("\ud800" <= char <= "\udfff" for char in name)):
        raise SieveRefused(gettext(
            "A filter set name must be 1 to %(count)d characters, without line breaks, "
            "quotes, slashes or backslashes.") % {"count": MAX_NAME_BYTES})


@sensitive_variables("password")
def check_credentials(username, password):
    """Refuse a login name or password that would break the protocol line it is sent in."""
    if _BAD_CREDENTIAL.search(username) or _BAD_CREDENTIAL.search(password):
        raise SieveAuthFailed(gettext(
            "Your login name or password holds a line break or NUL character, which the "
            "filter server cannot take."))


def script_bytes(text):
    """The script as the UTF-8 bytes sent, or SieveRefused / SieveTooLarge."""
    if "\x00" in text:
        raise SieveRefused(gettext("A filter script cannot hold a NUL character."))
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise SieveRefused(gettext("The filter script is not valid text.")) from None
    limit = max_script_bytes()
    if len(data) > limit:
        raise SieveTooLarge(gettext(
            "The filters are %(size)d KiB; the most this server takes is %(limit)d KiB.")
            % {"size": -(-len(data) // 1024), "limit": limit // 1024})
    return data


def refusal(detail, script=True):
    """SieveRefused for what the server said (already decoded) about a script (or, with
    script=False, about another request), with the script line it named."""
    detail = " ".join(detail.split())[:300]
    found = _LINE.search(detail) if script else None
    if script:
        message = (gettext("The filter server refused the script: %(detail)s")
                   % {"detail": detail} if detail
                   else gettext("The filter server refused the script."))
    else:
        message = (gettext("The filter server refused: %(detail)s") % {"detail": detail}
                   if detail else gettext("The filter server refused the request."))
    return SieveRefused(message, line=int(found.group(1)) if found else None)


def _server_text(raw):
    """What a server said, as printable text (never raw bytes)."""
    text = (raw or b"").decode("utf-8", "replace")
    return "".join(char if char.isprintable() or char in "\r\n\t" else "?" for char in text)


class _Client(managesieve.Client):
    """sievelib's Client, keeping the exact bytes of the literals it reads."""

    def __init__(self, host, port):
        super().__init__(host, port)
        self.literals = []

    def _Client__read_block(self, size):  # no public API gives a literal's exact bytes
        block = managesieve.Client._Client__read_block(self, size)
        self.literals.append(block)
        return block

    def command(self, name, *args):
        """(code, data) of a command; self.literals holds the literals of its answer."""
        self.literals = []
        return self._Client__send_command(name, list(args))


def _literal(data):
    # "{N+}" CRLF data: a non-synchronizing literal, which sievelib sends as it is.
    return b"{%d+}\r\n%s" % (len(data), data)


class SieveSession:
    """One logged-in ManageSieve connection; every method runs under the deadline it was
    opened with and raises only errors of errors.py."""

    def __init__(self, client, deadline, server):
        self._client = client
        self._deadline = deadline
        self._server = server
        self.extensions = frozenset(ext.lower() for ext in client.get_sieve_capabilities())
        try:
            implementation = client.get_implementation()
        except KeyError:
            implementation = ""
        self.implementation = _server_text(implementation.encode("utf-8"))
        # A server that does not announce VERSION (RFC 5804 section 1.7) need not know
        # CHECKSCRIPT; no public API of sievelib tells whether it was announced.
        self._checkscript = "VERSION" in client._Client__capabilities

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _run(self, operation, *args):
        try:
            return operation(*args)
        except (OSError, *PROTOCOL_ERRORS) as exc:
            log.warning("ManageSieve %s:%s failed: %s", self._server.host, self._server.port,
                        type(exc).__name__)
            self._drop()
            raise _unavailable(exc, self._deadline) from None

    def _said(self):
        return _server_text(self._client.errmsg)

    def _refused(self, script=True):
        if _QUOTA.match(self._client.errcode or b""):
            return SieveTooLarge(gettext(
                "The filters are too large for your space on the filter server."))
        return refusal(self._said(), script)

    def list_scripts(self):
        listing = self._run(self._client.listscripts)
        if listing is None:
            raise self._refused(script=False)
        active, others = listing
        found = [ScriptInfo(active, True)] if active else []
        return found + [ScriptInfo(name, False) for name in others]

    def get_script(self, name):
        """The script's text exactly as stored, or None when there is no such script."""
        check_script_name(name)
        code, _data = self._run(self._client.command, "GETSCRIPT", name.encode("utf-8"))
        if code != "OK":
            if (self._client.errcode or b"").upper().startswith(b"NONEXISTENT"):
                return None
            raise self._refused(script=False)
        raw = self._client.literals[0] if self._client.literals else b""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SieveUnavailable(gettext(
                "The filter server sent a script that is not UTF-8 text; Heron cannot "
                "edit it safely.")) from None

    def check_script(self, text):
        """Ask the server whether the script is valid: CHECKSCRIPT, or where the server
        lacks it, PUTSCRIPT under a scratch name and DELETESCRIPT. Raises SieveRefused."""
        data = script_bytes(text)
        if self._checkscript:
            code, _data = self._run(self._client.command, "CHECKSCRIPT", _literal(data))
            if code != "OK":
                raise self._refused()
            return
        try:
            self.put_script(CHECK_NAME, text)
        except SieveRefused as refused:
            # Dovecot names the script in its answer: the scratch name means nothing to users.
            raise SieveRefused(refused.message.replace(CHECK_NAME + ": ", ""),
                               line=refused.line) from None
        self.delete_script(CHECK_NAME)

    def put_script(self, name, text):
        """Store the script under name, byte for byte. Raises SieveRefused, SieveTooLarge."""
        check_script_name(name)
        data = script_bytes(text)
        code, _data = self._run(self._client.command, "PUTSCRIPT", name.encode("utf-8"),
                                _literal(data))
        if code != "OK":
            raise self._refused()

    def activate(self, name):
        """Make the named script the active one; "" leaves no script active."""
        if name:
            check_script_name(name)
        if not self._run(self._client.setactive, name):
            raise self._refused(script=False)

    def delete_script(self, name):
        """Delete the named script; one that is already gone is no error."""
        check_script_name(name)
        if self._run(self._client.deletescript, name):
            return
        if (self._client.errcode or b"").upper().startswith(b"NONEXISTENT"):
            return
        raise self._refused(script=False)

    def close(self):
        """Log out and drop the connection; never raises."""
        if self._client.sock is None:
            return
        try:
            self._client.logout()
        except (OSError, *PROTOCOL_ERRORS):
            log.debug("logging out of a broken ManageSieve connection failed")
        self._drop()

    def _drop(self):
        sock, self._client.sock = self._client.sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                log.debug("closing a ManageSieve socket failed")


def _unavailable(exc, deadline):
    # sievelib turns a read's timeout into its own Error: the deadline tells what happened.
    if isinstance(exc, TimeoutError) or deadline.expired():
        return SieveUnavailable(gettext(
            "The filter server did not answer in time. Please try again in a moment."))
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SieveUnavailable(gettext(
            "The filter server's certificate could not be verified."))
    if isinstance(exc, ssl.SSLError):
        return SieveUnavailable(gettext("A secure connection to the filter server failed."))
    return SieveUnavailable()


@sensitive_variables("password")
def open_sieve(server, username, password, *, seconds):
    """A logged-in SieveSession (a context manager that closes it) on server, every step
    of which — and of each command after — ends within `seconds` of this call.

    Raises SieveUnavailable (down, slow, TLS failure, garbage, STARTTLS required but not
    offered) or SieveAuthFailed (login refused, or a credential with CR/LF/NUL)."""
    check_credentials(username, password)
    if server.security not in SECURITIES:
        raise ValueError(f"unknown ManageSieve security {server.security!r}")
    deadline = wire.Deadline(seconds)
    client = _Client(server.host, server.port)
    try:
        client.sock = wire.connect(server.host, server.port, deadline)
        if server.security == "ssl":
            client.sock = wire.wrap_tls(client.sock, server.host, deadline)
        if not client._Client__get_capabilities():
            raise managesieve.Error("no capabilities")
        if server.security in ("starttls", "starttls-if-offered") and client.has_tls_support():
            _starttls(client, server.host, deadline)
        elif server.security == "starttls":
            raise SieveUnavailable(gettext(
                "The filter server does not offer a secure connection (STARTTLS), so Heron "
                "will not send your password to it."))
        if not client._Client__authenticate(username, password):
            if client.errmsg == b"No suitable mechanism found":
                raise SieveUnavailable(gettext(
                    "The filter server offers no login method Heron can use."))
            raise SieveAuthFailed()
        session = SieveSession(client, deadline, server)
    except (OSError, *PROTOCOL_ERRORS) as exc:
        log.warning("ManageSieve %s:%s: could not open: %s", server.host, server.port,
                    type(exc).__name__)
        _close_quietly(client)
        raise _unavailable(exc, deadline) from None
    except (SieveUnavailable, SieveAuthFailed):
        _close_quietly(client)
        raise
    return session


def _starttls(client, host, deadline):
    code, _data = client.command("STARTTLS")
    if code != "OK":
        raise SieveUnavailable(gettext("The filter server refused a secure connection."))
    # Anything read past the OK came in clear before TLS, so it cannot be trusted.
    client._Client__read_buffer = b""
    client.sock = wire.wrap_tls(client.sock, host, deadline)
    # RFC 5804 section 2.2: the server sends its capabilities again after the handshake.
    client._Client__capabilities = {}
    if not client._Client__get_capabilities():
        raise managesieve.Error("no capabilities after STARTTLS")


def _close_quietly(client):
    sock, client.sock = client.sock, None
    if sock is not None:
        try:
            sock.close()
        except OSError:
            log.debug("closing a ManageSieve socket failed")
