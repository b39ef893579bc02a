"""Pure helpers that turn imapclient's raw values into Heron's plain types.

Nothing here talks to a server, so each helper is tested table-style on its own.
"""
import unicodedata
from datetime import datetime, timezone
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime

from ..mime.headers import cut_words
from .types import Address, Mailbox

# Mailbox roles in the order the folder tree shows them.
ROLE_ORDER = ("inbox", "drafts", "sent", "junk", "trash", "archive", "snoozed")
_ROLE_FLAGS = {
    b"\\drafts": "drafts",
    b"\\sent": "sent",
    b"\\junk": "junk",
    b"\\trash": "trash",
    b"\\archive": "archive",
}
# Names that common servers and clients give special folders when SPECIAL-USE is absent.
_ROLE_NAMES = {
    "drafts": "drafts", "draft": "drafts",
    "sent": "sent", "sent items": "sent", "sent messages": "sent", "sent mail": "sent",
    "junk": "junk", "spam": "junk", "junk e-mail": "junk", "junk email": "junk",
    "trash": "trash", "deleted items": "trash", "deleted messages": "trash", "bin": "trash",
    "archive": "archive", "archives": "archive",
    "snoozed": "snoozed",  # where Heron keeps snoozed mail (webmail/snooze.py)
}


def to_text(raw):
    """Bytes from the wire as text: UTF-8 when valid, else Latin-1 (never raises)."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def header_block(item):
    """The raw header block a FETCH of BODY.PEEK[HEADER.FIELDS (...)] answered in item (one
    message's data), b"" when it has none."""
    return next((value for key, value in item.items()
                 if to_text(key).upper().startswith("BODY[HEADER.FIELDS")), b"") or b""


def header_value(raw):
    """The value of a fetched "Name: value" header block, unfolded ("" when absent)."""
    text = to_text(raw).strip()
    if ":" not in text:
        return ""
    return " ".join(text.split(":", 1)[1].split())


def decode_words(raw):
    """Decode RFC 2047 encoded-words in a header value; malformed input is kept as is.

    The value is first cut to MAX_ENCODED characters (mime.headers.cut_words): a 1 MB
    Subject of encoded-words took 5 s to decode."""
    text = cut_words(to_text(raw))
    if "=?" not in text:
        return " ".join(text.split())
    try:
        decoded = str(make_header(decode_header(text)))
    except (LookupError, ValueError, UnicodeError, AssertionError):
        return " ".join(text.split())
    return " ".join(decoded.split())


def address(raw):
    """An imapclient envelope Address as a plain Address (None gives an empty one)."""
    if raw is None:
        return Address("", "")
    mailbox, host = to_text(raw.mailbox), to_text(raw.host)
    email = f"{mailbox}@{host}" if mailbox and host else mailbox
    return Address(decode_words(raw.name), email)


def addresses(raw_list):
    return tuple(address(item) for item in (raw_list or ()) if item is not None)


def as_aware(value):
    """A datetime from the wire in UTC; one without a zone is taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def header_date(raw):
    """A Date header value as an aware datetime, or None if it does not parse."""
    try:
        value = parsedate_to_datetime(to_text(raw))
    except (TypeError, ValueError, IndexError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def role_for(flags, name, delimiter):
    """The role of a folder: from its SPECIAL-USE flag, else from a well-known top name."""
    if name.upper() == "INBOX":
        return "inbox"
    for flag in flags:
        role = _ROLE_FLAGS.get(flag.lower() if isinstance(flag, bytes) else flag)
        if role:
            return role
    parts = name.split(delimiter) if delimiter else [name]
    # Servers like Courier put everything under "INBOX."; a name one level down counts too.
    if len(parts) == 2 and parts[0].upper() == "INBOX":
        parts = parts[1:]
    if len(parts) == 1:
        return _ROLE_NAMES.get(parts[0].lower(), "")
    return ""


SECTIONS = ("", "other", "shared")  # the user's own folders first


def build_mailboxes(listing, counts, namespaces=(), rights=None, subscribed=None):
    """Turn LIST results and STATUS counts into the ordered folder tree.

    listing: (flags, delimiter, name) tuples as imapclient returns them.
    counts: name -> (unread, total).
    namespaces: (prefix, section) of other users' ("other") and shared ("shared") folders,
    from NAMESPACE; rights: name -> MYRIGHTS, where known; subscribed: the subscribed
    names, or None when the server did not say (all count as subscribed). A folder counts
    as subscribed when one inside it is (the tree shows the path to it).
    The user's own special folders come first in ROLE_ORDER (one of each role), then the
    rest of the user's own as a tree, each level sorted by name, children right after their
    parent; then other users' folders, then shared ones, as trees of their own.
    """
    entries = {}
    taken_roles = set()
    for flags, delimiter, name in listing:
        name = to_text(name)
        delimiter = to_text(delimiter) if delimiter else ""
        section, prefix = _section_of(name, namespaces)
        if section and name + delimiter == prefix:
            continue  # the section's own root: the tree shows it as a heading
        role = "" if section else role_for(flags, name, delimiter)
        if role in taken_roles:
            role = ""
        if role:
            taken_roles.add(role)
        parts = name.split(delimiter) if delimiter else [name]
        entries[name] = {
            "name": name, "delimiter": delimiter, "role": role, "parts": parts,
            "section": section, "prefix": prefix,
            "selectable": selectable(flags),
        }

    # An owner's node that holds nothing shared any more (Dovecot lists it for a while after
    # a share ends) is no folder of anyone's: left out.
    holders = {name for entry in entries.values() for name in _paths_above(entry)}
    for name in [name for name, entry in entries.items()
                 if entry["section"] and not entry["selectable"] and name not in holders]:
        del entries[name]

    if subscribed is not None:
        # A folder that holds a subscribed one shows in the tree too, as its path.
        subscribed = set(subscribed)
        for name in [name for name in subscribed if name in entries]:
            subscribed.update(_paths_above(entries[name]))

    def mailbox(entry, depth, parent):
        unread, total = counts.get(entry["name"], (0, 0))
        display = "Inbox" if entry["role"] == "inbox" else entry["parts"][-1]
        if entry["section"] and not parent:
            # At the top of its section: the path below the prefix ("hal/Projects") says
            # whose folder it is.
            display = entry["name"][len(entry["prefix"]):] or display
        return Mailbox(name=entry["name"], display_name=display, delimiter=entry["delimiter"],
                       role=entry["role"], depth=depth, selectable=entry["selectable"],
                       unread=unread, total=total, parent=parent, section=entry["section"],
                       subscribed=subscribed is None or entry["name"] in subscribed,
                       rights=(rights or {}).get(entry["name"]))

    special = sorted((e for e in entries.values() if e["role"]),
                     key=lambda e: ROLE_ORDER.index(e["role"]))
    result = [mailbox(entry, 0, "") for entry in special]
    special_names = {entry["name"] for entry in special}

    # Build the tree of the rest; a child whose parent is missing hangs at the nearest
    # listed ancestor (or at the top of its section), so no folder is ever hidden.
    children: dict = {}
    for entry in entries.values():
        if entry["name"] in special_names:
            continue
        parent = next((name for name in _paths_above(entry)
                       if name in entries and name not in special_names), "")
        children.setdefault((entry["section"], parent), []).append(entry)

    def walk(section, parent, depth):
        for entry in sorted(children.get((section, parent), ()),
                            key=lambda e: name_sort_key(e["parts"][-1])):
            result.append(mailbox(entry, depth, parent))
            walk(section, entry["name"], depth + 1)

    for section in SECTIONS:
        walk(section, "", 0)
    return result


def _paths_above(entry):
    """The names of the folders that would hold an entry, nearest first ("a/b/c": "a/b",
    "a")."""
    parts, delimiter = entry["parts"], entry["delimiter"]
    return [delimiter.join(parts[:cut]) for cut in range(len(parts) - 1, 0, -1)]


def _section_of(name, namespaces):
    """(section, prefix) of a folder name: ("", "") for the user's own."""
    for prefix, section in namespaces:
        if prefix and (name.startswith(prefix) or name == prefix[:-1]):
            return section, prefix
    return "", ""


def sections_of(namespace):
    """(prefix, section) pairs of a NAMESPACE answer (imapclient's Namespace: personal,
    other, shared; each a tuple of (prefix, delimiter) or None)."""
    found = []
    for section, spaces in (("other", namespace.other), ("shared", namespace.shared)):
        for prefix, _delimiter in spaces or ():
            prefix = to_text(prefix)
            if prefix:
                found.append((prefix, section))
    return found


def name_sort_key(name):
    """Folder names sort as a reader expects: case and accents do not move a name."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", name)
                    if not unicodedata.combining(ch))
    return plain.casefold(), name


def sort_key_date(envelope_date, internal_date):
    """RFC 5256 DATE: the sent date in UTC, falling back to the arrival date."""
    value = as_aware(envelope_date) if envelope_date else None
    return value or as_aware(internal_date) or datetime.min.replace(tzinfo=timezone.utc)


def flag_names(item):
    """The FLAGS of one FETCH answer as text: ("\\Seen", "$Forwarded")."""
    return tuple(to_text(flag) for flag in item.get(b"FLAGS", ()))


def selectable(flags):
    """Whether a LIST answer's flags let the folder be opened (no \\Noselect or
    \\NonExistent)."""
    return not {flag.lower() for flag in flags if isinstance(flag, bytes)} & _UNSELECTABLE


def has_flag(flags, wanted):
    """Whether a LIST answer's flags hold wanted (bytes, any case)."""
    return any(isinstance(flag, bytes) and flag.lower() == wanted.lower() for flag in flags)


