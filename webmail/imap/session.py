"""MailSession: one logged-in IMAP connection, its capabilities and its fallbacks.

Everything Heron asks of an IMAP server goes through a MailSession; the rest of the code
sees only the domain objects of types.py and the errors of errors.py.
"""
import logging
import math
import socket
import ssl
import time

from imapclient import IMAPClient
from imapclient import exceptions as imap_exceptions

from . import parse, structure
from .errors import AuthFailed, MailboxNotFound, MailError, MailServerUnavailable, MessageGone
from .types import Message, MessagePage, MessageSummary

log = logging.getLogger(__name__)

SUMMARY_FIELDS = ["ENVELOPE", "FLAGS", "RFC822.SIZE", "BODYSTRUCTURE", "INTERNALDATE"]
# Sort orders Heron offers; the names are RFC 5256 sort keys.
SORT_KEYS = {"date": "DATE", "arrival": "ARRIVAL", "from": "FROM", "to": "TO",
             "subject": "SUBJECT", "size": "SIZE"}
BODY_LIMIT = 2 * 1024 * 1024
_NETWORK_ERRORS = (OSError, ssl.SSLError, socket.timeout, imap_exceptions.IMAPClientAbortError)


class MailSession:
    """A connection to one account on one IMAP server.

    Create it, call login(), then use the query methods; close() logs out. A dropped
    connection (server restart, idle timeout) is re-made and the command retried once, so
    a pooled session survives what the server did while it sat idle.
    """

    def __init__(self, config, timeout=15):
        self.config = config
        self.timeout = timeout
        self.commands = 0  # IMAP commands sent, for Server-Timing and tests
        self.imap_seconds = 0.0
        self._client = None
        self._credentials = None
        self._selected = None

    # --- connection ---------------------------------------------------------------------
    def _connect(self):
        security = self.config.security
        context = ssl.create_default_context() if security in ("ssl", "starttls") else None
        try:
            client = IMAPClient(self.config.host, port=self.config.port, use_uid=True,
                                ssl=security == "ssl", ssl_context=context,
                                timeout=self.timeout)
            if security == "starttls":
                client.starttls(context)
        except imap_exceptions.IMAPClientError as exc:
            raise MailServerUnavailable(str(exc)) from None
        except _NETWORK_ERRORS as exc:
            raise MailServerUnavailable(f"{type(exc).__name__}: {exc}") from None
        client.normalise_times = False
        return client

    def login(self, username, password):
        """Connect and log in; raises AuthFailed or MailServerUnavailable."""
        client = self._connect()
        started = time.monotonic()
        try:
            client.login(username, password)
        except imap_exceptions.LoginError:
            self._quietly_close(client)
            raise AuthFailed("the server refused the login") from None
        except imap_exceptions.IMAPClientError as exc:
            self._quietly_close(client)
            raise AuthFailed(str(exc)) from None
        except _NETWORK_ERRORS as exc:
            self._quietly_close(client)
            raise MailServerUnavailable(f"{type(exc).__name__}") from None
        finally:
            self.commands += 1
            self.imap_seconds += time.monotonic() - started
        self._client = client
        self._credentials = (username, password)
        self._selected = None

    @property
    def connected(self):
        return self._client is not None

    def close(self):
        """Log out and drop the connection; never raises."""
        client, self._client = self._client, None
        self._selected = None
        if client is not None:
            try:
                client.logout()
            except (imap_exceptions.IMAPClientError, *_NETWORK_ERRORS):
                self._quietly_close(client)

    @staticmethod
    def _quietly_close(client):
        try:
            client.shutdown()
        except (imap_exceptions.IMAPClientError, *_NETWORK_ERRORS):
            log.debug("closing a broken IMAP connection failed")

    def _reconnect(self):
        if self._credentials is None:
            raise MailServerUnavailable("not logged in")
        if self._client is not None:
            self._quietly_close(self._client)
            self._client = None
        selected, self._selected = self._selected, None
        self.login(*self._credentials)
        if selected is not None:
            self._select(selected)

    def _call(self, name, *args, **kwargs):
        """Run one imapclient method, counted and timed; retry once on a dropped link."""
        for attempt in (1, 2):
            if self._client is None:
                self._reconnect()
            started = time.monotonic()
            try:
                return getattr(self._client, name)(*args, **kwargs)
            except _NETWORK_ERRORS as exc:
                if attempt == 2:
                    self._client = None
                    raise MailServerUnavailable(f"{type(exc).__name__} during {name}") from None
                log.info("IMAP connection dropped during %s; reconnecting", name)
                self._reconnect()
            except imap_exceptions.CapabilityError as exc:
                raise MailError(str(exc)) from None
            finally:
                self.commands += 1
                self.imap_seconds += time.monotonic() - started
        raise MailServerUnavailable(name)

    def has(self, capability):
        """True when the server announced the capability (after login)."""
        if self._client is None:
            self._reconnect()
        return self._client.has_capability(capability)

    # --- folders -------------------------------------------------------------------------
    def list_mailboxes(self):
        """All folders as ordered Mailbox objects with unread and total counts."""
        listing = self._call("list_folders")
        counts = {}
        for flags, _delimiter, name in listing:
            lowered = {flag.lower() for flag in flags if isinstance(flag, bytes)}
            if lowered & {b"\\noselect", b"\\nonexistent"}:
                continue
            try:
                status = self._call("folder_status", name, ["MESSAGES", "UNSEEN"])
            except imap_exceptions.IMAPClientError:
                continue
            counts[parse.to_text(name)] = (status.get(b"UNSEEN", 0), status.get(b"MESSAGES", 0))
        return parse.build_mailboxes(listing, counts)

    def _select(self, mailbox, readonly=True):
        try:
            info = self._call("select_folder", mailbox, readonly=readonly)
        except imap_exceptions.IMAPClientError:
            self._selected = None
            raise MailboxNotFound(mailbox) from None
        self._selected = mailbox
        return info

    # --- message lists -------------------------------------------------------------------
    def sorted_uids(self, mailbox, sort="date", reverse=True):
        """UIDs of a folder in the given order: server SORT when offered, else Heron's own."""
        key = SORT_KEYS.get(sort, "DATE")
        info = self._select(mailbox)
        if not info.get(b"EXISTS"):
            return []
        if self.has("SORT"):
            criteria = ["REVERSE", key] if reverse else [key]
            return list(self._call("sort", criteria, ["ALL"]))
        return self._sort_locally(key, reverse)

    def _sort_locally(self, key, reverse):
        uids = sorted(self._call("search", ["ALL"]))
        if key == "ARRIVAL" or not uids:
            # UIDs grow with arrival, as the ARRIVAL key's tie-break does.
            return uids[::-1] if reverse else uids
        fields = {"DATE": ["ENVELOPE", "INTERNALDATE"], "FROM": ["ENVELOPE"],
                  "TO": ["ENVELOPE"], "SUBJECT": ["ENVELOPE"], "SIZE": ["RFC822.SIZE"]}[key]
        data = self._call("fetch", uids, fields)

        def value(uid):
            item = data.get(uid, {})
            envelope = item.get(b"ENVELOPE")
            if key == "DATE":
                return parse.sort_key_date(envelope.date if envelope else None,
                                           item.get(b"INTERNALDATE"))
            if key == "SIZE":
                return item.get(b"RFC822.SIZE", 0)
            if key == "SUBJECT":
                return _base_subject(parse.decode_words(envelope.subject if envelope else b""))
            people = (envelope.from_ if key == "FROM" else envelope.to) if envelope else None
            first = parse.addresses(people)[:1]
            return first[0].email.split("@")[0].casefold() if first else ""

        ordered = sorted(uids, key=lambda uid: (value(uid), uid))
        return ordered[::-1] if reverse else ordered

    def summaries(self, mailbox, uids):
        """MessageSummary objects for the given UIDs, in the order given."""
        if self._selected != mailbox:
            self._select(mailbox)
        if not uids:
            return []
        data = self._call("fetch", uids, SUMMARY_FIELDS)
        return [_summary(uid, data[uid]) for uid in uids if uid in data]

    def page(self, mailbox, page=1, per_page=50, sort="date", reverse=True):
        """One page of a folder, newest first by default; page numbers start at 1."""
        uids = self.sorted_uids(mailbox, sort, reverse)
        total = len(uids)
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        window = uids[(page - 1) * per_page: page * per_page]
        return MessagePage(mailbox=mailbox, messages=tuple(self.summaries(mailbox, window)),
                           page=page, pages=pages, total=total)


    def message(self, mailbox, uid, max_body=BODY_LIMIT):
        """One message with its displayable body; marks it read. Raises MessageGone.

        Only the structure and the body part are fetched, never the whole message, and at
        most max_body bytes of the body (body_truncated says when there was more).
        """
        self._select(mailbox, readonly=False)
        self._selected = None  # selected read-write: the next list re-selects read-only
        data = self._call("fetch", [uid], SUMMARY_FIELDS).get(uid)
        if data is None:
            raise MessageGone(f"{mailbox}/{uid}")
        summary = _summary(uid, data)
        envelope = data.get(b"ENVELOPE")
        bodystructure = data.get(b"BODYSTRUCTURE")
        parts = structure.leaves(bodystructure)
        body = structure.body_part(parts)
        raw_body = b""
        if body is not None:
            single = not (bodystructure and isinstance(bodystructure[0], list))
            raw_body = self._body_bytes(uid, body, max_body, single)
        if "\\Seen" not in summary.flags:
            self._call("add_flags", [uid], [b"\\Seen"])
        return Message(
            uid=uid, mailbox=mailbox, subject=summary.subject, sender=summary.sender,
            to=summary.to, cc=parse.addresses(envelope.cc if envelope else None),
            reply_to=parse.addresses(envelope.reply_to if envelope else None),
            date=summary.date, size=summary.size,
            flags=tuple(sorted(set(summary.flags) | {"\\Seen"})),
            body=body, body_raw=raw_body,
            body_truncated=bool(body and body.size > max_body),
            attachments=structure.attachments(parts, body),
        )

    def _body_bytes(self, uid, part, max_body, single):
        """One part fetched alone, as its MIME header followed by its (encoded) bytes."""
        head, content = ("HEADER", "TEXT") if single else (f"{part.section}.MIME", part.section)
        data = self._call("fetch", [uid], [f"BODY.PEEK[{head}]",
                                           f"BODY.PEEK[{content}]<0.{max_body}>"]).get(uid, {})
        header_bytes = _section_value(data, f"BODY[{head}]")
        raw = _section_value(data, f"BODY[{content}]<0>")
        if not header_bytes.endswith(b"\r\n\r\n") and not header_bytes.endswith(b"\n\n"):
            header_bytes = header_bytes.rstrip(b"\r\n") + b"\r\n\r\n"
        return header_bytes + raw


