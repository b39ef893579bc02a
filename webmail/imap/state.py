"""The mailbox cache, shared by every frontend through Django's cache (Redis in production).

What a page of a folder needs, kept between requests so that a view of an unchanged folder
costs the SELECT that revalidates it and nothing more:

* sorted UID lists, per folder and sort order, valid while the folder's UIDVALIDITY,
  UIDNEXT and message count are the ones they were made at (flags do not change an order,
  and any arrival or expunge changes UIDNEXT or the count); search results likewise, and
  while HIGHESTMODSEQ is the same too (only on servers with CONDSTORE);
* message summaries without their flags (envelope, size, attachment mark), which never
  change for a UIDVALIDITY and UID;
* flags, only where the server has CONDSTORE: valid while HIGHESTMODSEQ is the same.
  Without it the flags of a page are fetched every time;
* the folder list with its counts, for FOLDER_LIST_SECONDS, dropped by any change Heron
  makes (another client's changes show within that time);
* message bodies as shown (sanitized), per message and rendering choice.

Keys hold a digest of the account (server and login) and of the folder name, never the
address itself; values are JSON-friendly; everything expires. A UIDVALIDITY change starts
new keys, so nothing of the old folder is read again.
"""
import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache

from webmail import metrics

from .types import Address, MessageSummary

SORTED_SECONDS = 6 * 3600
FOLDER_LIST_SECONDS = 30
SUMMARY_SECONDS = 7 * 24 * 3600
FLAGS_SECONDS = 24 * 3600


@dataclass(frozen=True)
class FolderState:
    """What SELECT said of a folder; equal states mean nothing arrived or left."""

    uidvalidity: int
    uidnext: int
    exists: int
    modseq: int | None  # HIGHESTMODSEQ, None without CONDSTORE

    def as_select(self):
        """The state as select_folder() would have answered it."""
        answer = {b"UIDVALIDITY": self.uidvalidity, b"UIDNEXT": self.uidnext,
                  b"EXISTS": self.exists}
        if self.modseq is not None:
            answer[b"HIGHESTMODSEQ"] = self.modseq
        return answer

    @classmethod
    def from_select(cls, info):
        modseq = info.get(b"HIGHESTMODSEQ")
        return cls(int(info.get(b"UIDVALIDITY") or 0), int(info.get(b"UIDNEXT") or 0),
                   int(info.get(b"EXISTS") or 0), int(modseq) if modseq else None)


def _digest(*parts):
    return hashlib.sha256("\x00".join(map(str, parts)).encode()).hexdigest()[:24]


class MailboxCache:
    """The cache of one account's folders."""

    def __init__(self, host, port, username):
        self.account = _digest(host, port, username.lower())

    def _key(self, kind, mailbox, state, *rest):
        return ":".join(("heron", kind, self.account, _digest(mailbox),
                         str(state.uidvalidity), *map(str, rest)))

    # --- the folder list with its counts ---------------------------------------------------
    def folders(self):
        found = cache.get(f"heron:folders:{self.account}")
        metrics.cache_lookup("folder-list", found is not None)
        return found

    def keep_folders(self, folders):
        cache.set(f"heron:folders:{self.account}", list(folders), FOLDER_LIST_SECONDS)

    def forget_folders(self):
        cache.delete(f"heron:folders:{self.account}")

    def rendered_key(self, mailbox, uidvalidity, uid, variant):
        """The key of a message's body as shown (variant: which part, images or not)."""
        return ":".join(("heron", "body", self.account, _digest(mailbox), str(uidvalidity),
                         str(uid), _digest(variant)))

    # --- sorted UID lists ----------------------------------------------------------------
    def sorted(self, mailbox, state, order, criteria=None):
        """The cached UID list of a sort order (and search criteria), or None."""
        found = cache.get(self._key("sorted", mailbox, state, _variant(order, criteria)))
        valid = bool(found) and found.get("at") == _valid_at(state, criteria)
        metrics.cache_lookup("mailbox-sorted" if criteria is None else "mailbox-search", valid)
        return found["uids"] if valid else None

    def keep_sorted(self, mailbox, state, order, uids, criteria=None):
        cache.set(self._key("sorted", mailbox, state, _variant(order, criteria)),
                  {"at": _valid_at(state, criteria), "uids": list(uids)}, SORTED_SECONDS)

    # --- summaries -------------------------------------------------------------------------
    def summaries(self, mailbox, state, uids):
        """{uid: MessageSummary} of those cached, with their flags when still valid."""
        keys = {self._key("summary", mailbox, state, uid): uid for uid in uids}
        found = cache.get_many(list(keys))
        metrics.cache_lookups("mailbox-summary", len(found), len(keys) - len(found))
        flags = {}
        if state.modseq is not None and found:
            flag_keys = {self._key("flags", mailbox, state, state.modseq, keys[key]): keys[key]
                         for key in found}
            flags = {flag_keys[k]: v for k, v in cache.get_many(list(flag_keys)).items()}
            metrics.cache_lookups("mailbox-flags", len(flags), len(flag_keys) - len(flags))
        result = {}
        for key, value in found.items():
            uid = keys[key]
            result[uid] = _summary(uid, value, flags.get(uid))
        return result

    def keep_summaries(self, mailbox, state, summaries):
        cache.set_many({self._key("summary", mailbox, state, s.uid): _as_json(s)
                        for s in summaries}, SUMMARY_SECONDS)
        self.keep_flags(mailbox, state, {s.uid: s.flags for s in summaries})

    def keep_flags(self, mailbox, state, flags):
        if state.modseq is not None and flags:
            cache.set_many({self._key("flags", mailbox, state, state.modseq, uid): list(value)
                            for uid, value in flags.items()}, FLAGS_SECONDS)


def searchable(state):
    """Search results can be kept only where HIGHESTMODSEQ tells a flag changed (criteria
    such as UNSEEN depend on flags, and a changed flag changes nothing else of SELECT)."""
    return state is not None and state.modseq is not None


def _variant(order, criteria):
    return order if criteria is None else f"{order}:{_digest(repr(list(criteria)))}"


def _valid_at(state, criteria):
    """What a kept list depends on: which messages exist, and for a search their flags."""
    if criteria is None:
        return [state.uidnext, state.exists]
    return [state.uidnext, state.exists, state.modseq]


def _as_json(summary):
    return {"s": summary.subject, "f": [summary.sender.name, summary.sender.email],
            "t": [[a.name, a.email] for a in summary.to],
            "d": summary.date.isoformat() if summary.date else None,
            "z": summary.size, "a": summary.has_attachments}


def _summary(uid, value, flags):
    """A cached summary; flags None means they must be fetched (the caller does)."""
    return MessageSummary(
        uid=uid, subject=value["s"], sender=Address(*value["f"]),
        to=tuple(Address(*pair) for pair in value["t"]),
        date=datetime.fromisoformat(value["d"]) if value["d"] else None,
        size=value["z"], flags=tuple(flags) if flags is not None else None,
        has_attachments=value["a"])
