"""Conversation threads the way RFC 5256 REFERENCES builds them, for servers without THREAD.

Pure Python over plain header values: no IMAP, no Django. The steps follow the RFC's
numbering (1A, 1B, 2 ... 5C) so the code can be read next to it. Every walk over the tree is
a loop, never recursion: a 10,000-message reply chain is an ordinary mailing list.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


@dataclass(frozen=True)
class ThreadInput:
    uid: int
    message_id: str  # may be "" or malformed
    in_reply_to: str  # raw header value, may be ""
    references: str  # raw header value, may be ""
    subject: str  # decoded subject
    date: datetime | None  # sent date, aware; None when unknown


# RFC 5256 section 5. Only "re", "fw" and "fwd" are the RFC's; the others are the prefixes
# that localised clients write instead (de, nl, nordic, fr, es, pt, it, pl, tr, el, zh, ja).
_REPLY_WORDS = (
    "re", "fwd?", "aw", "wg", "sv", "vs", "vb", "vl", "antw", "doorst", "tr", "rv", "res",
    "enc", "rif", "odp", "pd", "ynt", "ilt", "απ", "σχετ", "πρθ", "回复", "回覆", "答复", "转发",
    "轉寄", "返信", "転送",
)
_BLOB = re.compile(r"\[[^\[\]]*\][ \t]*")  # subj-blob
_REFWD = re.compile(  # subj-refwd; the colon may be the full-width one CJK clients write
    rf"(?:{'|'.join(_REPLY_WORDS)})[ \t]*(?:{_BLOB.pattern})?[:\uff1a]", re.IGNORECASE)
_FOLDING = re.compile(r"[ \t\r\n]+")
_MSG_ID = re.compile(r"<([^<>]*)>")
_QUOTED_LOCAL = re.compile(r'"((?:[^"\\]|\\.)*)"(@.*)?')
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UNKNOWN_DATE = timedelta.min  # RFC 5256 2.2: no valid date sorts as the earliest possible
_UNKNOWN_KEY = (_UNKNOWN_DATE, -1)


def _extract(subject):
    """(base subject as written, whether a reply/forward marker was removed): RFC 5256 2.1.

    Works on a [start, end) window rather than slicing, so that a hostile subject of many
    thousand "Re:" or "[x]" costs linear time, not quadratic.
    """
    text = _FOLDING.sub(" ", subject) if isinstance(subject, str) else ""  # (1)
    start, end = 0, len(text)
    is_reply = False
    while True:
        while end > start:  # (2) trailers: whitespace and "(fwd)"
            if text[end - 1] in " \t":
                end -= 1
            elif end - start >= 5 and text[end - 5:end].lower() == "(fwd)":
                end -= 5
                is_reply = True
            else:
                break
        while start < end:  # (3), (4), (5)
            if text[start] in " \t":
                start += 1
                continue
            run_end = last_blob = start
            while blob := _BLOB.match(text, run_end, end):
                last_blob, run_end = run_end, blob.end()
            refwd = _REFWD.match(text, run_end, end)
            if refwd:  # blobs then "Re:" make one subj-leader
                is_reply = True
                start = refwd.end()
                continue
            # (4) the blobs go unless the last one is all that is left: it is the subject then.
            # What follows is neither blob, leader nor space, so (3) and (4) are done.
            start = run_end if run_end < end else last_blob
            break
        # (6) "[fwd: ...]" wraps a forwarded subject; unwrap it and start again from (2)
        if end - start >= 6 and text[start:start + 5].lower() == "[fwd:" and text[end - 1] == "]":
            is_reply = True
            start, end = start + 5, end - 1
            continue
        return text[start:end], is_reply


def base_subject(subject: str) -> str:
    """The RFC 5256 base subject, casefolded so that equal subjects compare equal.

    Removes "Re:", "Fw:", "Fwd:" (with optional "[n]" counters, as in "RE[2]:"), "[list]"
    tags, "(fwd)" trailers and "[fwd: ...]" wrappers, and folds runs of whitespace. Also
    removes the localised reply/forward prefixes of common clients ("AW:", "WG:", "SV:",
    "VS:", "Antw:", "TR:", "RV:", "回复:" ...), which the RFC leaves in place. A subject that is
    only a tag, like "[heron]", keeps the tag. Never raises; a non-string gives "".
    """
    return _extract(subject)[0].casefold()


def _msg_id(inner):
    """One Message ID normalised so quoting does not matter, or "" when it is not valid."""
    inner = "".join(inner.split())
    quoted = _QUOTED_LOCAL.fullmatch(inner)
    if quoted:
        # RFC 5256 requires <"a.b"@x> and <a.b@x> to be the same Message ID
        inner = re.sub(r"\\(.)", r"\1", quoted[1]) + (quoted[2] or "")
    return inner


def _msg_ids(header):
    """Every valid Message ID in a References or In-Reply-To value, in order."""
    if not isinstance(header, str):
        return []
    return [found for found in (_msg_id(m) for m in _MSG_ID.findall(header)) if found]


def _own_id(header):
    """A message's own Message ID; a bare "id@host" without brackets is accepted too."""
    found = _msg_ids(header)
    if found:
        return found[0]
    if isinstance(header, str):
        bare = header.strip()
        if bare and not any(c.isspace() or c in "<>" for c in bare):
            return bare
    return ""


