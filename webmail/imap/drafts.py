"""Writing mail into folders: drafts saved and replaced, sent copies filed.

A draft carries the compose id in an `X-Heron-Draft` header, so whichever frontend saves
the next version finds and replaces the previous one, whether or not the server reports
APPENDUID (UIDPLUS).

A draft carries its files too. A version is stored from pieces (append_draft): new bytes,
and references to parts of the version before it, which a server with CATENATE (RFC 4469)
copies itself, so that saving the text again does not send a large attachment again.
"""
import re
from email import message_from_bytes, policy
from urllib.parse import quote

from ..mime.headers import bounded_message
from . import exact, parse, structure
from .adapter import Catenate
from .errors import MailboxNotFound, MessageGone
from .types import PartRef, SavedDraft

DRAFT_HEADER = "X-Heron-Draft"
DRAFT_FLAGS = ("\\Draft", "\\Seen")
# What an IMAP URL (RFC 5092) may hold of a folder name unencoded, besides letters,
# digits and "_.-~": its bchar, without the ";" that separates the URL's parameters.
_URL_MAILBOX_SAFE = "!$'()*+,&=:@/"


class Drafts:
    def __init__(self, conn, selection, folders, organise, reading):
        self.conn = conn
        self.sel = selection
        self.folders = folders
        self.organise = organise
        self.reading = reading

    def append(self, mailbox, raw, flags=()):
        """Store a whole message in a folder; its new UID when the server says (UIDPLUS)."""
        self.conn.response_code("APPENDUID")  # (one left from an earlier APPEND)
        self.conn.call("append", mailbox, raw, [f.encode() for f in flags])
        appended = self._appended()
        return appended[1] if appended else None

    def _appended(self):
        """(UIDVALIDITY, UID) of the message just appended, when the server said (UIDPLUS)."""
        found = parse.to_text(self.conn.response_code("APPENDUID") or b"").split()
        if len(found) == 2 and all(each.isdigit() for each in found):
            return int(found[0]), int(found[1])
        return None

    def append_draft(self, pieces, draft_key):
        """Store a new version of the draft `draft_key` in Drafts; returns a SavedDraft.

        pieces make the message in order: bytes, and PartRefs whose content as the server
        keeps it (still encoded) goes in their stead. The message must carry the
        X-Heron-Draft header with draft_key. Older versions stay until drop_older_drafts().

        With CATENATE and LITERAL+ the server copies the referenced parts itself; without,
        they are fetched and sent back with the rest. Raises MessageGone when a referenced
        message is no longer where its PartRef says (another client removed the version)."""
        drafts = self.folders.folder_for("drafts")
        refs = [piece for piece in pieces if isinstance(piece, PartRef)]
        self._check_present(refs)
        self.conn.response_code("APPENDUID")
        if refs and self.conn.has("CATENATE") and self.conn.has("LITERAL+"):
            catenate = Catenate(drafts, DRAFT_FLAGS, tuple(
                _url(piece) if isinstance(piece, PartRef) else piece
                for piece in pieces if isinstance(piece, PartRef) or len(piece)))
            self.conn.call("raw_untagged", b"APPEND", catenate, None, label="append")
            # What the connection does after its own APPEND (connection.CHANGES_FOLDER):
            # the folder's known state and the cached counts no longer hold.
            self.sel.forget()
            self.conn.cache.forget_folders()
        else:
            raw = b"".join(self._content(piece) if isinstance(piece, PartRef) else piece
                           for piece in pieces)
            self.conn.call("append", drafts, raw, [f.encode() for f in DRAFT_FLAGS])
        appended = self._appended()
        if appended:
            return SavedDraft(drafts, *appended)
        versions = self._draft_uids(drafts, draft_key)
        if not versions:
            raise MessageGone(f"{drafts}: the draft just saved is not there")
        return SavedDraft(drafts, self.sel.state.uidvalidity, max(versions))

    def drop_older_drafts(self, draft_key, uid):
        """Remove the versions of a draft older than the one with this UID; returns how
        many went. (Newer ones, saved meanwhile by another window, stay.)"""
        drafts = self.folders.folder_roles().get("drafts")
        if not drafts:
            return 0
        older = [each for each in self._draft_uids(drafts, draft_key) if each < uid]
        if older:
            self.organise.expunge(older)
        return len(older)

    def draft_files(self, mailbox, uid):
        """The files a draft carries (attachments, the images of its HTML, attached
        messages) as PartRefs, in the message's order; raises MessageGone."""
        state = self.sel.select(mailbox)
        parts, single = self.reading.parts(mailbox, uid)
        if single:
            return ()
        return tuple(PartRef(mailbox, state.uidvalidity, uid, part)
                     for part in structure.files(parts))

    def _check_present(self, refs):
        """Raise MessageGone unless every referenced message is where its PartRef says."""
        for mailbox in sorted({ref.mailbox for ref in refs}):
            here = [ref for ref in refs if ref.mailbox == mailbox]
            try:
                state = self.sel.select(mailbox)
            except MailboxNotFound:
                raise MessageGone(mailbox) from None
            wanted = {ref.uid for ref in here}
            if any(ref.uidvalidity != state.uidvalidity for ref in here) or set(
                    self.conn.call("fetch", sorted(wanted), ["UID"])) != wanted:
                raise MessageGone(f"{mailbox}: a saved version of the draft")

    def _content(self, ref):
        return b"".join(self.reading.iter_section(ref.mailbox, ref.uid, ref.part.section))

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
        headers = message_from_bytes(bounded_message(parse.header_block(data[uid])),
                                     policy=policy.default)
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
        state = self.sel.select(mailbox)
        return bool(exact.matching(self.conn, state, ["HEADER", "Message-ID", message_id],
                                   "MESSAGE-ID",
                                   lambda raw: parse.header_value(raw) == message_id,
                                   label="search_message_id"))

    def _draft_uids(self, drafts, draft_key):
        state = self.sel.select(drafts)
        return exact.matching(self.conn, state, ["HEADER", DRAFT_HEADER, draft_key],
                              DRAFT_HEADER.upper(),
                              lambda raw: parse.header_value(raw) == draft_key,
                              label="search_draft")


def _url(ref):
    """The IMAP URL (RFC 5092) of a referenced part, relative to the server, as CATENATE
    takes it: the folder name in UTF-8, percent-encoded."""
    return (f"/{quote(ref.mailbox, safe=_URL_MAILBOX_SAFE)};UIDVALIDITY={ref.uidvalidity}"
            f"/;UID={ref.uid}/;SECTION={ref.part.section}")
