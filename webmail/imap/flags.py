"""Flags and summaries of the selected folder's messages, from the mailbox cache where it
can vouch for them (CONDSTORE), from the server otherwise; and STORE, whose answer keeps
the cache current."""
import dataclasses

from imapclient import exceptions as imap_exceptions

from . import parse, structure
from .summary import TEXT_FIELDS, summary_fields, summary_from


class Flags:
    # Up to this many messages a STORE asks for their new flags back (see store).
    STORE_ANSWERED = 1000

    def __init__(self, conn, selection):
        self.conn = conn
        self.sel = selection
        self.previews = True  # False once the server answered PREVIEW with NIL only

    def summaries(self, mailbox, uids, confirm=False):
        """MessageSummary objects for the given UIDs, in the order given.

        Summaries come from the mailbox cache where it has them; only the others are
        fetched (with their snippet, in the same FETCH), and the flags as flags_of() has
        them. UIDs not from a list of the folder (one from a URL) need confirm, so that an
        expunged one is left out."""
        self.sel.ensure(mailbox)
        if not uids:
            return []
        state, cache = self.sel.state, self.conn.cache
        cache.read_along(mailbox, state, uids, ("summary", "flags"))
        found = cache.summaries(mailbox, state, uids) if state is not None else {}
        missing = [uid for uid in uids if uid not in found]
        flags = {}
        if missing:
            data = self._summary_data(missing)
            fresh = [summary_from(uid, data[uid]) for uid in missing if uid in data]
            found.update((s.uid, s) for s in fresh)
            flags = {s.uid: s.flags for s in fresh}
            if state is not None:
                cache.keep_summaries(mailbox, state, fresh)
                cache.keep_flags(mailbox, state, flags)
        flags.update(self.flags_of(mailbox, [uid for uid in found if uid not in flags],
                                   confirm=confirm))
        return [dataclasses.replace(found[uid], flags=flags[uid]) for uid in uids
                if uid in found and uid in flags]

    def _summary_data(self, uids):
        """The FETCH answers of summary_fields(): the snippet's text from PREVIEW where the
        server announced it. A server may announce it and answer NIL (Cyrus, unless it is
        set up to make previews): those messages get the start of their text asked in a
        second FETCH, and where every answer was NIL, this connection asks the start of
        the text from then on."""
        preview = self.previews and self.conn.has("PREVIEW")
        data = self.conn.call("fetch", uids, summary_fields(preview))
        nil = [uid for uid in uids if preview and uid in data
               and data[uid].get(b"PREVIEW") is None]
        if nil:
            self.previews = len(nil) < len(data)
            more = self.conn.call("fetch", nil, TEXT_FIELDS, label="fetch_text_start")
            for uid in nil:
                data[uid].update(more.get(uid, {}))
        return data

    def flags_of(self, mailbox, uids, confirm=False):
        """{uid: flags} of messages of the selected folder.

        With CONDSTORE flags are kept with the HIGHESTMODSEQ they were read at. Those read
        at the folder's current one cost nothing; older ones are asked again with
        CHANGEDSINCE (RFC 7162), so the server answers only for those that changed, and
        with QRESYNC also names those expunged (VANISHED); unknown ones are fetched.

        Kept flags say nothing of whether the message is still there (an expunge need not
        raise the highest MOD-SEQUENCE of those left). The callers of summaries() have
        their UIDs from a list valid for the folder's state; with confirm, UIDs for which
        no server answer vouched are fetched, and expunged ones left out."""
        self.sel.ensure(mailbox)
        state, cache = self.sel.state, self.conn.cache
        if not uids:
            return {}
        if state is None or state.modseq is None:
            return self._fetch(uids)
        known = cache.flags(mailbox, state, uids)
        current = {uid: f for uid, (seen_at, f) in known.items() if seen_at >= state.modseq}
        stale = [uid for uid in uids if uid in known and uid not in current]
        unknown = [uid for uid in uids if uid not in known]
        fresh, vouched = {}, set()
        if unknown:
            fresh = self._fetch(unknown + stale)
            vouched = set(fresh)
        elif stale:
            changed, gone = self._changed(stale, min(known[uid][0] for uid in stale))
            fresh = {uid: changed.get(uid, known[uid][1]) for uid in stale if uid not in gone}
            # With QRESYNC, VANISHED named the expunged; without, the unchanged are not
            # vouched for (their flags still hold, and are kept as read at this state).
            vouched = set(fresh) if self.sel.qresync else set(changed)
        if fresh:
            cache.keep_flags(mailbox, state, fresh)
        found = {**current, **fresh}
        # Under a change watcher's vouch on a QRESYNC server, flags kept at the folder's
        # state do say the message is there: such a server raises HIGHESTMODSEQ at every
        # expunge (it must name expunged messages by mod-sequence, RFC 7162 3.2.10), which
        # makes those flags stale, and the watcher has heard of nothing since.
        trusted = self.sel.vouched is not None and self.conn.has("QRESYNC")
        doubtful = [uid for uid in found if uid not in vouched] if confirm and not trusted else []
        if doubtful:
            confirmed = self._fetch(doubtful)
            cache.keep_flags(mailbox, state, confirmed)
            found = {uid: confirmed.get(uid, f) for uid, f in found.items()
                     if uid in vouched or uid in confirmed}
        return found

    def store(self, mailbox, uids, flags, on=True):
        """Add or remove flags (bytes) on messages of the selected folder.

        With CONDSTORE and at most STORE_ANSWERED messages the STORE is not .SILENT: the
        server answers each changed message's FLAGS and MODSEQ. Those flags go to the
        cache, and the folder's state moves on to the highest MODSEQ, so the next page
        trusts the cache instead of fetching flags again (a change another client made
        meanwhile still shows as a notice at the next NOOP). Otherwise the state forgets
        its MODSEQ, and flags are fetched until the folder's state is learnt again."""
        uids = list(uids)
        kept = self.sel.current
        if not (self.sel.condstore and kept is not None and kept[0] == mailbox
                and kept[1].modseq is not None and len(uids) <= self.STORE_ANSWERED):
            self.conn.call("add_flags" if on else "remove_flags", uids, flags, silent=True)
            return
        lines = self.conn.call("raw_untagged", b"STORE", label="store_answered", args=[
            parse.uid_ranges(uids).encode(), b"+FLAGS" if on else b"-FLAGS",
            b"(" + b" ".join(flags) + b")"], response_name="FETCH")
        self.conn.cache.forget_folders()  # unread counts changed (after: see Connection.call)
        try:
            by_sequence = structure.fetch_response(lines, False, False)
        except (imap_exceptions.ProtocolError, ValueError):
            by_sequence = None
        if by_sequence == {} and self.sel.current is kept:
            return  # nothing changed: the state holds
        answered = {data[b"UID"]: data for data in (by_sequence or {}).values()
                    if b"UID" in data}
        modseqs = [int(data[b"MODSEQ"][0]) for data in answered.values() if data.get(b"MODSEQ")]
        if (self.sel.current is not kept or not by_sequence
                or len(answered) < len(by_sequence) or set(answered) - set(uids) or not modseqs):
            # The link was re-made meanwhile, another client's change came with the answer,
            # or it lacks UIDs or MODSEQ: the folder's state is learnt again next time.
            self.sel.state = self.sel.current = None
            return
        state = dataclasses.replace(kept[1], modseq=max(modseqs + [kept[1].modseq]))
        self.sel.state = state
        self.sel.current = (mailbox, state)
        self.conn.cache.keep_flags(mailbox, state, {
            uid: parse.flag_names(data) for uid, data in answered.items() if b"FLAGS" in data})

    def _fetch(self, uids):
        data = self.conn.call("fetch", uids, ["FLAGS"])
        return {uid: parse.flag_names(data[uid]) for uid in uids if uid in data}

    def _changed(self, uids, since):
        """({uid: flags} of those changed since the mod-sequence, {UIDs expunged})."""
        modifiers = [f"CHANGEDSINCE {since}"] + (["VANISHED"] if self.sel.qresync else [])
        data = self.conn.call("fetch", uids, ["FLAGS"], modifiers=modifiers,
                              label="fetch_changed")
        gone = set()
        for line in self.conn.untagged("VANISHED"):
            earlier, uids_gone = parse.vanished(line)
            if not earlier:
                self.sel.forget()  # expunged just now, not an answer to CHANGEDSINCE
            gone.update(uids_gone)
        changed = {uid: parse.flag_names(data[uid]) for uid in uids if uid in data}
        return changed, gone
