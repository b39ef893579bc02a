"""Sending over SMTP with the user's own credentials: the only caller of smtplib.

Every recipient is offered to the server before the message is: if the server refuses any
of them, nothing is sent and the draft stays as it was.
"""
import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass

from django.conf import settings

from .imap.errors import MailError

log = logging.getLogger(__name__)


class SmtpError(MailError):
    """Sending failed; user_message says why, in the server's words where it gave some."""


class SmtpRefused(SmtpError):
    def __init__(self, reason):
        super().__init__(reason)
        self.user_message = f"The mail server did not accept the message: {reason}"


class SmtpAuthFailed(SmtpError):
    user_message = ("The mail server refused your login for sending. Your message is kept "
                    "as a draft.")


class SmtpUnavailable(SmtpError):
    user_message = ("The mail server for sending cannot be reached right now. Your message "
                    "is kept as a draft; try again in a moment.")


@dataclass(frozen=True)
class Envelope:
    sender: str  # the address bounces go to
    recipients: tuple  # every To, Cc and Bcc address


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


def send(config, username, password, envelope, message):
    """Submit message (bytes, CRLF line ends) for envelope, logged in as username.

    Raises SmtpRefused (a recipient, the sender or the message refused, with the server's
    reply), SmtpAuthFailed or SmtpUnavailable; on any of them nothing was sent."""
    try:
        client = _connect(config, settings.SMTP_TIMEOUT)
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpUnavailable(type(exc).__name__) from None
    try:
        client.ehlo_or_helo_if_needed()
        if client.has_extn("auth"):
            client.login(username, password)
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
        code, text = client.data(message)
        if code != 250:
            raise SmtpRefused(_reason(code, text))
        log.info("sent a message of %d bytes to %d recipients", len(message),
                 len(envelope.recipients))
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


def _needs_utf8(envelope):
    return not all(address.isascii() for address in (envelope.sender, *envelope.recipients))
