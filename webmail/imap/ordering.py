"""Ordering and paging: a folder's UIDs in a sort order, kept in the mailbox cache and
brought up to date from the difference alone; the page of summaries a list shows; the
neighbours of a message for prev/next."""
import bisect
import math
import unicodedata

from . import pagememo, parse, search, structure
from .state import searchable
from .threads import base_subject
from .types import MessagePage

# Sort orders Heron offers; the names are RFC 5256 sort keys.
SORT_KEYS = {"date": "DATE", "arrival": "ARRIVAL", "from": "FROM", "to": "TO",
             "subject": "SUBJECT", "size": "SIZE"}
# A list shows people by name: where the server offers SORT=DISPLAY (RFC 5957) it sorts
# by the name shown, not by the address's local part that FROM and TO sort by.
_DISPLAY_KEYS = {"FROM": "DISPLAYFROM", "TO": "DISPLAYTO"}
# What Heron fetches to sort by itself, on a server without SORT.
_LOCAL_FIELDS = {"DATE": ["ENVELOPE", "INTERNALDATE"], "FROM": ["ENVELOPE"],
                 "TO": ["ENVELOPE"], "SUBJECT": ["ENVELOPE"], "SIZE": ["RFC822.SIZE"]}


def _order(key, reverse):
    return f"{key}:{'desc' if reverse else 'asc'}"


