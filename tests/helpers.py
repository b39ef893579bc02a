"""Test helpers: an in-memory FakeMailSession with MailSession's public methods."""
import dataclasses
import math
from datetime import datetime, timedelta, timezone

from webmail.imap import parse
from webmail.imap.errors import AuthFailed, MailboxNotFound, MailServerUnavailable, MessageGone
from webmail.imap.types import Address, Message, MessagePage, MessageSummary, Part


def make_summaries(count, start_uid=1, unread_every=3):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [
        MessageSummary(
            uid=uid, subject=f"Message {uid}", sender=Address(f"Sender {uid}", f"s{uid}@x.test"),
            to=(Address("", "me@x.test"),), date=base + timedelta(hours=uid), size=1000 + uid,
            flags=() if uid % unread_every == 0 else ("\\Seen",), has_attachments=uid % 5 == 0,
        )
        for uid in range(start_uid, start_uid + count)
    ]


class FakeMailServer:
    """What a fake IMAP server holds: accounts and folders of MessageSummary objects."""

    def __init__(self, accounts=None, down=False):
        self.accounts = accounts or {}  # username -> {"password": ..., "folders": {...}}
        self.down = down
        self.logins = 0
        self.sessions = []

    def factory(self, config, timeout=15):
        session = FakeMailSession(self, config)
        self.sessions.append(session)
        return session


class FakeMailSession:
    """Same public surface as webmail.imap.session.MailSession, backed by FakeMailServer."""

    def __init__(self, server, config, timeout=15):
        self.server = server
        self.config = config
        self.commands = 0
        self.imap_seconds = 0.0
        self.username = None
        self.connected = False
        self.closed = False

    def login(self, username, password):
        if self.server.down:
            raise MailServerUnavailable("fake server is down")
        account = self.server.accounts.get(username)
        if account is None or account["password"] != password:
            raise AuthFailed("bad credentials")
        self.server.logins += 1
        self.username = username
        self.connected = True
        self.commands += 1

    def close(self):
        self.connected = False
        self.closed = True

    def _folders(self):
        if self.server.down:
            raise MailServerUnavailable("fake server is down")
        self.commands += 1
        return self.server.accounts[self.username]["folders"]

    def has(self, capability):
        return False

    def list_mailboxes(self):
        folders = self._folders()
        listing = [((), b"/", name) for name in folders]
        counts = {name: (sum(1 for m in msgs if m.unread), len(msgs))
                  for name, msgs in folders.items()}
        return parse.build_mailboxes(listing, counts)

    def sorted_uids(self, mailbox, sort="date", reverse=True):
        folders = self._folders()
        if mailbox not in folders:
            raise MailboxNotFound(mailbox)
        ordered = sorted(folders[mailbox], key=lambda m: (m.date, m.uid), reverse=reverse)
        return [m.uid for m in ordered]

    def summaries(self, mailbox, uids, confirm=False):
        by_uid = {m.uid: m for m in self._folders()[mailbox]}
        return [by_uid[uid] for uid in uids if uid in by_uid]

    def quota(self):
        return None

    def around(self, mailbox, uid, sort="date", reverse=True, index=None):
        return None  # no kept list here: the view reads the whole list

    def page(self, mailbox, page=1, per_page=50, sort="date", reverse=True, query=None):
        uids = self.sorted_uids(mailbox, sort, reverse)
        pages = max(1, math.ceil(len(uids) / per_page))
        page = min(max(1, page), pages)
        window = uids[(page - 1) * per_page: page * per_page]
        return MessagePage(mailbox, tuple(self.summaries(mailbox, window)), page, pages,
                           len(uids))

    def rendered_key(self, mailbox, uid, variant):
        return None  # the fake keeps nothing between requests

    def begin_request(self):
        self.commands = 0
        self.imap_seconds = 0.0

    def messages(self, mailbox, uids, prefer="html", mark_read=True, max_body=2 * 1024 * 1024,
                 fetch_body=True, listed=None):
        present = {m.uid for m in self._folders().get(mailbox, [])}
        return [self.message(mailbox, uid, prefer, mark_read, max_body, fetch_body)
                for uid in uids if uid in present]

    def with_bodies(self, messages, max_body=2 * 1024 * 1024):
        return [m if m.body_raw is not None else dataclasses.replace(
            m, body_raw=self.message(m.mailbox, m.uid, mark_read=False).body_raw)
            for m in messages]

    def message(self, mailbox, uid, prefer="html", mark_read=True, max_body=2 * 1024 * 1024,
                fetch_body=True, listed=None):
        found = [m for m in self._folders().get(mailbox, []) if m.uid == uid]
        if not found:
            raise MessageGone(f"{mailbox}/{uid}")
        m = found[0]
        raw = (b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
               + f"Body of {m.subject}".encode())
        body = Part("1", "text/plain", "", len(raw), "7bit", "utf-8", "")
        return Message(uid=m.uid, mailbox=mailbox, subject=m.subject, sender=m.sender, to=m.to,
                       cc=(), reply_to=(), date=m.date, size=m.size,
                       flags=tuple(set(m.flags) | {"\\Seen"}), body=body,
                       body_raw=raw if fetch_body else None,
                       body_truncated=False, attachments=())
