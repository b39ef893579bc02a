"""The mailbox cache, shared by every frontend through Django's cache (Redis in production).

What a page of a folder needs, kept between requests so that a view of an unchanged folder
costs the SELECT that revalidates it and nothing more:

* sorted UID lists, per folder and sort order, valid while the folder's UIDVALIDITY,
  UIDNEXT and message count are the ones they were made at (flags do not change an order,
  and any arrival or expunge changes UIDNEXT or the count). An out-of-date list is the
  start of the new one: the session keeps its order, drops what left and places what came
  (MailSession.sorted_uids). Search results likewise: those of text and date criteria
  depend only on which messages exist, and take in new mail by searching just the new
  messages; those of criteria on flags (UNSEEN…) are kept only while HIGHESTMODSEQ is the
  same too (servers with CONDSTORE), and searched again after any change;
* message summaries without their flags (envelope, size, attachment mark, the snippet of
  the text), which never change for a UIDVALIDITY and UID;
* what never changes of a message (envelope, references, MIME structure): no FETCH of
  its structure on opening it again;
* flags, only where the server has CONDSTORE, each with the HIGHESTMODSEQ it was read
  at: current while that is the folder's, and brought up to date with CHANGEDSINCE (only
  the changed ones come back). Without CONDSTORE the flags of a page are fetched every time;
* the folder list with its counts (folders());
* message bodies as shown (sanitized), per message and rendering choice.

Keys hold digests of the account (server and login) and of the folder name, never the
address; everything expires. A new UIDVALIDITY starts new keys.

Values are JSON (webmail/cachejson.py), each key family with its shape's version in the
key (SHAPES), bumped when the shape changes: two releases side by side in a rolling
upgrade never read each other's values of it. A value of another shape is a miss.
"""
import hashlib
import math
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache

from webmail.cachejson import read

from . import hooks, pagememo
from .readahead import ReadAhead
from .search import depends_on_flags
from .types import Address, Mailbox, MessageSummary, Outline, Part

SORTED_SECONDS = 6 * 3600
SORTED_BLOCK = 1000
FOLDER_LIST_SECONDS = 30
FOLDER_LIST_VOUCHED_SECONDS = 60
SUMMARY_SECONDS = 7 * 24 * 3600
OUTLINE_SECONDS = 24 * 3600
FLAGS_SECONDS = 24 * 3600
CAPABILITIES_SECONDS = 24 * 3600
# The version of each key family's value shape, named in its keys: bumped when the
# shape changes, so that two releases never misread each other's values. "body" is the
# shape of webmail/mail.py's shown bodies, whose keys rendered_key() makes.
SHAPES = {"folders": 4, "sorted": 1, "summary": 2, "outline": 3, "flags": 1, "body": 1}


@dataclass(frozen=True)
class FolderState:
    """What SELECT said of a folder; equal states mean nothing arrived or left."""

    uidvalidity: int
    uidnext: int
    exists: int
    modseq: int | None  # HIGHESTMODSEQ, None without CONDSTORE

    @classmethod
    def from_select(cls, info):
        modseq = info.get(b"HIGHESTMODSEQ")
        return cls(int(info.get(b"UIDVALIDITY") or 0), int(info.get(b"UIDNEXT") or 0),
                   int(info.get(b"EXISTS") or 0), int(modseq) if modseq else None)


@dataclass(frozen=True)
class KeptList:
    uids: list
    uidnext: int  # the folder's UIDNEXT when the list was made
    current: bool  # made at the folder's present state


def _digest(*parts):
    return hashlib.sha256("\x00".join(map(str, parts)).encode()).hexdigest()[:24]


def folders_key(account):
    """The key of the folder list of the account (MailboxCache.account, a digest)."""
    return f"heron:folders:v{SHAPES['folders']}:{account}"