def _section_value(data, name):
    for key, value in data.items():
        if parse.to_text(key).upper() == name.upper():
            return value or b""
    return b""


def _base_subject(subject):
    """A subject without reply/forward prefixes, for sorting (a light RFC 5256 base subject)."""
    text = subject.strip().casefold()
    changed = True
    while changed:
        changed = False
        for prefix in ("re:", "fw:", "fwd:", "aw:", "wg:", "sv:", "vs:"):
            if text.startswith(prefix):
                text = text[len(prefix):].lstrip()
                changed = True
    return text


def _summary(uid, item):
    envelope = item.get(b"ENVELOPE")
    senders = parse.addresses(envelope.from_ if envelope else None)
    date = envelope.date if envelope and envelope.date else item.get(b"INTERNALDATE")
    return MessageSummary(
        uid=uid,
        subject=parse.decode_words(envelope.subject if envelope else b""),
        sender=senders[0] if senders else parse.address(None),
        to=parse.addresses(envelope.to if envelope else None),
        date=parse.as_aware(date),
        size=item.get(b"RFC822.SIZE", 0),
        flags=tuple(parse.to_text(flag) for flag in item.get(b"FLAGS", ())),
        has_attachments=structure.has_attachments(item.get(b"BODYSTRUCTURE")),
    )
