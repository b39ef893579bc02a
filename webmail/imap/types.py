"""Domain objects the IMAP layer hands to the rest of Heron: plain, frozen, no bytes."""
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    security: str  # "ssl", "starttls" or "none"


@dataclass(frozen=True)
class Mailbox:
    name: str  # the decoded full name, what Heron passes back to the layer
    display_name: str  # the last path component, "Inbox" for INBOX
    delimiter: str
    role: str  # "inbox", "drafts", "sent", "junk", "trash", "archive" or ""
    depth: int
    selectable: bool
    unread: int = 0
    total: int = 0
    parent: str = ""


@dataclass(frozen=True)
class Address:
    name: str
    email: str

    def __str__(self):
        return self.name or self.email


@dataclass(frozen=True)
class MessageSummary:
    uid: int
    subject: str
    sender: Address
    to: tuple
    date: datetime | None
    size: int
    flags: tuple = field(default_factory=tuple)
    has_attachments: bool = False

    @property
    def unread(self):
        return "\\Seen" not in self.flags

    @property
    def flagged(self):
        return "\\Flagged" in self.flags

    @property
    def answered(self):
        return "\\Answered" in self.flags


@dataclass(frozen=True)
class MessagePage:
    mailbox: str
    messages: tuple
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class Part:
    """One leaf of a message's MIME tree, as BODYSTRUCTURE describes it."""

    section: str  # IMAP section number, e.g. "1.2"
    content_type: str
    filename: str
    size: int
    encoding: str
    charset: str
    disposition: str  # "attachment", "inline" or ""
    related: bool = False  # a resource of an HTML body (multipart/related), not an attachment


@dataclass(frozen=True)
class Message:
    uid: int
    mailbox: str
    subject: str
    sender: Address
    to: tuple
    cc: tuple
    reply_to: tuple
    date: datetime | None
    size: int
    flags: tuple
    body: Part | None  # the part shown as the body
    body_raw: bytes  # that part's MIME header and encoded content, as fetched
    body_truncated: bool
    attachments: tuple