def _when(date):
    """A sort key for a sent date: exact, comparable across zones, never raising."""
    if not isinstance(date, datetime):
        return _UNKNOWN_DATE
    try:
        if date.utcoffset() is None:
            date = date.replace(tzinfo=timezone.utc)  # RFC 5256 2.2: a bad zone is UTC
        return date - _EPOCH
    except (OverflowError, ValueError, TypeError):
        return _UNKNOWN_DATE


class _Node:
    """A container of the thread tree: a message, or a dummy standing in for a missing one."""

    __slots__ = ("message", "key", "subject", "is_reply", "parent", "children")

    def __init__(self, message=None):
        self.message = message
        self.parent = None
        self.children = {}  # an ordered set: unlinking a child must not cost a list scan
        if message is None:
            self.key, self.subject, self.is_reply = None, "", False
        else:
            self.key = (_when(message.date), message.uid)
            base, self.is_reply = _extract(message.subject)
            self.subject = base.casefold()

    def adopt(self, child):
        if child.parent is not None:
            del child.parent.children[child]
        child.parent = self
        self.children[child] = None

    def orphan(self):
        if self.parent is not None:
            del self.parent.children[self]
            self.parent = None


def _would_loop(parent, child):
    """Whether making `parent` the parent of `child` would close a cycle."""
    if parent is child:
        return True
    if not child.children:  # a leaf cannot be an ancestor; spares the walk on long chains
        return False
    node = parent.parent
    while node is not None:
        if node is child:
            return True
        node = node.parent
    return False


def _link(messages):
    """Step 1: every message and referenced ID as a node, linked parent to child."""
    by_id = {}
    nodes = []
    # Duplicates keep their ID only in the lowest-UID message (the RFC's lowest sequence
    # number); later ones, and messages with no valid ID, get a node no reference can reach.
    for message in messages:
        node = _Node(message)
        nodes.append(node)
        own = _own_id(message.message_id)
        if own and own not in by_id:
            by_id[own] = node

    def node_for(msg_id):
        if msg_id not in by_id:
            by_id[msg_id] = _Node()
        return by_id[msg_id]

    for node in nodes:
        references = _msg_ids(node.message.references)
        if not references:
            references = _msg_ids(node.message.in_reply_to)[:1]
        chain = [node_for(msg_id) for msg_id in references]
        for parent, child in zip(chain, chain[1:]):  # 1A: keep links made earlier
            if child.parent is None and not _would_loop(parent, child):
                parent.adopt(child)
        node.orphan()  # 1B: the message's own last reference is the better parent
        if chain and not _would_loop(chain[-1], node):
            chain[-1].adopt(node)
    return list(nodes) + [n for n in by_id.values() if n.message is None]


def _prune_below(top):
    """Step 3 below the top level: drop childless dummies, splice the others' children in."""
    stack = [top]
    while stack:
        node = stack.pop()
        pending = list(reversed(node.children))  # a stack: the next sibling is last
        kept = []
        while pending:
            child = pending.pop()
            if child.message is not None:
                kept.append(child)
            else:
                pending.extend(reversed(child.children))
        node.children = dict.fromkeys(kept)
        for child in kept:
            child.parent = node
        stack.extend(kept)