_UNSELECTABLE = {b"\\noselect", b"\\nonexistent"}


def vanished(line):
    """(earlier, UIDs) of a VANISHED response (RFC 7162): earlier when it answers a
    CHANGEDSINCE ("(EARLIER)"), not news of an expunge just now."""
    text = to_text(line).upper()
    earlier = "(EARLIER)" in text
    words = text.replace("(EARLIER)", "").split()
    return earlier, set(expand_uid_set(words[-1])) if words else set()


def expand_uid_set(text):
    """ "1:3,7" -> [1, 2, 3, 7] (an IMAP sequence set of explicit numbers)."""
    uids: list = []
    for piece in text.split(","):
        piece = piece.strip()
        if not piece:
            continue
        first, _, last = piece.partition(":")
        low, high = int(first), int(last or first)
        uids.extend(range(min(low, high), max(low, high) + 1))
    return uids


def uid_ranges(uids):
    """[1, 2, 3, 7] -> "1:3,7": a sequence set as short as the runs in it allow."""
    ordered = sorted(set(uids))
    pieces, start = [], None
    for index, uid in enumerate(ordered):
        if start is None:
            start = uid
        if index + 1 == len(ordered) or ordered[index + 1] != uid + 1:
            pieces.append(str(start) if start == uid else f"{start}:{uid}")
            start = None
    return ",".join(pieces)
