"""Test helpers: the in-memory mail server and session (tests/fakes/), and summaries."""
from datetime import datetime, timedelta, timezone

from tests.fakes import FakeMailServer, FakeMailSession
from webmail.imap.types import Address, MessageSummary

__all__ = ["FakeMailServer", "FakeMailSession", "make_summaries"]


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