def _first(node):
    """The message that stands for a top-level node when sorting and comparing subjects:
    itself, or the oldest child of a dummy (steps 4 and 5B.i)."""
    while node.message is None and node.children:
        node = min(node.children, key=lambda child: child.key or _UNKNOWN_KEY)
    return node


def _gather_by_subject(roots):
    """Step 5: join top-level threads whose (first) message has the same base subject."""
    table: dict = {}
    for node in roots:  # 5B
        subject = _first(node).subject
        if not subject:
            continue
        held = table.get(subject)
        if held is None:
            table[subject] = node
        elif held.message is not None and (
                node.message is None or (held.is_reply and not node.is_reply)):
            table[subject] = node
    at_top = dict.fromkeys(roots)
    for node in roots:  # 5C
        if node not in at_top:
            continue
        subject = _first(node).subject
        held = table.get(subject) if subject else None
        if held is None or held is node:
            continue
        del at_top[node]
        if held.message is None and node.message is None:
            for child in list(node.children):
                held.adopt(child)
        elif held.message is None or (node.is_reply and not held.is_reply):
            held.adopt(node)
        else:
            dummy = _Node()
            del at_top[held]
            dummy.adopt(held)
            dummy.adopt(node)
            at_top[dummy] = None
            table[subject] = dummy
    return list(at_top)


def _keys(top):
    """The (date, UID) keys of a thread's messages, oldest first."""
    found = []
    stack = [top]
    while stack:
        node = stack.pop()
        if node.message is not None:
            found.append(node.key)
        stack.extend(node.children)
    return sorted(found)


def thread_references(messages: list[ThreadInput]) -> list[list[int]]:
    """Group messages into threads with the RFC 5256 REFERENCES algorithm.

    Returns each thread as a list of UIDs in date order (oldest first, ties by UID); threads
    are ordered by their newest message, newest thread first (ties: higher UID first). A
    message with an unknown date sorts as the oldest. Messages are threaded by References
    (or the first ID of In-Reply-To when References has none), then top-level threads with
    the same base subject are joined, as the RFC does. Later duplicates of a Message-ID and
    messages without one are threaded as if they had a unique ID; a UID given twice counts
    once. Never raises: malformed header values simply link nothing.
    """
    chosen = {}
    for message in messages or ():
        if (isinstance(message, ThreadInput) and isinstance(message.uid, int)
                and not isinstance(message.uid, bool) and message.uid not in chosen):
            chosen[message.uid] = message
    nodes = _link([chosen[uid] for uid in sorted(chosen)])  # the RFC's sequence-number order

    roots = [node for node in nodes if node.parent is None]  # step 2
    for node in roots:
        _prune_below(node)
    tops = []
    for node in roots:  # step 3 at the top: a dummy stays only if it joins several messages
        if node.message is not None or len(node.children) > 1:
            tops.append(node)
        elif node.children:
            child = next(iter(node.children))
            child.parent = None
            tops.append(child)
    tops.sort(key=lambda node: _first(node).key or _UNKNOWN_KEY)  # step 4
    tops = _gather_by_subject(tops)

    # Step 6's tree order gives way to Heron's list order: newest conversation first.
    threads = sorted((keys for keys in map(_keys, tops) if keys), key=lambda keys: keys[-1],
                     reverse=True)
    return [[uid for _, uid in keys] for keys in threads]


def flatten_server_threads(response) -> list[list[int]]:
    """imapclient's THREAD response as lists of UIDs, one list per thread.

    `((1,), (2, (3,), (4, 5)))` gives `[[1], [2, 3, 4, 5]]`: each top-level item is a
    thread, a tuple is a chain and a nested tuple a branch. UIDs keep the server's order
    (depth first); the caller re-sorts. A bare number at the top level is a thread of its
    own; anything that is not a number is skipped. Never raises.
    """
    if not isinstance(response, (tuple, list)):
        return []
    threads = []
    for item in response:
        uids = []
        stack = [item]
        while stack:
            node = stack.pop()
            if isinstance(node, (tuple, list)):
                stack.extend(reversed(node))
            elif isinstance(node, int) and not isinstance(node, bool):
                uids.append(node)
        if uids:
            threads.append(uids)
    return threads
