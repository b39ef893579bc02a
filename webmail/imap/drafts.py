"""Writing mail into folders: drafts saved and replaced, sent copies filed.

A draft carries the compose id in an `X-Heron-Draft` header, so whichever frontend saves
the next version finds and replaces the previous one, whether or not the server reports
APPENDUID (UIDPLUS).
"""
import re
from email import message_from_bytes, policy

from ..mime.headers import bounded_message
from . import parse
from .errors import MessageGone

DRAFT_HEADER = "X-Heron-Draft"


class Drafts:
    def __init__(self, conn, selection, folders, organise):
        self.conn = conn
        self.sel = selection
        self.folders = folders
        self.organise = organise

    def append(self, mailbox, raw, flags=()):
        """Store a whole message in a folder; its new UID when the server says (UIDPLUS)."""
        self.conn.response_code("APPENDUID")  # (one left from an earlier APPEND)
        self.conn.call("append", mailbox, raw, [f.encode() for f in flags])
        found = parse.to_text(self.conn.response_code("APPENDUID") or b"").split()
        return int(found[-1]) if len(found) == 2 and found[-1].isdigit() else None

    def save_draft(self, raw, draft_key):
        """Save a version of the draft `draft_key` to Drafts and remove the older ones.

        raw must carry the X-Heron-Draft header with draft_key. Returns the new UID."""
        drafts = self.folders.folder_for("drafts")
        uid = self.append(drafts, raw, ("\\Draft", "\\Seen"))
        versions = self._draft_uids(drafts, draft_key)
        if uid is None and versions:
            uid = max(versions)
        older = [each for each in versions if each != uid]
        if older:
            self.organise.expunge(older)
        return uid

    def discard_draft(self, draft_key):
        """Remove every saved version of a draft (after sending, or when discarded)."""
        drafts = self.folders.folder_roles().get("drafts")
        if not drafts:
            return 0
        versions = self._draft_uids(drafts, draft_key)
        if versions:
            self.organise.expunge(versions)
        return len(versions)

    def find_draft(self, draft_key):
        """The UID of the latest saved version of a draft, or None."""
        drafts = self.folders.folder_roles().get("drafts")
        versions = self._draft_uids(drafts, draft_key) if drafts else []
        return versions[-1] if versions else None

    def draft_headers(self, mailbox, uid, *names):
        """(compose id, values of the named headers) of a draft; the id is "" for a draft
        another client wrote, and a missing header's value is ""."""
        self.sel.ensure(mailbox)
        fields = " ".join((DRAFT_HEADER, *names))
        data = self.conn.call("fetch", [uid], [f"BODY.PEEK[HEADER.FIELDS ({fields})]"])
        if uid not in data:
            raise MessageGone(f"{mailbox}/{uid}")
        raw = next((value for key, value in data[uid].items()
                    if parse.to_text(key).upper().startswith("BODY[HEADER.FIELDS")), b"")
        headers = message_from_bytes(bounded_message(raw or b""), policy=policy.default)
        key = str(headers.get(DRAFT_HEADER, "")).strip()
        return ((key if re.fullmatch(r"[0-9a-f]{32}", key) else ""),
                *(str(headers.get(name, "")) for name in names))

    def file_sent(self, raw):
        """A copy of a sent message in the Sent folder, marked read."""
        return self.append(self.folders.folder_for("sent"), raw, ("\\Seen",))

    def has_message_id(self, mailbox, message_id):
        """Whether the folder holds a message with this Message-ID (a sent copy filed
        already, when a worker finishes a send another one began)."""
        if not message_id or any(ch in message_id for ch in "\r\n\0"):
            return False
        self.sel.select(mailbox)
        return bool(self.conn.call("search", ["HEADER", "Message-ID", message_id]))

    def _draft_uids(self, drafts, draft_key):
        self.sel.select(drafts)
        return sorted(self.conn.call("search", ["HEADER", DRAFT_HEADER, draft_key]))
