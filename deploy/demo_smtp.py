#!/usr/bin/env python3
"""SMTP submission server for `make run`, next to the demo IMAP server (loopback only).

* AUTH PLAIN / LOGIN is required (allowed without TLS: loopback only); credentials are
  checked by logging in to the demo IMAP server, as the stack's server does, and PLAIN may
  carry an authorization identity (a service login acting for a user) as there. The demo
  server (pymap) lets only a login act for itself, so that is what `make run`'s service
  login does (deploy/run.sh).
* Mail for the sender's own address (a recipient whose local part is the login's, in any
  domain, or the bare login) is appended to that user's INBOX on the demo IMAP server, as
  that user: the demo has no delivery agent, and the user may append to their own INBOX.
* Mail for anyone else is accepted and written as an .eml file to the outbox folder (the
  demo has no other mailboxes), one log line per message.

Started and stopped by deploy/run.sh.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

from aiosmtpd.smtp import AuthResult
from imapclient import IMAPClient

# Run as a script, deploy/ is sys.path[0]: the stack's IMAP credential check is reused.
from stack.smtp_server import ImapAuthenticator, StackController, serve_until_signalled

log = logging.getLogger("heron-demo-smtp")
SERVER_NAME = "smtp.heron.demo"


@dataclass(frozen=True)
class Credentials:
    login: str
    password: str = field(repr=False)  # never in a log line, even by accident
    act_as: str = ""  # PLAIN's authorization identity: the user the login acts for

    @property
    def user(self) -> str:
        """Whose session this is."""
        return self.act_as or self.login

    def log_in(self, client: IMAPClient) -> None:
        if self.act_as:
            client.plain_login(self.login, self.password, authorization_identity=self.act_as)
        else:
            client.login(self.login, self.password)


class DemoAuthenticator(ImapAuthenticator):
    """The stack's IMAP check, keeping the login and password on the SMTP session.

    Local delivery appends as the user who authenticated, so it needs their password; it
    lives in `session.auth_data`, which aiosmtpd drops with the connection (RFC 4954 allows
    one AUTH per connection, so that is the span of the user's transactions)."""

    def __call__(self, server, session, envelope, mechanism, auth_data):
        result = super().__call__(server, session, envelope, mechanism, auth_data)
        if not result.success:
            return result
        return AuthResult(success=True, auth_data=Credentials(
            auth_data.login.decode("utf-8", "replace"),
            auth_data.password.decode("utf-8", "replace"),
            getattr(auth_data, "authzid", b"").decode("utf-8", "replace")))


def local_part(address: str) -> str:
    return address.rpartition("@")[0].casefold() if "@" in address else address.casefold()


class DemoDelivery:
    """aiosmtpd handler: the sender's own mail into their INBOX, the rest to the outbox."""

    def __init__(self, imap_host: str, imap_port: int, outbox: Path):
        self.imap_host = imap_host
        self.imap_port = imap_port
        self.outbox = outbox

    async def handle_DATA(self, server, session, envelope):
        credentials = session.auth_data
        own = [r for r in envelope.rcpt_tos if local_part(r) == local_part(credentials.user)]
        others = [r for r in envelope.rcpt_tos if r not in own]
        trace = (
            f"Return-Path: <{envelope.mail_from}>\r\n"
            f"Received: from {session.host_name or 'unknown'} ({session.peer[0]})\r\n"
            f"\tby {SERVER_NAME} (heron-demo) with ESMTPA id {os.urandom(6).hex()};\r\n"
            f"\t{formatdate(localtime=True)}\r\n"
        ).encode()
        content = trace + envelope.original_content
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self.deliver, credentials, own, others,
                                       envelope.mail_from, content)
        except (OSError, IMAPClient.Error) as exc:
            log.error("delivery failed for %s: %s", credentials.user, exc)
            return "451 4.3.0 Local delivery temporarily unavailable"
        return "250 2.0.0 Message accepted for delivery"

    def deliver(self, credentials, own, others, mail_from, content):
        # The outbox file is written first and taken back if the append fails, so that a
        # 451 leaves nothing behind and the client's retry does not duplicate the message.
        path = self.write_outbox(mail_from, others, content) if others else None
        if own:
            try:
                with IMAPClient(self.imap_host, port=self.imap_port, ssl=False,
                                timeout=10) as client:
                    credentials.log_in(client)
                    client.append("INBOX", content)
            except (OSError, IMAPClient.Error):
                if path:
                    path.unlink(missing_ok=True)
                raise
            log.info("INBOX of %s: from=<%s> to=%s size=%d",
                     credentials.user, mail_from, own, len(content))
        if path:
            log.info("outbox: from=<%s> to=%s file=%s size=%d",
                     mail_from, others, path, len(content))

    def write_outbox(self, mail_from, recipients, content) -> Path:
        # Bcc recipients appear in no header, so the envelope is written down too.
        envelope = f"X-Envelope-To: {', '.join(recipients)}\r\n".encode()
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.urandom(4).hex()}.eml"
        path = self.outbox / name
        with open(path, "xb") as fh:
            fh.write(envelope + content)
        return path


def loopback(host: str) -> str:
    try:
        if host == "localhost" or ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{host} is not a loopback address: AUTH runs without TLS")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", type=loopback, default="127.0.0.1")
    ap.add_argument("--port", type=int, default=1587)
    ap.add_argument("--imap-host", type=loopback, default="127.0.0.1")
    ap.add_argument("--imap-port", type=int, default=1143)
    ap.add_argument("--outbox", type=Path, default=Path(".run/outbox"),
                    help="folder for mail to anyone but the sender (default: .run/outbox)")
    args = ap.parse_args()

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # AUTH without TLS is deliberate (loopback only): silence aiosmtpd's warnings. Its own
    # log would also show the AUTH exchange at debug level.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    args.outbox.mkdir(parents=True, exist_ok=True)

    controller = StackController(
        DemoDelivery(args.imap_host, args.imap_port, args.outbox),
        hostname=args.host,
        port=args.port,
        server_hostname=SERVER_NAME,
        authenticator=DemoAuthenticator(args.imap_host, args.imap_port),
        auth_required=True,
        auth_require_tls=False,
        data_size_limit=50 * 1024 * 1024,
    )
    controller.start()
    log.info("listening on %s:%d, checking logins at IMAP %s:%d, outbox %s",
             args.host, args.port, args.imap_host, args.imap_port, args.outbox)

    serve_until_signalled(controller)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
