"""Conversations (threads) and search across folders.

THREAD=REFERENCES runs on the server when offered; otherwise Heron computes the same
RFC 5256 result from each message's Message-ID, In-Reply-To and References.
"""
import dataclasses
import math
import re
from datetime import datetime, timezone

from . import exact, parse, threads
from .types import MessagePage

THREAD_FIELDS = ["ENVELOPE", "INTERNALDATE", "BODY.PEEK[HEADER.FIELDS (REFERENCES)]"]
NO_DATE = datetime.min.replace(tzinfo=timezone.utc)
EVERYWHERE_LIMIT = 5000  # hits kept per folder when searching all folders
ANSWERED_IDS = 25  # Message-IDs asked about at most, in one SEARCH, by answers_in()
# A Message-ID as it can go into a SEARCH: angle brackets, no space or control, bounded.
_MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,250}>")


def _newest_first(hit):
    """The sort key of a (date, folder, uid) hit; sorted reverse, newest first."""
    return (hit[0] or NO_DATE, hit[2])


class Conversations:
    def __init__(self, conn, ordering, flags):
        self.conn = conn
        self.ordering = ordering
        self.flags = flags

    def threads(self, mailbox, criteria=None):
        """The folder's threads as UID lists: oldest message first, newest thread first."""
        by_date = self.ordering.sorted_uids(mailbox, "date", reverse=False, criteria=criteria)
        if not by_date:
            return []
        rank = {uid: index for index, uid in enumerate(by_date)}
        groups = None
        if self.conn.has("THREAD=REFERENCES"):
            try:
                raw = self.conn.call("thread", "REFERENCES", criteria or ["ALL"], "UTF-8")
                groups = threads.flatten_server_threads(raw)
            except RecursionError:
                # A hostile chain of References makes an answer nested hundreds deep,
                # past imapclient's recursive parser: thread here instead.
                groups = None
        if groups is None:
            groups = threads.thread_references(self._thread_inputs(by_date))
        groups = [sorted((u for u in group if u in rank), key=rank.__getitem__)
                  for group in groups]
        groups = [group for group in groups if group]
        groups.sort(key=lambda group: rank[group[-1]], reverse=True)
        return groups

    def _thread_inputs(self, uids):
        inputs = []
        for start in range(0, len(uids), 1000):
            batch = uids[start:start + 1000]
            data = self.conn.call("fetch", batch, THREAD_FIELDS)
            for uid in batch:
                item = data.get(uid, {})
                envelope = item.get(b"ENVELOPE")
                references = next((value for key, value in item.items()
                                   if b"HEADER.FIELDS" in key), b"")
                inputs.append(threads.ThreadInput(
                    uid=uid,
                    message_id=parse.to_text(envelope.message_id) if envelope else "",
                    in_reply_to=parse.to_text(envelope.in_reply_to) if envelope else "",
                    references=parse.header_value(references),
                    subject=parse.decode_words(envelope.subject) if envelope else "",
                    date=parse.as_aware(envelope.date if envelope and envelope.date
                                        else item.get(b"INTERNALDATE")),
                ))
        return inputs

    def conversation_page(self, mailbox, page=1, per_page=50, criteria=None):
        """One page of conversations: a row per thread, showing its newest message."""
        groups = self.threads(mailbox, criteria)
        pages = max(1, math.ceil(len(groups) / per_page))
        page = min(max(1, page), pages)
        window = groups[(page - 1) * per_page: page * per_page]
        every = [uid for group in window for uid in group]
        found = {s.uid: s for s in self.flags.summaries(mailbox, every)}
        rows = []
        for group in window:
            newest = found.get(group[-1])
            if newest is None:
                continue
            unread = sum(1 for uid in group if uid in found and found[uid].unread)
            rows.append(dataclasses.replace(newest, thread_size=len(group),
                                            thread_unread=unread))
        return MessagePage(mailbox=mailbox, messages=tuple(rows), page=page, pages=pages,
                           total=len(groups))

    def thread_of(self, mailbox, uid):
        """The UIDs of the conversation holding uid, oldest first ([uid] when alone)."""
        for group in self.threads(mailbox):
            if uid in group:
                return group
        return [uid]

    def folder_hits(self, name, criteria, attachment=False):
        """One folder's hits of a search across folders, newest first: (date, folder, uid),
        at most EVERYWHERE_LIMIT of them."""
        uids = self.ordering.sorted_uids(name, "date", reverse=True, criteria=criteria)
        uids = uids[:EVERYWHERE_LIMIT]
        if attachment:
            uids = self.ordering.with_attachments(name, uids)
        if not uids:
            return []
        dates = self.conn.call("fetch", uids, ["INTERNALDATE"])
        hits = [(parse.as_aware(dates.get(uid, {}).get(b"INTERNALDATE")), name, uid)
                for uid in uids]
        hits.sort(key=_newest_first, reverse=True)
        return hits

    def search_everywhere(self, folders, criteria, page=1, per_page=50, attachment=False):
        """Search several folders; one page of hits, newest first, each with its folder."""
        hits: list = []
        for name in folders:
            hits.extend(self.folder_hits(name, criteria, attachment))
        return self.hits_page(hits, page, per_page)

    def search_folder(self, name, criteria, per_page=50, attachment=False):
        """The first page of one folder's hits of a search across folders, each row with
        its folder (total: all its hits): merged with the other folders' first pages, in
        the order of hits_page(), they make the first page of search_everywhere()."""
        return self.hits_page(self.folder_hits(name, criteria, attachment), 1, per_page)

    def hits_page(self, hits, page, per_page):
        """One page of (date, folder, uid) hits, newest first, as a MessagePage."""
        hits = sorted(hits, key=_newest_first, reverse=True)
        pages = max(1, math.ceil(len(hits) / per_page))
        page = min(max(1, page), pages)
        window = hits[(page - 1) * per_page: page * per_page]
        rows: list = []
        for name in dict.fromkeys(hit[1] for hit in window):
            uids = [hit[2] for hit in window if hit[1] == name]
            rows.extend(dataclasses.replace(s, mailbox=name)
                        for s in self.flags.summaries(name, uids))
        order = {(hit[1], hit[2]): index for index, hit in enumerate(window)}
        rows.sort(key=lambda s: order.get((s.mailbox, s.uid), 0))
        return MessagePage(mailbox="", messages=tuple(rows), page=page, pages=pages,
                           total=len(hits))

    def answers_in(self, mailbox, message_ids, since=None):
        """The UIDs (ascending) of the folder's messages that answer one of message_ids:
        their In-Reply-To or References names it. One SEARCH, of the first ANSWERED_IDS
        well-formed ids (a hostile message's odd Message-ID is left out, not sent), then
        each candidate checked (exact.matching); since (a date): the answered messages
        are no older, so the newest candidates are only those that arrived since."""
        ids = list(dict.fromkeys(i for i in message_ids if _MESSAGE_ID.fullmatch(i or "")))
        ids = ids[:ANSWERED_IDS]
        if not ids:
            return []
        criteria: list = []
        for each in reversed(ids):
            term = ["OR", "HEADER", "In-Reply-To", each, "HEADER", "References", each]
            criteria = ["OR", *term, *criteria] if criteria else term
        state = self.ordering.sel.select(mailbox)
        wanted = [each.encode() for each in ids]
        return exact.matching(self.conn, state, criteria, "IN-REPLY-TO REFERENCES",
                              lambda raw: any(each in raw for each in wanted),
                              label="search_answers", since=since)
