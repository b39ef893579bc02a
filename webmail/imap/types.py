"""Domain objects the IMAP layer hands to the rest of Heron: plain, frozen, no bytes."""
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    security: str  # "ssl", "starttls" or "none"
    # When host is a proxy (IMAP_PROXY_HOST), the server behind it that holds the mailbox:
    # the caches and the bound on connections are that server's, whichever way Heron
    # reaches it (a worker's service login goes there directly).
    mailbox_host: str = ""
    mailbox_port: int = 0

    @property
    def mailbox_server(self) -> tuple[str, int]:
        """(host, port) of the server that holds the mailbox."""
        return (self.mailbox_host or self.host, self.mailbox_port or self.port)


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
    # "": the user's own folders; "other": other users' folders shared with the user;
    # "shared": shared folders (the server's NAMESPACE sections, RFC 2342).
    section: str = ""
    # Subscribed (RFC 3501 SUBSCRIBE), or holding a folder that is: the folder tree shows it
    # unless the user asks for all folders.
    subscribed: bool = True
    # The user's rights on the folder (MYRIGHTS, RFC 4314); None: not known, all taken.
    rights: str | None = None

    def may(self, right):
        """Whether the user has the RFC 4314 right (a letter) here. A server of the older
        RFC 2086 says "d" for t, e and x, and "c" for k; an RFC 4314 server adds those
        letters too, as virtual rights a client must not read so: they count only when
        none of k, x, t, e is there (an RFC 2086 server's answer)."""
        if self.rights is None or right in self.rights:
            return True
        if any(letter in self.rights for letter in "kxte"):
            return False
        return (right in "tex" and "d" in self.rights) or (right == "k" and "c" in self.rights)

    # What the page offers, by the rights it takes (RFC 4314, section 4).
    @property
    def may_open(self):
        """A folder the tree links to: it exists and the user may read it (a drop box
        shared with "li" only takes messages)."""
        return self.selectable and self.may("r")

    @property
    def may_remove(self):
        """Messages may leave the folder (delete, move): flag them \\Deleted and expunge."""
        return self.may("t") and self.may("e")

    @property
    def may_mark_read(self):
        return self.may("s")

    @property
    def may_flag(self):
        return self.may("w")

    @property
    def may_insert(self):
        """Messages may be moved, copied or saved into the folder."""
        return self.may("i")

    @property
    def may_create_inside(self):
        return self.may("k")

    @property
    def may_delete(self):
        """The folder itself may be deleted or renamed."""
        return self.may("x")


@dataclass(frozen=True)
class Address:
    name: str
    email: str

    def __str__(self):
        return self.name or self.email


class Flagged:
    """Reading IMAP system flags off a `flags` tuple (None: not read yet, none known)."""

    flags: tuple | None

    @property
    def unread(self):
        return "\\Seen" not in (self.flags or ())

    @property
    def flagged(self):
        return "\\Flagged" in (self.flags or ())

    @property
    def answered(self):
        return "\\Answered" in (self.flags or ())

    @property
    def forwarded(self):
        """The $Forwarded keyword (RFC 5788), which mail clients set on forwarding."""
        return any(flag.lower() == "$forwarded" for flag in self.flags or ())


@dataclass(frozen=True)
class MessageSummary(Flagged):
    uid: int
    subject: str
    sender: Address
    to: tuple
    date: datetime | None
    size: int
    flags: tuple | None = field(default_factory=tuple)  # None in the cache's copy
    has_attachments: bool = False
    mailbox: str = ""  # set where a list spans folders (search in all folders)
    thread_size: int = 1  # in the conversation view: messages in this row's thread
    thread_unread: int = 0
    snippet: str = ""  # the start of the text, one line (mime.snippet); "" where not fetched



@dataclass(frozen=True)
class MessagePage:
    mailbox: str
    messages: tuple
    page: int
    pages: int
    total: int
    offset: int | None = None  # index of the first message in the folder's sorted list


