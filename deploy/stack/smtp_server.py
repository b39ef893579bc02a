#!/usr/bin/env python3
"""SMTP submission server for the local stack (loopback only).

* AUTH PLAIN / LOGIN (allowed without TLS: loopback only); credentials are
  checked by logging into the stack's IMAP server (--imap-port). A user of the
  local domain whose mailbox lives on another server (--more-imap-port: the
  second Dovecot, behind the stack's IMAP proxy) is checked there when the
  first refuses the login.
  PLAIN may carry an authorization identity (RFC 4616), as Heron's service
  login does to act for a user: it is checked by an IMAP PLAIN login with the
  same authorization identity (a Dovecot master user), and the session is then
  that user's.
* A recipient whose local part ends with "+slow" (bob+slow@heron.test) is
  answered only after HERON_STACK_SMTP_SLOW_SECONDS (default 5, read at start)
  and delivered to the address without "+slow": tests stop a sender mid-send.
* Recipients must be in the local domain (default heron.test) and, when a
  passwd-file is given, be known users; anything else gets a 550.
* Without AUTH the server acts as the domain's MX, for loopback clients only:
  mail to local users is taken (the mail servers' Sieve vacation replies and
  redirects arrive this way, often with the null sender), anything else gets a
  530. An authenticated session may send to the same local users, no more.
* Accepted mail is delivered over LMTP (--lmtp-port: Dovecot's, or Cyrus's for
  the second instance), one transaction per recipient (smtplib reads only a
  single reply after DATA), so the server's Sieve runs on it.

Started in the background by deploy/stack/up.sh; stopped by down.sh.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
import smtplib
import socket
import threading
import warnings
from base64 import b64decode
from email.utils import formatdate
from typing import NamedTuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword
from imapclient import IMAPClient

log = logging.getLogger("heron-smtp")
SLOW_SUFFIX = "+slow"


class PlainLogin(NamedTuple):
    """What AUTH PLAIN carried, the authorization identity included (empty: none)."""

    login: bytes
    password: bytes
    authzid: bytes = b""

    def __repr__(self) -> str:
        return f"PlainLogin(login={self.login!r}, authzid={self.authzid!r}, password=...)"


class AuthzidSMTP(SMTP):
    """aiosmtpd's SMTP, with an AUTH PLAIN that keeps the authorization identity
    (aiosmtpd's own drops it) and hands the authenticator a PlainLogin."""

    async def auth_PLAIN(self, _, args):
        if len(args) == 1:
            response = await self.challenge_auth("")
            if response is MISSING:
                return AuthResult(success=False)
        else:
            try:
                response = b64decode(args[1].encode(), validate=True)
            except ValueError:
                await self.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        try:
            authzid, login, password = response.split(b"\x00")
        except ValueError:
            await self.push("501 5.5.2 Can't split auth value")
            return AuthResult(success=False, handled=True)
        # _authenticate is aiosmtpd's own way to its authenticator (no public one).
        return self._authenticate("PLAIN", PlainLogin(login, password, authzid))


    async def smtp_MAIL(self, arg):
        # RFC 4954 section 5: MAIL FROM may carry AUTH=<submitter> when AUTH is offered
        # (Cyrus's smtpclient sends AUTH=<> with its vacation replies). aiosmtpd knows no
        # such parameter and would refuse the command; it carries nothing this server uses.
        if arg:
            arg = " ".join(word for word in arg.split(" ") if not word.upper().startswith("AUTH="))
        return await super().smtp_MAIL(arg)


class StackController(Controller):
    """aiosmtpd's Controller serving AuthzidSMTP (factory() is its documented hook)."""

    def factory(self):
        return AuthzidSMTP(self.handler, **self.SMTP_kwargs)


class ImapAuthenticator:
    """aiosmtpd authenticator that validates credentials against IMAP: the first
    server's, then, for a user of the local domain, each of the more_ports in turn."""

    def __init__(self, host: str, port: int, domain: str = "", more_ports: tuple[int, ...] = ()):
        self.host = host
        self.port = port
        self.domain = domain.lower()
        self.more_ports = more_ports

    def check(self, username: str, password: str, authzid: str = "") -> bool:
        ports = [self.port]
        # Only the local domain's users may live elsewhere: the other servers' own users
        # (other.test) do not send through this one.
        if self.domain and (authzid or username).lower().endswith(f"@{self.domain}"):
            ports.extend(self.more_ports)
        return any(self.check_on(port, username, password, authzid) for port in ports)

    def check_on(self, port: int, username: str, password: str, authzid: str) -> bool:
        try:
            with IMAPClient(self.host, port=port, ssl=False, timeout=10) as client:
                # the with-block logs out
                if authzid:
                    client.plain_login(username, password, authorization_identity=authzid)
                else:
                    client.login(username, password)
            return True
        except IMAPClient.Error:
            return False
        except OSError as exc:
            log.error("IMAP server on port %d unreachable for auth check: %s", port, exc)
            return False

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(auth_data, (LoginPassword, PlainLogin)):
            return AuthResult(success=False, handled=False)
        username = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        authzid = getattr(auth_data, "authzid", b"").decode("utf-8", "replace")
        ok = self.check(username, password, authzid)
        acting = f" for {authzid}" if authzid else ""
        log.info("AUTH %s as %s%s from %s: %s", mechanism, username, acting, session.peer,
                 "ok" if ok else "failed")
        if not ok:
            return AuthResult(success=False, handled=False)
        # The session is the user's whom the login acts for.
        return AuthResult(success=True, auth_data=authzid or username)


class LmtpRelay:
    """aiosmtpd handler: accept local recipients, deliver them over LMTP."""

    def __init__(self, domain: str, lmtp_host: str, lmtp_port: int, passwd_file: str | None,
                 slow_seconds: float = 5.0):
        self.domain = domain.lower()
        self.lmtp_host = lmtp_host
        self.lmtp_port = lmtp_port
        self.passwd_file = passwd_file
        self.slow_seconds = slow_seconds

    def known_user(self, address: str) -> bool:
        if not self.passwd_file:
            return True
        try:
            with open(self.passwd_file, encoding="utf-8") as fh:
                users = {line.split(":", 1)[0].strip().lower() for line in fh if ":" in line}
        except OSError:
            return True  # let LMTP decide
        return address.lower() in users

    @staticmethod
    def from_loopback(session) -> bool:
        try:
            return ipaddress.ip_address(session.peer[0]).is_loopback
        except (TypeError, ValueError, IndexError):
            return False

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if not session.authenticated and not self.from_loopback(session):
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local, _, domain = address.rpartition("@")
        if not session.authenticated and (domain.lower() != self.domain or not self.from_loopback(session)):
            # Unauthenticated mail (an MX's) is taken for local users only.
            return "530 5.7.0 Authentication required"
        if local.lower().endswith(SLOW_SUFFIX):
            # For tests that stop a sender in the middle of a send: this answer is late.
            await asyncio.sleep(self.slow_seconds)
            log.info("RCPT %s answered after %.1f s", address, self.slow_seconds)
            address = f"{local[:-len(SLOW_SUFFIX)]}@{domain}"
        if domain.lower() != self.domain:
            return f"550 5.7.1 Relaying denied: only @{self.domain} recipients are accepted"
        if not self.known_user(address):
            return f"550 5.1.1 <{address}>: no such user"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    def deliver(self, mail_from: str, rcpts: list[str], content: bytes) -> dict[str, str]:
        """Deliver to each recipient; return {recipient: error} for failures."""
        failed: dict[str, str] = {}
        with smtplib.LMTP(self.lmtp_host, self.lmtp_port, timeout=30) as lmtp:
            for rcpt in rcpts:
                try:
                    lmtp.sendmail(mail_from, [rcpt], content)
                except smtplib.SMTPRecipientsRefused as exc:
                    code, msg = exc.recipients[rcpt]
                    failed[rcpt] = f"{code} {msg.decode(errors='replace')}"
                except smtplib.SMTPResponseException as exc:
                    failed[rcpt] = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
                    lmtp.rset()
        return failed

    async def handle_DATA(self, server, session, envelope):
        user = session.auth_data if isinstance(session.auth_data, str) else "?"
        how = f"ESMTPA id {os.urandom(6).hex()}\r\n\t(authenticated as {user})"
        if not session.authenticated:
            user = "-"
            how = f"ESMTP id {os.urandom(6).hex()}\r\n\t(local delivery)"
        received = (
            f"Received: from {session.host_name or 'unknown'} ({session.peer[0]})\r\n"
            f"\tby smtp.{self.domain} (heron-stack) with {how}; {formatdate(localtime=True)}\r\n"
        ).encode()
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        loop = asyncio.get_running_loop()
        try:
            failed = await loop.run_in_executor(
                None, self.deliver, envelope.mail_from, list(envelope.rcpt_tos), received + content)
        except (OSError, smtplib.SMTPException) as exc:
            log.error("LMTP delivery failed: %s", exc)
            return "451 4.3.0 Local delivery temporarily unavailable"
        delivered = [r for r in envelope.rcpt_tos if r not in failed]
        log.info("from=<%s> user=%s delivered=%s failed=%s size=%d",
                 envelope.mail_from, user, delivered, failed, len(content))
        if not delivered:
            first = next(iter(failed.values()), "")
            return "451 4.3.0 Delivery failed" if first.startswith("4") else "550 5.1.1 Delivery failed"
        return "250 2.0.0 Message accepted for delivery"


def serve_until_signalled(controller):
    """Run the started controller until SIGTERM or SIGINT, then stop it."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1):
        pass
    log.info("shutting down")
    controller.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=51587)
    ap.add_argument("--imap-host", default="127.0.0.1")
    ap.add_argument("--imap-port", type=int, default=51143)
    ap.add_argument("--lmtp-host", default="127.0.0.1")
    ap.add_argument("--lmtp-port", type=int, default=51024)
    ap.add_argument("--domain", default="heron.test")
    ap.add_argument("--more-imap-port", type=int, action="append", default=[], metavar="PORT",
                    help="another IMAP server on --imap-host holding some --domain users, where "
                         "their logins are checked (repeatable)")
    ap.add_argument("--passwd-file", help="Dovecot passwd-file, used to reject unknown users early")
    ap.add_argument("--pidfile")
    ap.add_argument("--slow-seconds", type=float,
                    default=float(os.environ.get("HERON_STACK_SMTP_SLOW_SECONDS") or 5),
                    help='how late a "+slow" recipient is answered (default: '
                         "HERON_STACK_SMTP_SLOW_SECONDS, else 5)")
    args = ap.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # AUTH without TLS is deliberate (loopback only): silence aiosmtpd's warnings.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")

    controller = StackController(
        LmtpRelay(args.domain, args.lmtp_host, args.lmtp_port, args.passwd_file, args.slow_seconds),
        hostname=args.host,
        port=args.port,
        server_hostname=f"smtp.{args.domain}",
        authenticator=ImapAuthenticator(args.imap_host, args.imap_port, args.domain,
                                        tuple(args.more_imap_port)),
        # AUTH is enforced per command above: unauthenticated local delivery is allowed.
        auth_required=False,
        auth_require_tls=False,
        data_size_limit=50 * 1024 * 1024,
    )
    controller.start()
    if args.pidfile:
        with open(args.pidfile, "w") as fh:
            fh.write(f"{os.getpid()}\n")
    log.info("listening on %s:%d (host %s), delivering to LMTP %s:%d",
             args.host, args.port, socket.gethostname(), args.lmtp_host, args.lmtp_port)

    serve_until_signalled(controller)
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except FileNotFoundError:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
