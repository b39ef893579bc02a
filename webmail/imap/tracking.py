"""Finding messages again: where a message went when it was moved, and whether the
message at a UID is still the one that was there.

A UID names a message only within one folder and one UIDVALIDITY, and another client may
move, delete or (by re-creating the folder) renumber anything meanwhile. So a message is
followed by its UID, checked against its Message-ID, and found again by its Message-ID
when the check fails: after a MOVE the server's COPYUID (UIDPLUS) says where each message
went; without it the Message-ID is searched for in the target.
"""
from . import exact, parse
from .errors import MailboxNotFound, Untrackable

_ID_FIELD = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
# A Message-ID Heron will search for: printable ASCII (no CHARSET needed), bounded.
_LONGEST_ID = 998
IDS_PER_SEARCH = 50  # Message-IDs looked for in one SEARCH (an OR of their HEADER keys)


def _searchable(message_id):
    return (bool(message_id) and len(message_id) <= _LONGEST_ID and message_id.isascii()
            and message_id.isprintable())


class Tracking:
    def __init__(self, conn, selection, organise):
        self.conn = conn
        self.sel = selection
        self.organise = organise

    def move_tracked(self, mailbox, uids, target, strict=False):
        """Move messages to target and say where each went: {source UID: UID in target}.

        The server's COPYUID answers where it gives one; a message it does not name is
        searched for in target by its Message-ID (read before the move), the newest match
        not already given to another. A message that was gone before the move, or has no
        Message-ID on a server without UIDPLUS, is left out; with strict, the latter raises
        Untrackable before anything moves."""
        uids = sorted(set(uids))
        if not uids or mailbox == target:
            return {}
        self.sel.select(mailbox)
        ids = self._message_ids(uids)
        if strict and not self.conn.has("UIDPLUS") and not all(ids.values()):
            raise Untrackable(f"{mailbox}: a message without Message-ID")
        pairs = {uid: new for uid, new in self.organise.moved(mailbox, uids, target).items()
                 if uid in ids}
        missing = [uid for uid in uids if uid in ids and uid not in pairs]
        if missing:
            taken = set(pairs.values())
            state = self.sel.select(target)
            where = self._with_ids(state, [ids[uid] for uid in missing])
            for uid in missing:
                found = [each for each in where.get(ids[uid], []) if each not in taken]
                if found:
                    pairs[uid] = found[-1]
                    taken.add(found[-1])
        return pairs

    def locate(self, mailbox, wanted):
        """Where each of `wanted` ([(UID or None, Message-ID)]) is in the folder now, as a
        list in the same order: the UID when the message there still has that Message-ID
        (or neither has one), else the newest UID with that Message-ID that no earlier
        entry took, else None. A folder that is gone holds none of them."""
        try:
            state = self.sel.select(mailbox)
        except MailboxNotFound:
            return [None] * len(wanted)
        known = self._message_ids([uid for uid, _id in wanted if uid])
        kept = [uid in known and known[uid] == (message_id or "") for uid, message_id in wanted]
        where = self._with_ids(state, [message_id for (_uid, message_id), same
                                       in zip(wanted, kept) if not same])
        found: list = []
        for (uid, message_id), same in zip(wanted, kept):
            if same and uid not in found:
                found.append(uid)
                continue
            hits = [each for each in where.get(message_id, []) if each not in found]
            found.append(hits[-1] if hits else None)
        return found

    def _message_ids(self, uids):
        """{UID: Message-ID ("" when it has none)} of the selected folder's messages that
        exist among uids."""
        if not uids:
            return {}
        data = self.conn.call("fetch", uids, [_ID_FIELD], label="fetch_message_ids")
        return {uid: parse.header_value(parse.header_block(item)) for uid, item in data.items()}

    def _with_ids(self, state, message_ids):
        """{Message-ID: UIDs ascending} of the selected folder (whose FolderState is state)
        for each of message_ids it holds: IDS_PER_SEARCH ids to one SEARCH and its FETCH
        (exact.read: each candidate is checked)."""
        ids = list(dict.fromkeys(each for each in message_ids if _searchable(each)))
        where: dict = {}
        for start in range(0, len(ids), IDS_PER_SEARCH):
            batch = ids[start:start + IDS_PER_SEARCH]
            key: list = []
            for each in reversed(batch):
                term = ["HEADER", "Message-ID", each]
                key = ["OR", *term, *key] if key else term
            wanted = set(batch)

            def value(raw):
                found = parse.header_value(raw)
                return found if found in wanted else None

            for uid, found in exact.read(self.conn, state, key, "MESSAGE-ID", value,
                                         label="search_message_id").items():
                where.setdefault(found, []).append(uid)
        return {each: sorted(uids) for each, uids in where.items()}