class Ordering:
    def __init__(self, conn, selection, flags):
        self.conn = conn
        self.sel = selection
        self.flags = flags

    def sorted_uids(self, mailbox, sort="date", reverse=True, criteria=None):
        """UIDs of a folder in the given order: server SORT when offered, else Heron's own.

        criteria (a token list from search.criteria) limits the list to matching messages.
        """
        key = self._key(sort)
        state = self.sel.select(mailbox)
        if not state.exists:
            return []
        order, cache = _order(key, reverse), self.conn.cache
        cacheable = searchable(state, criteria)
        kept = cache.sorted(mailbox, state, order, criteria) if cacheable else None
        if kept is not None and kept.current:
            return kept.uids
        uids = None
        if kept is not None:
            uids = self._resorted(key, reverse, kept.uidnext, kept.uids, state.uidnext,
                                  criteria)
        if uids is None and self.conn.has("SORT"):
            uids = list(self.conn.call("sort", ["REVERSE", key] if reverse else [key],
                                       criteria or ["ALL"], "UTF-8"))
        elif uids is None:
            uids = self._sort_locally(key, reverse, criteria or ["ALL"])
        if cacheable:
            cache.keep_sorted(mailbox, state, order, uids, criteria)
        return uids

    def _key(self, sort):
        """The SORT key for a sort order's name: DISPLAYFROM/DISPLAYTO where offered."""
        key = SORT_KEYS.get(sort, "DATE")
        if key in _DISPLAY_KEYS and self.conn.has("SORT=DISPLAY"):
            return _DISPLAY_KEYS[key]
        return key

    def around(self, mailbox, uid, sort="date", reverse=True, index=None):
        """(previous, next) UIDs around uid when it is at index of the folder's kept list
        in that order (what the list page that linked to it said), read from the one or
        two blocks that hold them; None when that cannot be told (then the whole list)."""
        if index is None or not self.sel.keeps_state:
            return None
        self.sel.select(mailbox)
        if self.sel.state is None:
            return None
        order = _order(self._key(sort), reverse)
        at = self.sel.state
        # Kept in the process for the folder's state, as a page is (pagememo).
        memo_key = pagememo.key(self.conn.cache.account, mailbox, at, order, "around", index)
        near = pagememo.get(memo_key, "mailbox-around")
        if near is None:
            near = self.conn.cache.sorted_around(mailbox, at, order, index)
            if near is not None and at == self.sel.state:
                pagememo.keep(memo_key, tuple(near))
        if near is None or near[1] != uid:
            return None
        return near[0], near[2]

    def _resorted(self, key, reverse, uidnext, uids, limit, criteria=None):
        """A sorted list made when the folder's UIDNEXT was uidnext, brought up to date
        from the difference alone; None where that cannot be done exactly (then the
        caller sorts the whole folder).

        One ESEARCH tells which UIDs exist now, as ranges (a few bytes for a folder whose
        UIDs run on). Those that left are dropped from the old order. Those that came are
        sorted by the server together with the message they would have to come before
        (the old first, for a descending order, where new mail goes) or after (the old
        last, for an ascending one): if they all do, they go there, and the order is the
        server's own. Otherwise, and where the server has no ESEARCH or SORT, None.
        UIDs from limit (the UIDNEXT of the state the list is for) on are left for later.
        For search results (criteria, which must not depend on flags) only the new
        messages are searched."""
        if not (self.conn.has("ESEARCH") and self.conn.has("SORT")) or uidnext > limit:
            return None  # (a list newer than this state, from another frontend: sort)
        now = self.sel.all_uids()  # ascending
        now = now[:bisect.bisect_left(now, limit)]
        arrived = now[bisect.bisect_left(now, uidnext):]
        if criteria is not None:
            present = set(now)
            kept = [uid for uid in uids if uid in present]
            known = set(kept)
            arrived = [uid for uid in arrived if uid not in known]
            if arrived:
                arrived = self.search_uids(["UID", parse.uid_ranges(arrived), *criteria],
                                           label="search_arrived")
        elif len(uids) + len(arrived) == len(now):
            kept = uids  # nothing left (a UID below UIDNEXT cannot come back)
        else:
            present = set(now)
            kept = [uid for uid in uids if uid in present]
            if len(kept) + len(arrived) != len(now):
                return None  # a UID below the old UIDNEXT that the old list did not have
        if not arrived:
            return kept
        program = ["REVERSE", key] if reverse else [key]
        edge = (kept[0] if reverse else kept[-1]) if kept else None
        merged = list(self.conn.call("sort", program,
                                     ["UID", parse.uid_ranges(arrived + [edge] * bool(kept))],
                                     "UTF-8", label="sort_arrived"))
        if edge is None or not merged:
            return merged or None  # (all of them gone meanwhile: sort the folder)
        if reverse and merged[-1] == edge:
            return merged[:-1] + kept
        if not reverse and merged[0] == edge:
            return kept + merged[1:]
        return None

    def search_uids(self, criteria, label=None):
        """UIDs of the selected folder that match, ascending."""
        charset = "UTF-8" if search.needs_charset(criteria) else None
        return sorted(self.conn.call("search", criteria, charset, label=label))

    def _sort_locally(self, key, reverse, criteria=("ALL",)):
        uids = self.search_uids(list(criteria))
        if key == "ARRIVAL" or not uids:
            # UIDs grow with arrival, as the ARRIVAL key's tie-break does.
            return uids[::-1] if reverse else uids
        data = self.conn.call("fetch", uids, _LOCAL_FIELDS[key])

        def value(uid):
            item = data.get(uid, {})
            envelope = item.get(b"ENVELOPE")
            if key == "DATE":
                return parse.sort_key_date(envelope.date if envelope else None,
                                           item.get(b"INTERNALDATE"))
            if key == "SIZE":
                return item.get(b"RFC822.SIZE", 0)
            if key == "SUBJECT":
                return base_subject(parse.decode_words(envelope.subject if envelope else b""))
            # As DISPLAYFROM/DISPLAYTO do: the name shown, the address when there is none,
            # compared as i;unicode-casemap roughly does (decomposed, case folded).
            people = (envelope.from_ if key == "FROM" else envelope.to) if envelope else None
            first = parse.addresses(people)[:1]
            shown = (first[0].name or first[0].email) if first else ""
            return unicodedata.normalize("NFKD", shown).casefold()

        ordered = sorted(uids, key=lambda uid: (value(uid), uid))
        return ordered[::-1] if reverse else ordered

    def with_attachments(self, mailbox, uids):
        """The UIDs (order kept) whose structure holds an attachment; IMAP has no criterion."""
        self.sel.ensure(mailbox)
        keep: set = set()
        for start in range(0, len(uids), 500):
            batch = uids[start:start + 500]
            data = self.conn.call("fetch", batch, ["BODYSTRUCTURE"])
            keep.update(uid for uid in batch
                        if structure.has_attachments(data.get(uid, {}).get(b"BODYSTRUCTURE")))
        return [uid for uid in uids if uid in keep]

    def page(self, mailbox, page=1, per_page=50, sort="date", reverse=True, query=None):
        """One page of a folder, newest first by default; page numbers start at 1.

        query (a search.SearchQuery) limits the page to the messages that match it.
        """
        criteria = search.criteria(query) if query is not None and query.active else None
        attachment = query is not None and query.attachment
        # A page of a plain list on a CONDSTORE server is kept in the process for the
        # folder's whole state (pagememo), and only if that state did not move while the
        # page was made: the list may be brought up to the state it started from, not the
        # one it ends at. (Without CONDSTORE each select is a SELECT: one is enough, and a
        # page can not be kept. A session that has not connected knows whether the server
        # has it from the account's last login: Selection.keeps_state.)
        plain = criteria is None and not attachment
        if plain and self.sel.keeps_state:
            # Only the part of the kept order that the page shows is read.
            self.sel.select(mailbox)
            order = _order(self._key(sort), reverse)
            kept = pagememo.get(self._memo_key(mailbox, self.sel.state, order, page, per_page))
            if kept is not None:
                return kept
            at = self.sel.state
            found = self.conn.cache.sorted_window(
                mailbox, at, order, page, per_page) if at is not None else None
            if found is not None:
                window, total, shown = found
                return self._kept(at, (order, page, per_page), window, MessagePage(
                    mailbox=mailbox, messages=tuple(self.flags.summaries(mailbox, window)),
                    page=shown, pages=max(1, math.ceil(total / per_page)), total=total,
                    offset=(shown - 1) * per_page))
        at = self.sel.state
        uids = self.sorted_uids(mailbox, sort, reverse, criteria)
        if attachment:
            uids = self.with_attachments(mailbox, uids)
        total = len(uids)
        pages = max(1, math.ceil(total / per_page))
        shown = min(max(1, page), pages)
        window = uids[(shown - 1) * per_page: shown * per_page]
        made = MessagePage(mailbox=mailbox, messages=tuple(self.flags.summaries(mailbox, window)),
                           page=shown, pages=pages, total=total,
                           offset=(shown - 1) * per_page if plain else None)
        if not (plain and self.sel.keeps_state):
            return made
        return self._kept(at, (_order(self._key(sort), reverse), page, per_page), window, made)

    def _memo_key(self, mailbox, state, order, page, per_page):
        return pagememo.key(self.conn.cache.account, mailbox, state, order, page, per_page)

    def _kept(self, at, asked, window, made):
        """made, kept for the state at (the one the folder had when its making began) and
        what was asked (order, page, per page): only if no message of the window was left
        out as gone, and the folder's state is still that one."""
        if len(made.messages) == len(window) and at is not None and at == self.sel.state:
            pagememo.keep(self._memo_key(made.mailbox, at, *asked), made)
        return made
