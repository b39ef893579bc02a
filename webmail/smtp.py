"""Sending over SMTP with the user's own credentials, or a service login acting for the
user (act_as): the only caller of smtplib.

Every recipient is offered to the server before the message is: if the server refuses any
of them, nothing is sent and the draft stays as it was.

Heron logs in before it sends. A server that offers no AUTH is refused (SmtpNoAuth) unless
the caller says it is a trusted relay: without a login the server cannot tell who sends.
Envelope addresses are checked before a connection is opened: one with a line break, a
control character, white space or angle brackets could end the MAIL or RCPT command and
smuggle in another, so it never reaches the socket.

The message streams: DATA is sent from a file in chunks, dot-stuffed and with CRLF line
ends here, so sending a large message holds one chunk, not copies of the whole message.

A caller that must know where a send is (a worker holding a lease on it) is called after
each chunk (on_chunk) and just before the terminating "." (before_end). Until before_end
has returned, whatever goes wrong, the server has no message; once it returned and "." is
written, the server decides, and a lost reply leaves the caller not knowing what it did.
"""
import io
import logging
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .imap.errors import MailError

log = logging.getLogger(__name__)


class SmtpError(MailError):
    """Sending failed; user_message says why, in the server's words where it gave some."""


class SmtpRefused(SmtpError):
    def __init__(self, reason):
        super().__init__(reason)
        self.user_message = gettext("The mail server did not accept the message: %(reason)s") % {
            "reason": reason}


class SmtpAuthFailed(SmtpError):
    user_message = _("The mail server refused your login for sending. Your message is kept "
                     "as a draft.")


class SmtpNoAuth(SmtpError):
    user_message = _("Sending is switched off: the mail server for sending does not ask for a "
                     "login (SMTP AUTH), so it could not check that you send only as yourself. "
                     "Nothing was sent and your message is kept as a draft. Please tell your "
                     "administrator.")


class SmtpBadAddress(SmtpRefused):
    """An envelope address that could end the SMTP command: refused before connecting."""

    def __init__(self, address):
        shown = _UNSAFE.sub("\ufffd", address[:80])
        super().__init__(f'"{shown}" cannot be used as a mail address: it holds a line break, '
                         f"a control character, a space or angle brackets")
        self.user_message = gettext(
            'Nothing was sent. "%(address)s" cannot be used as a mail address: it holds a line '
            "break, a control character, a space or angle brackets.") % {"address": shown}


class SmtpUnavailable(SmtpError):
    user_message = _("The mail server for sending cannot be reached right now. Your message "
                     "is kept as a draft; try again in a moment.")


@dataclass(frozen=True)
class Envelope:
    sender: str  # the address bounces go to
    recipients: tuple  # every To, Cc and Bcc address


# C0 and C1 controls, DEL, every kind of white space and line separator, and the brackets
# that delimit the path in MAIL FROM:<…> and RCPT TO:<…>.
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\xa0<>\s]")
CHUNK = 1 << 20
_LINE_ENDS = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.M)


def check_envelope(envelope):
    """Raises SmtpBadAddress for a sender or recipient that could not be sent safely."""
    for address in (envelope.sender, *envelope.recipients):
        if not address or _UNSAFE.search(address) or address.count("@") != 1:
            raise SmtpBadAddress(address)


def data_chunks(stream, size=CHUNK):
    """The message in `stream` (a binary file) as SMTP DATA wants it, in chunks of about
    `size` bytes: CRLF line ends, a dot doubled at the start of a line (RFC 5321 4.5.2),
    the last line ended. The terminating "." line is not included."""
    rest = b""
    while True:
        block = stream.read(size)
        chunk = rest + block
        # Cut after the last line end, so that every piece starts a line; a CR at the very
        # end waits for the next block, which may begin with its LF.
        cut = chunk.rfind(b"\n") + 1 if block else len(chunk)
        piece, rest = chunk[:cut], chunk[cut:]
        if piece:
            if piece.count(b"\r") != piece.count(b"\r\n") or piece.count(b"\n") != piece.count(
                    b"\r\n"):
                piece = _LINE_ENDS.sub(b"\r\n", piece)
            if piece.startswith(b".") or b"\n." in piece:
                piece = _LEADING_DOT.sub(b"..", piece)
            if not block and not piece.endswith(b"\r\n"):
                piece += b"\r\n"
            yield piece
        if not block:
            return


def _reason(code, text):
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(detail.split())}"[:300]


def _connect(config, timeout):
    context = ssl.create_default_context()
    if config.security == "ssl":
        return smtplib.SMTP_SSL(config.host, config.port, timeout=timeout, context=context)
    client = smtplib.SMTP(config.host, config.port, timeout=timeout)
    if config.security == "starttls":
        client.starttls(context=context)
    return client