class MailboxCache:
    """The cache of one account's folders."""

    def __init__(self, host, port, username):
        self.account = _digest(host, port, username.lower())
        self.folders_key = folders_key(self.account)
        # What this request read ahead: here (read_along) and with the watcher's record
        # (the account's Vouch shares it).
        self.ahead = ReadAhead()

    def begin_request(self):
        """Nothing read ahead for an earlier request is taken in this one."""
        self.ahead.clear()

    def read_along(self, mailbox, state, uids, kinds):
        """Read what the request will ask next of these messages (kinds: "summary",
        "outline", "flags") in one round trip; summaries(), outlines() and flags() then
        take it from there. A key written meanwhile (keep_*) is read again."""
        if state is None or not uids:
            return
        keys = [self._key(kind, mailbox, state, uid) for kind in kinds
                if kind != "flags" or state.modseq is not None for uid in uids]
        self.ahead.hold(keys, cache.get_many(keys))

    def _read_many(self, keys, shape, build):
        """{what keys names: build(it, value)} of the values found of that shape."""
        found = self.ahead.take_many(list(keys))
        taken = {keys[key]: read(value, shape, lambda value, key=key: build(keys[key], value))
                 for key, value in found.items()}
        return {name: value for name, value in taken.items() if value is not None}

    def _set_many(self, values, seconds):
        self.ahead.drop(values)
        cache.set_many(values, seconds)

    def _key(self, kind, mailbox, state, *rest):
        validity = state if isinstance(state, int) else state.uidvalidity
        return ":".join(("heron", kind, f"v{SHAPES[kind]}", self.account, _digest(mailbox),
                         str(validity), *map(str, rest)))

    # --- the folder list with its counts ---------------------------------------------------
    def folders(self, epoch=None):
        """The cached folder list as Mailbox objects, or None. One kept under a watcher's
        epoch holds while that epoch does (Vouch.everything()), FOLDER_LIST_VOUCHED_SECONDS
        at most (for a change told late or never); any other FOLDER_LIST_SECONDS."""
        kept = pagememo.folder_list(self.account, self.ahead.take(self.folders_key),
                                    _folder_list)
        if kept and kept[0] and kept[0] != epoch:
            kept = None
        hooks.cache_lookup("folder-list", bool(kept))
        return list(kept[1]) if kept else None

    def keep_folders(self, folders, epoch=None):
        self.ahead.drop([self.folders_key])
        cache.set(self.folders_key, {
            "epoch": epoch or "",
            "stamp": uuid.uuid4().hex,  # new with each list (pagememo.folder_list)
            "list": [{name: getattr(f, name) for name in _MAILBOX} for f in folders],
        }, FOLDER_LIST_VOUCHED_SECONDS if epoch else FOLDER_LIST_SECONDS)

    def forget_folders(self):
        self.ahead.drop([self.folders_key])
        cache.delete(self.folders_key)

    # --- what the server can do -------------------------------------------------------------
    def capabilities(self):
        """The capabilities the account's last login saw (bytes, upper case), or None."""
        found = read(cache.get(f"heron:caps:v1:{self.account}"), [str],
                     lambda value: frozenset(item.encode() for item in value))
        return found

    def keep_capabilities(self, capabilities):
        key = f"heron:caps:v1:{self.account}"
        cache.set(key, sorted(item.decode("ascii", "replace").upper() for item in capabilities),
                  CAPABILITIES_SECONDS)

    def namespaces(self):
        """(prefix, section) pairs the account's NAMESPACE answered (folders.py), or None."""
        return read(cache.get(f"heron:namespaces:v1:{self.account}"), [[str]],
                    lambda value: [(prefix, section) for prefix, section in value])

    def keep_namespaces(self, found):
        cache.set(f"heron:namespaces:v1:{self.account}", [list(pair) for pair in found],
                  CAPABILITIES_SECONDS)

    def rendered_key(self, mailbox, uidvalidity, uid, variant):
        """The key of a message's body as shown (variant: which part, images or not)."""
        return self._key("body", mailbox, uidvalidity, uid, _digest(variant))

    # --- sorted UID lists ----------------------------------------------------------------
    # A long list is kept in blocks of SORTED_BLOCK UIDs under keys of their own, each
    # marked with the state it was made at, so that a page reads the one or two blocks it
    # shows, not 100,000 UIDs. A reader that finds blocks of two writers (their marks
    # differ) counts it a miss.
    def sorted(self, mailbox, state, order, criteria=None):
        """The cached list of a sort order (and search criteria) as a KeptList, or None.
        Its current says whether it was made at the folder's state; an older list is
        still given, for the session to bring up to date, unless it answered criteria on
        flags (those are searched again)."""
        key = self._key("sorted", mailbox, state, _variant(order, criteria))
        found = read(cache.get(key), _SORTED)
        current = bool(found) and found.get("at") == _valid_at(state, criteria)
        if found and not (current or criteria is None or not depends_on_flags(criteria)):
            found = None
        uids = None
        if found:
            uids = found["uids"] if "uids" in found else self._blocks(
                key, found["at"], range(math.ceil(found["n"] / SORTED_BLOCK)))
        hooks.cache_lookup("mailbox-sorted" if criteria is None else "mailbox-search",
                           current and uids is not None)
        return KeptList(uids, found["at"][0], current) if uids is not None else None

    def sorted_window(self, mailbox, state, order, page, per_page):
        """(UIDs of the page, the list's length, the page) of the current kept list of a
        plain sort order, reading only what the page shows; None when there is none."""
        key, found = self._current_sorted(mailbox, state, order)
        if found is None:
            return None
        total = found.get("n", len(found.get("uids", ())))
        page = min(max(1, page), max(1, math.ceil(total / per_page)))
        window = self._slice(key, found, (page - 1) * per_page, min(page * per_page, total))
        hooks.cache_lookup("mailbox-sorted", window is not None)
        return (window, total, page) if window is not None else None

    def sorted_around(self, mailbox, state, order, index):
        """[previous, this, next] UIDs at index of the current kept list of a plain sort
        order (None past either end), reading one or two blocks; None when there is none."""
        key, found = self._current_sorted(mailbox, state, order)
        total = found.get("n", len(found.get("uids", ()))) if found else 0
        if found is None or not 0 <= index < total:
            return None
        start = max(0, index - 1)
        near = self._slice(key, found, start, min(index + 2, total))
        hooks.cache_lookup("mailbox-sorted", near is not None)
        if near is None:
            return None
        near = ([None] if index == 0 else []) + near + ([None] if index + 1 == total else [])
        return near

    def _current_sorted(self, mailbox, state, order):
        key = self._key("sorted", mailbox, state, _variant(order, None))
        found = read(cache.get(key), _SORTED)
        if not found or found.get("at") != _valid_at(state, None):
            hooks.cache_lookup("mailbox-sorted", False)
            return key, None
        return key, found

    def _slice(self, key, found, start, stop):
        """UIDs start:stop of a kept list, from the blocks that hold them; None if one
        is missing or of another state."""
        if "uids" in found:
            return found["uids"][start:stop]
        first = start // SORTED_BLOCK
        blocks = self._blocks(key, found["at"],
                              range(first, max(start, stop - 1) // SORTED_BLOCK + 1))
        offset = first * SORTED_BLOCK
        return blocks[start - offset:stop - offset] if blocks is not None else None

    def _blocks(self, key, at, numbers):
        keys = [f"{key}:{number}" for number in numbers]
        found = cache.get_many(keys)
        uids = []
        for block_key in keys:
            block = read(found.get(block_key), _BLOCK)
            if block is None or block["at"] != at:
                return None
            uids.extend(block["u"])
        return uids

    def keep_sorted(self, mailbox, state, order, uids, criteria=None):
        key, at = self._key("sorted", mailbox, state, _variant(order, criteria)), \
            _valid_at(state, criteria)
        uids = list(uids)
        if len(uids) <= SORTED_BLOCK:
            cache.set(key, {"at": at, "n": len(uids), "uids": uids}, SORTED_SECONDS)
            return
        cache.set_many({f"{key}:{start // SORTED_BLOCK}":
                        {"at": at, "u": uids[start:start + SORTED_BLOCK]}
                        for start in range(0, len(uids), SORTED_BLOCK)}, SORTED_SECONDS)
        cache.set(key, {"at": at, "n": len(uids)}, SORTED_SECONDS)  # last: blocks first

    # --- summaries -------------------------------------------------------------------------
    def summaries(self, mailbox, state, uids):
        """{uid: MessageSummary} of those cached, flags None (flags() has them)."""
        keys = {self._key("summary", mailbox, state, uid): uid for uid in uids}
        found = self._read_many(keys, _LISTED, lambda uid, value: _summary(uid, value, None))
        hooks.cache_lookups("mailbox-summary", len(found), len(keys) - len(found))
        return found

    def keep_summaries(self, mailbox, state, summaries):
        self._set_many({self._key("summary", mailbox, state, s.uid):
                        {**_as_json(s), "p": s.snippet} for s in summaries}, SUMMARY_SECONDS)

    # --- what never changes of a message -----------------------------------------------
    def outlines(self, mailbox, state, uids):
        """{uid: Outline} of those cached."""
        keys = {self._key("outline", mailbox, state, uid): uid for uid in uids}
        found = self._read_many(keys, _OUTLINE, _outline)
        hooks.cache_lookups("message-outline", len(found), len(keys) - len(found))
        return found

    def keep_outlines(self, mailbox, state, outlines):
        self._set_many({self._key("outline", mailbox, state, o.summary.uid):
                        _outline_json(o) for o in outlines}, OUTLINE_SECONDS)

    # --- flags -------------------------------------------------------------------------
    def flags(self, mailbox, state, uids):
        """{uid: (HIGHESTMODSEQ they were read at, flags)} of those cached; only with
        CONDSTORE, where that number tells whether they may have changed since."""
        if state.modseq is None or not uids:
            return {}
        keys = {self._key("flags", mailbox, state, uid): uid for uid in uids}
        found = self._read_many(keys, _FLAGS, lambda uid, value: (value["m"], tuple(value["f"])))
        current = sum(1 for modseq, _flags in found.values() if modseq >= state.modseq)
        hooks.cache_lookups("mailbox-flags", current, len(keys) - current)
        return found

    def keep_flags(self, mailbox, state, flags):
        """Keep {uid: flags} as read at the state's HIGHESTMODSEQ (a change made after it
        may be in them too: then CHANGEDSINCE reports it again, which is harmless)."""
        if state.modseq is not None and flags:
            self._set_many({self._key("flags", mailbox, state, uid):
                            {"m": state.modseq, "f": list(value)}
                            for uid, value in flags.items()}, FLAGS_SECONDS)


def searchable(state, criteria):
    """Whether a list (criteria None) or search results can be kept: results of criteria
    on flags (UNSEEN…) only where HIGHESTMODSEQ tells a flag changed (a changed flag
    changes nothing else of SELECT); text and date criteria, like a plain list, depend
    only on which messages exist."""
    if state is None:
        return False
    return criteria is None or not depends_on_flags(criteria) or state.modseq is not None


def _variant(order, criteria):
    return order if criteria is None else f"{order}:{_digest(repr(list(criteria)))}"


def _valid_at(state, criteria):
    """What a kept list depends on: which messages exist, and for a search on flags
    their flags too."""
    if criteria is None or not depends_on_flags(criteria):
        return [state.uidnext, state.exists]
    return [state.uidnext, state.exists, state.modseq]


def _as_json(summary):
    return {"s": summary.subject, "f": [summary.sender.name, summary.sender.email],
            "t": _people(summary.to),
            "d": summary.date.isoformat() if summary.date else None,
            "z": summary.size, "a": summary.has_attachments}


def _summary(uid, value, flags):
    """A cached summary; flags None means they must be fetched (the caller does)."""
    return MessageSummary(
        uid=uid, subject=value["s"], sender=Address(*value["f"]),
        to=tuple(Address(*pair) for pair in value["t"]),
        date=datetime.fromisoformat(value["d"]) if value["d"] else None,
        size=value["z"], flags=tuple(flags) if flags is not None else None,
        has_attachments=value["a"], snippet=value.get("p", ""))


def _people(addresses):
    return [[a.name, a.email] for a in addresses]


def _outline_json(outline):
    return {"m": _as_json(outline.summary), "c": _people(outline.cc),
            "r": _people(outline.reply_to), "i": outline.message_id,
            "n": outline.in_reply_to, "f": outline.references, "s": outline.single,
            "p": [{name: getattr(part, name) for name in _PART} for part in outline.parts],
            "o": [outline.parts_total, outline.too_deep]}


def _outline(uid, value):
    return Outline(summary=_summary(uid, value["m"], None),
                   cc=tuple(Address(*pair) for pair in value["c"]),
                   reply_to=tuple(Address(*pair) for pair in value["r"]),
                   message_id=value["i"], in_reply_to=value["n"], references=value["f"],
                   single=value["s"], parts=tuple(Part(**fields) for fields in value["p"]),
                   parts_total=value["o"][0], too_deep=value["o"][1])


# The shapes of the values (webmail.cachejson.read): a key family's SHAPES number is
# bumped with any change here.
_MAILBOX = {"name": str, "display_name": str, "delimiter": str, "role": str, "depth": int,
            "selectable": bool, "unread": int, "total": int, "parent": str, "section": str,
            "subscribed": bool, "rights": (None, str)}
_FOLDER_LIST = {"epoch": str, "stamp": str, "list": [_MAILBOX]}
_AT = [(int, None)]
_SORTED = ({"at": _AT, "n": int, "uids": [int]}, {"at": _AT, "n": int})
_BLOCK = {"at": _AT, "u": [int]}
_PEOPLE = [[str]]
_SUMMARY = {"s": str, "f": [str], "t": _PEOPLE, "d": (str, None), "z": int, "a": bool}
# A summary of the "summary" family has its snippet too; an outline's has none.
_LISTED = {**_SUMMARY, "p": str}
_PART = {"section": str, "content_type": str, "filename": str, "size": int, "encoding": str,
         "charset": str, "disposition": str, "related": bool, "content_id": str, "choice": str}
_OUTLINE = {"m": _SUMMARY, "c": _PEOPLE, "r": _PEOPLE, "i": str, "n": str, "f": str,
            "s": bool, "p": [_PART], "o": [int]}
_FLAGS = {"m": int, "f": [str]}


def _folder_list(value):
    return read(value, _FOLDER_LIST, lambda found: (
        found["epoch"], tuple(Mailbox(**fields) for fields in found["list"])))