# Image types a browser shows safely inline (no SVG: it can carry script).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp",
                                "image/bmp", "image/avif"})


# Characters in a base64 line (RFC 2045), before its CRLF.
_BASE64_LINE = 76


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
    content_id: str = ""  # Content-ID without angle brackets, for cid: references
    choice: str = ""  # section of the multipart/alternative it renders ("TEXT": the message)

    @property
    def is_image(self):
        return self.content_type in INLINE_IMAGE_TYPES

    @property
    def previewable(self):
        return self.is_image or self.content_type == "application/pdf"

    @property
    def file_size(self):
        """The decoded file's size, as a user counts it. size is what the server counts,
        the encoded content: base64 is 4 characters for 3 bytes in lines of 76 with CRLF
        (within 2 bytes: the padding is not known); other encodings are taken as they are
        (quoted-printable grows plain text little)."""
        if self.encoding != "base64" or self.size <= 0:
            return self.size
        lines, rest = divmod(self.size, _BASE64_LINE + 2)
        # A last line's CRLF is rounded away with the quarter: lines hold whole quads.
        return (lines * _BASE64_LINE + rest) // 4 * 3


@dataclass(frozen=True)
class Outline:
    """What never changes of a message for its folder's UIDVALIDITY and its UID: all of a
    Message but the flags and the body's bytes. The mailbox cache keeps these."""

    summary: MessageSummary  # flags None
    cc: tuple
    reply_to: tuple
    message_id: str
    in_reply_to: str
    references: str
    parts: tuple  # every leaf, file names filled in
    single: bool  # not multipart: the message body is its only part
    parts_total: int = 0  # leaves in the structure, when more than parts holds (else 0)
    too_deep: int = 0  # subtrees nested too deep to follow, left out of parts


@dataclass(frozen=True)
class Message(Flagged):
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
    body_raw: bytes | None  # that part's MIME header and encoded content; None: not fetched
    body_truncated: bool
    attachments: tuple
    alternative: Part | None = None  # the other body (plain text of an HTML mail, or back)
    parts: tuple = ()  # every leaf, to resolve cid: references
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    single: bool = False  # not multipart (its body is fetched as TEXT, not a section)
    parts_total: int = 0  # as in Outline
    too_deep: int = 0
    loose: bool = False  # the structure is broken: the body is the message's whole text
    more: tuple = ()  # inline parts shown after the body, in order (structure.inline_sequence)
    more_raw: tuple = ()  # their MIME headers and encoded content, as body_raw
    read_now: bool = False  # unread until the call that gave it marked it read

    @property
    def is_html(self):
        return bool(self.body and self.body.content_type == "text/html")


    def part(self, section):
        """The leaf with this section number, or None."""
        return next((p for p in self.parts if p.section == section), None)

    def cid_part(self, content_id):
        return next((p for p in self.parts if p.content_id and p.content_id == content_id), None)


@dataclass(frozen=True)
class Quota:
    used_kb: int
    limit_kb: int

    @property
    def percent(self):
        return min(100, round(100 * self.used_kb / self.limit_kb)) if self.limit_kb else 0


@dataclass(frozen=True)
class ActionResult:
    """What an organising action did, for the "Moved 3 messages to Archive" notice."""

    count: int
    target: str = ""  # destination folder, when there is one
    undo_uids: tuple = ()  # the messages' UIDs in the target, when the server said (UIDPLUS)


@dataclass(frozen=True)
class PartRef:
    """Where one part of a message is kept: a folder (as of its UIDVALIDITY), a UID and the
    part. A new message can take the part's content from there without its bytes passing
    through Heron (APPEND CATENATE), and it can be streamed back from there."""

    mailbox: str
    uidvalidity: int
    uid: int
    part: Part


@dataclass(frozen=True)
class SavedDraft:
    """A version of a draft just stored in Drafts."""

    mailbox: str
    uidvalidity: int
    uid: int