def send(config, username, password, envelope, message, *, trusted_relay=False, act_as=None,
         on_chunk=None, before_end=None):
    """Submit message for envelope, logged in as username.

    message is bytes or a binary file positioned at the message's start (read to its end,
    in chunks); line ends may be CRLF or LF. With trusted_relay, a server that offers no
    AUTH is sent to without logging in; otherwise it is refused. With act_as, username and
    password are a service login acting for the user act_as: AUTH PLAIN with act_as as its
    authorization identity (RFC 4616).

    on_chunk() is called after each chunk of DATA is written, before_end() after the last
    one, just before the terminating "."; both without arguments. What either raises ends
    the send with nothing sent (the connection is dropped) and is raised as it is.

    Raises SmtpBadAddress (before connecting) for an envelope address holding a line break,
    a control character, white space or angle brackets; SmtpRefused (a recipient, the sender
    or the message refused, with the server's reply), SmtpNoAuth, SmtpAuthFailed or
    SmtpUnavailable. Raised before before_end returned, nothing was sent. Raised after it:
    SmtpRefused, the server refused the message; SmtpUnavailable, its reply was lost, and
    it may have taken the message."""
    check_envelope(envelope)
    stream = io.BytesIO(message) if isinstance(message, (bytes, bytearray)) else message
    try:
        client = _connect(config, settings.SMTP_TIMEOUT)
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpUnavailable(type(exc).__name__) from None
    try:
        client.ehlo_or_helo_if_needed()
        if client.has_extn("auth") and act_as is not None:
            _login_as(client, username, password, act_as)
        elif client.has_extn("auth"):
            client.login(username, password)
        elif not trusted_relay:
            log.warning("refused to send: %s:%s offers no SMTP AUTH", config.host, config.port)
            raise SmtpNoAuth("no AUTH")
        code, text = client.mail(envelope.sender, ["SMTPUTF8"] if _needs_utf8(envelope)
                                 and client.has_extn("smtputf8") else [])
        if code != 250:
            raise SmtpRefused(_reason(code, text))
        refused = []
        for recipient in envelope.recipients:
            code, text = client.rcpt(recipient)
            if code not in (250, 251):
                refused.append(f"{recipient}: {_reason(code, text)}")
        if refused:
            client.rset()
            raise SmtpRefused("; ".join(refused[:5]))
        size = _data(client, stream, on_chunk, before_end)
        log.info("sent a message of %d bytes to %d recipients", size, len(envelope.recipients))
    except smtplib.SMTPAuthenticationError:
        raise SmtpAuthFailed("authentication") from None
    except smtplib.SMTPResponseException as exc:
        raise SmtpRefused(_reason(exc.smtp_code, exc.smtp_error)) from None
    except (OSError, socket.timeout, smtplib.SMTPException) as exc:
        raise SmtpUnavailable(type(exc).__name__) from None
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _login_as(client, username, password, act_as):
    """AUTH PLAIN as username, acting for act_as (RFC 4616's authorization identity)."""
    if "PLAIN" not in client.esmtp_features.get("auth", "").upper().split():
        raise SmtpAuthFailed("the server offers no AUTH PLAIN to act for a user")
    if any("\0" in text for text in (username, password, act_as)) or not act_as:
        # A NUL would move PLAIN's fields: the login would be another's.
        raise SmtpAuthFailed("a login name or password holds NUL")
    if not all(text.isascii() for text in (username, password, act_as)):
        # smtplib's auth() sends only ASCII, as its login() does.
        raise SmtpAuthFailed("smtplib cannot send a non-ASCII login")
    client.auth("PLAIN", lambda challenge=None: f"{act_as}\0{username}\0{password}")


def _data(client, stream, on_chunk=None, before_end=None):
    """DATA from the stream in chunks (smtplib's data() wants the whole message, and copies
    it twice more to dot-stuff it and mend line ends), calling on_chunk() after each and
    before_end() before the final ".". Returns the bytes sent."""
    code, text = client.docmd("data")
    if code != 354:
        raise SmtpRefused(_reason(code, text))
    size = 0
    try:
        for chunk in data_chunks(stream):
            client.send(chunk)
            size += len(chunk)
            if on_chunk is not None:
                on_chunk()
        if before_end is not None:
            before_end()
        client.send(b".\r\n")
    except BaseException:
        # Half a message is on the wire: QUIT would be read as more of it, and the server
        # would answer nothing until the timeout. Dropping the connection discards it.
        client.close()
        raise
    code, text = client.getreply()
    if code != 250:
        raise SmtpRefused(_reason(code, text))
    return size


def _needs_utf8(envelope):
    return not all(address.isascii() for address in (envelope.sender, *envelope.recipients))
