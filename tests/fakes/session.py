"""FakeMailSession: MailSession's public methods, with its signatures, contracts and named
errors, answered from a FakeMailServer's memory. What it is told sticks: a message read
becomes \\Seen, a move leaves the folder, a saved draft replaces its older version.

tests/unit/test_fake_session.py fails as soon as this surface and MailSession's drift apart.
"""
import dataclasses
import math
import re

from webmail.imap import parse, search, structure, threads, wall
from webmail.imap.drafts import DRAFT_FLAGS, DRAFT_HEADER
from webmail.imap.errors import (
    AuthFailed,
    MailboxNotFound,
    MailServerUnavailable,
    MessageGone,
    NoSuchFolderRole,
    ServerRefused,
    UnsafeInput,
    Untrackable,
)
from webmail.imap.folders import CREATABLE_ROLES
from webmail.imap.organise import SETTABLE_FLAGS
from webmail.imap.reading import BODY_LIMIT, CHUNK
from webmail.imap.session import MailSession
from webmail.imap.state import MailboxCache
from webmail.imap.types import ActionResult, MessagePage, PartRef, SavedDraft

from .account import DELIMITER
from .messages import as_message, chunks, decoded, with_raw
from .search import NO_DATE, ordered


def _window(items, page, per_page):
    """(the items of one page, the page number kept in range, the number of pages)."""
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(max(1, page), pages)
    return items[(page - 1) * per_page: page * per_page], page, pages


class FakeMailSession:
    """Same public surface as webmail.imap.session.MailSession, backed by FakeMailServer."""

    def __init__(self, server, config, timeout=15):
        self.server = server
        self.config = config
        self.timeout = timeout
        self._commands = 0
        self._imap_seconds = 0.0
        self.username = None
        self.acted_by = None  # the service login, when one logged in for username
        self.closed = False
        self._account = None
        self._selected = None

    # --- connection ------------------------------------------------------------------
    def _use(self, *args):
        """Count one command, after the checks every real command passes."""
        if not wall.is_safe(args):
            raise UnsafeInput("refused an argument with CR, LF or NUL")
        if self.server.down:
            raise MailServerUnavailable("fake server is down")
        if self._account is None:
            raise MailServerUnavailable("not logged in")
        self._commands += 1
        return self._account

    def _select(self, mailbox):
        folder = self._use(mailbox).folder(mailbox)
        self._selected = mailbox
        return folder

    def _stored(self, mailbox, uid):
        found = self._select(mailbox).messages.get(uid)
        if found is None:
            raise MessageGone(f"{mailbox}/{uid}")
        return found

    def login(self, username, password, act_as=None, lazy=False):
        # lazy is the real session's way to put off connecting; the fake has no link.
        wall.login_method(username, password, act_as)
        if self.server.down:
            raise MailServerUnavailable("fake server is down")
        if act_as is None:
            spec = self.server.accounts.get(username)
            if spec is None or spec["password"] != password:
                raise AuthFailed("bad credentials")
        elif (self.server.services.get(username) != password
              or act_as not in self.server.accounts):
            # As a Dovecot master passdb with pass=yes: the service login must be right and
            # the user it acts for must exist.
            raise AuthFailed("bad credentials")
        self.server.logins += 1
        self.username = act_as or username
        self.acted_by = username if act_as is not None else None
        self._account = self.server.account(self.username)
        self._commands += 1

    @property
    def commands(self):
        return self._commands

    @property
    def imap_seconds(self):
        return self._imap_seconds

    @property
    def connected(self):
        return self._account is not None

    @property
    def slot(self):
        """No wire, so no slot of its account (webmail/imap/slots.py)."""
        return None

    def close(self):
        self._account = self._selected = None
        self.closed = True

    def begin_request(self):
        self._commands = 0
        self._imap_seconds = 0.0

    def expect(self, mailbox, found=None):
        """A hint of what the request reads (the shared cache's round trips), with what the
        request read of it already: kept for tests to see (expected), no fake behaviour
        hangs on it."""
        self.expected = (mailbox, found)

    expected_keys = staticmethod(MailSession.expected_keys)

    @property
    def account(self):
        """The digest naming the account in the shared cache, as the real session's."""
        if self._account is None:
            return None
        host, port = self.config.mailbox_server
        return MailboxCache(host, port, self.username).account

    def has(self, capability):
        return capability.upper() in self.server.capabilities

    def rendered_key(self, mailbox, uid, variant):
        return None  # the fake keeps nothing between requests: bodies are made each time

    # --- folders ---------------------------------------------------------------------
    def list_mailboxes(self, fresh=False):
        account = self._use()
        folders = account.folders
        listing = [((), DELIMITER.encode(), name) for name in folders]
        # As a server with NAMESPACE, LIST-EXTENDED and LIST-MYRIGHTS answers: the spec's
        # "namespaces" ([(prefix, section)]) and "rights" ({name: MYRIGHTS}).
        return parse.build_mailboxes(listing, {name: (f.unread, len(f.messages))
                                               for name, f in folders.items()},
                                     account.spec.get("namespaces", ()),
                                     account.spec.get("rights"), set(account.subscribed))

    def delimiter(self):
        self._use()
        return DELIMITER

    def _leaf(self, name):
        clean = name.strip()
        if not clean or DELIMITER in clean:
            raise ServerRefused(f'a folder name cannot be empty or contain "{DELIMITER}"')
        return clean

    def create_folder(self, name, parent=""):
        full = f"{parent}{DELIMITER}{self._leaf(name)}" if parent else self._leaf(name)
        self._use(full).create(full)
        self.subscribe(full)
        return full

    def rename_folder(self, old, new_leaf):
        parent = old.rpartition(DELIMITER)[0]
        new = f"{parent}{DELIMITER}{self._leaf(new_leaf)}" if parent else self._leaf(new_leaf)
        self._use(old, new).rename(old, new)
        self._selected = None
        self.subscribe(new)
        return new

    def delete_folder(self, name):
        if name.upper() == "INBOX":
            raise ServerRefused("the Inbox cannot be deleted")
        account = self._use(name)
        for each in sorted(account.children(name), key=len, reverse=True) + [name]:
            self.subscribe(each, on=False)
            account.delete(each)
        self._selected = None

    def subscribe(self, name, on=True):
        subscribed = self._use(name).subscribed
        if on:
            subscribed.add(name)
        else:
            subscribed.discard(name)

    def subscribed(self):
        return set(self._use().subscribed)

    def counts(self, mailbox):
        folder = self._use(mailbox).folder(mailbox)
        return len(folder.messages), folder.unread, folder.uidnext

    def quota(self):
        return self._use().spec.get("quota")

    def folder_roles(self):
        roles = {}
        for name in self._use().folders:
            roles.setdefault(parse.role_for((), name, DELIMITER), name)
        roles.pop("", None)
        return roles

    def forget_folder_roles(self):
        pass  # the roles are read afresh each time: nothing kept to forget

    def folder_for(self, role):
        name = self.folder_roles().get(role)
        if name is None and role in CREATABLE_ROLES:
            name = CREATABLE_ROLES[role]
            self._use().create(name)
            self.subscribe(name)
        if name is None:
            raise NoSuchFolderRole(role)
        return name

    # --- lists -----------------------------------------------------------------------
    def sorted_uids(self, mailbox, sort="date", reverse=True, criteria=None):
        return ordered(self._select(mailbox), sort, reverse, criteria)

    def search_uids(self, criteria, label=None):
        if self._selected is None:
            raise ServerRefused("SEARCH: no folder selected")
        return sorted(ordered(self._select(self._selected), "arrival", False, criteria))

    def around(self, mailbox, uid, sort="date", reverse=True, index=None):
        if index is None:
            return None
        uids = self.sorted_uids(mailbox, sort, reverse)
        if not 0 <= index < len(uids) or uids[index] != uid:
            return None
        return (uids[index - 1] if index else None,
                uids[index + 1] if index + 1 < len(uids) else None)

    def summaries(self, mailbox, uids, confirm=False):
        folder = self._select(mailbox)
        return [folder.messages[uid].current() for uid in folder.present(uids)]

    def flags_of(self, mailbox, uids, confirm=False):
        return {s.uid: s.flags for s in self.summaries(mailbox, uids)}

    def with_attachments(self, mailbox, uids):
        return [s.uid for s in self.summaries(mailbox, uids) if s.has_attachments]

    def page(self, mailbox, page=1, per_page=50, sort="date", reverse=True, query=None):
        active = query is not None and query.active
        uids = self.sorted_uids(mailbox, sort, reverse,
                                search.criteria(query) if active else None)
        if query is not None and query.attachment:
            uids = self.with_attachments(mailbox, uids)
        window, page, pages = _window(uids, page, per_page)
        return MessagePage(mailbox, tuple(self.summaries(mailbox, window)), page, pages,
                           len(uids), None if active else (page - 1) * per_page)

    # --- reading ---------------------------------------------------------------------
    def message(self, mailbox, uid, prefer="html", mark_read=True, max_body=BODY_LIMIT,
                fetch_body=True, listed=None):
        for found in self.messages(mailbox, [uid], prefer, mark_read, max_body, fetch_body):
            return found
        raise MessageGone(f"{mailbox}/{uid}")

    def messages(self, mailbox, uids, prefer="html", mark_read=True, max_body=BODY_LIMIT,
                 fetch_body=True, listed=None):
        folder = self._select(mailbox)
        found = [folder.messages[uid] for uid in folder.present(uids)]
        unread = {s.uid for s in found if mark_read and "\\Seen" not in s.flags}
        for stored in found:
            if stored.uid in unread:
                stored.flags.add("\\Seen")
        return [as_message(mailbox, stored, prefer, max_body, fetch_body,
                           read_now=stored.uid in unread) for stored in found]

    def with_bodies(self, messages, max_body=BODY_LIMIT):
        done = []
        for m in messages:
            if m.body_raw is None and m.body is not None:
                stored = self._select(m.mailbox).messages.get(m.uid)
                m = (with_raw(m, stored, max_body) if stored is not None else
                     dataclasses.replace(m, body_raw=b"", more_raw=(b"",) * len(m.more)))
            done.append(m)
        return done

    def parts(self, mailbox, uid):
        stored = self._stored(mailbox, uid)
        return stored.parts, stored.single

    def iter_section(self, mailbox, uid, section, chunk_size=CHUNK, limit=None):
        data = self._stored(mailbox, uid).section(section)
        yield from chunks(data if limit is None else data[:limit], chunk_size)

    def iter_part(self, mailbox, uid, part, single=False, chunk_size=CHUNK, limit=None):
        section = "TEXT" if single else part.section
        data = b"".join(self.iter_section(mailbox, uid, section, chunk_size, limit))
        yield from chunks(decoded(data, part.encoding), chunk_size)

    def iter_part_ref(self, ref, chunk_size=CHUNK):
        if self._select(ref.mailbox).uidvalidity != ref.uidvalidity:
            raise MessageGone(f"{ref.mailbox}/{ref.uid}")
        yield from self.iter_part(ref.mailbox, ref.uid, ref.part, chunk_size=chunk_size)

    # --- organising ------------------------------------------------------------------
    def set_flag(self, mailbox, uids, flag, on=True):
        if flag not in SETTABLE_FLAGS:
            raise ValueError(f"not a flag Heron sets: {flag}")
        if not uids:
            return ActionResult(0)
        folder = self._select(mailbox)
        for uid in folder.present(uids):
            flags = folder.messages[uid].flags
            if on:
                flags.add(flag)
            else:
                flags.discard(flag)
        return ActionResult(len(uids))

    def copy(self, mailbox, uids, target):
        if not uids:
            return ActionResult(0, target)
        source, into = self._select(mailbox), self._use(target).target(target)
        copies = tuple(into.take(source.messages[uid]) for uid in source.present(uids))
        return ActionResult(len(uids), target, copies)

    def move(self, mailbox, uids, target):
        if not uids or mailbox == target:
            return ActionResult(0, target)
        result = self.copy(mailbox, uids, target)
        self._select(mailbox).expunge(uids)
        return result

    def delete(self, mailbox, uids):
        if not uids:
            return ActionResult(0)
        trash = self.folder_roles().get("trash", mailbox)
        if trash == mailbox:  # in Trash, or without one: gone for good
            self._select(mailbox).expunge(uids)
            return ActionResult(len(uids))
        return self.move(mailbox, uids, trash)

    def empty(self, mailbox):
        folder = self._select(mailbox)
        uids = list(folder.messages)
        folder.expunge(uids)
        return ActionResult(len(uids))

    # --- conversations ---------------------------------------------------------------
    def threads(self, mailbox, criteria=None):
        by_date = self.sorted_uids(mailbox, "date", reverse=False, criteria=criteria)
        folder = self._select(mailbox)
        rank = {uid: index for index, uid in enumerate(by_date)}
        groups = threads.thread_references([threads.ThreadInput(
            uid=uid, message_id=m.header("Message-ID").strip(),
            in_reply_to=m.header("In-Reply-To"), references=m.header("References"),
            subject=m.summary.subject, date=m.summary.date)
            for uid in by_date for m in [folder.messages[uid]]])
        groups = [sorted(group, key=rank.__getitem__) for group in groups if group]
        return sorted(groups, key=lambda group: rank[group[-1]], reverse=True)

    def thread_of(self, mailbox, uid):
        return next((group for group in self.threads(mailbox) if uid in group), [uid])

    def conversation_page(self, mailbox, page=1, per_page=50, criteria=None):
        groups = self.threads(mailbox, criteria)
        window, page, pages = _window(groups, page, per_page)
        found = {s.uid: s for s in self.summaries(mailbox, [u for g in window for u in g])}
        rows = tuple(dataclasses.replace(
            found[group[-1]], thread_size=len(group),
            thread_unread=sum(1 for uid in group if found[uid].unread)) for group in window)
        return MessagePage(mailbox, rows, page, pages, len(groups))

    def answers_in(self, mailbox, message_ids, since=None):
        # As a server that searches headers itself answers: since bounds only the newest
        # messages read besides its hits, so it changes nothing here.
        wanted = {i for i in message_ids if i}
        folder = self._select(mailbox)
        return sorted(uid for uid, m in folder.messages.items()
                      if {m.header("In-Reply-To").strip(), *m.header("References").split()}
                      & wanted)

    # --- following messages that move ------------------------------------------------
    def move_tracked(self, mailbox, uids, target, strict=False):
        uids = sorted(set(uids))
        if not uids or mailbox == target:
            return {}
        present = self._select(mailbox).present(uids)
        if strict and not self.has("UIDPLUS") and not all(
                self._stored(mailbox, uid).header("Message-ID") for uid in present):
            raise Untrackable(f"{mailbox}: a message without Message-ID")
        return dict(zip(present, self.move(mailbox, present, target).undo_uids))

    def locate(self, mailbox, wanted):
        try:
            folder = self._select(mailbox)
        except MailboxNotFound:
            return [None] * len(wanted)

        def message_id(uid):
            return folder.messages[uid].header("Message-ID").strip()

        found: list = []
        for uid, wanted_id in wanted:
            if uid in folder.messages and message_id(uid) == (wanted_id or "") \
                    and uid not in found:
                found.append(uid)
                continue
            hits = [each for each in sorted(folder.messages) if wanted_id
                    and message_id(each) == wanted_id and each not in found]
            found.append(hits[-1] if hits else None)
        return found

    def search_everywhere(self, folders, criteria, page=1, per_page=50, attachment=False):
        hits = []
        for name in folders:
            hits += self._folder_hits(name, criteria, attachment)
        hits.sort(key=lambda hit: hit[:2], reverse=True)
        window, page, pages = _window(hits, page, per_page)
        return MessagePage("", tuple(hit[2] for hit in window), page, pages, len(hits))

    def search_folder(self, name, criteria, per_page=50, attachment=False):
        hits = sorted(self._folder_hits(name, criteria, attachment),
                      key=lambda hit: hit[:2], reverse=True)
        window, page, pages = _window(hits, 1, per_page)
        return MessagePage("", tuple(hit[2] for hit in window), page, pages, len(hits))

    def _folder_hits(self, name, criteria, attachment):
        uids = self.sorted_uids(name, "date", True, criteria)
        if attachment:
            uids = self.with_attachments(name, uids)
        return [(s.date or NO_DATE, s.uid, dataclasses.replace(s, mailbox=name))
                for s in self.summaries(name, uids)]

    # --- writing ---------------------------------------------------------------------
    def append(self, mailbox, raw, flags=()):
        return self._use(mailbox).target(mailbox).append(bytes(raw), flags)

    def file_sent(self, raw):
        return self.append(self.folder_for("sent"), raw, ("\\Seen",))

    def has_message_id(self, mailbox, message_id):
        if not message_id or any(ch in message_id for ch in "\r\n\0"):
            return False
        return bool(ordered(self._select(mailbox), "arrival", False,
                            ["HEADER", "Message-ID", message_id]))

    def _draft_uids(self, drafts, draft_key):
        return sorted(ordered(self._select(drafts), "arrival", False,
                              ["HEADER", DRAFT_HEADER, draft_key]))

    def _versions(self, draft_key):
        """(the Drafts folder or None, the UIDs of the draft's saved versions there)."""
        drafts = self.folder_roles().get("drafts")
        return drafts, self._draft_uids(drafts, draft_key) if drafts else []

    def save_draft(self, raw, draft_key):
        drafts = self.folder_for("drafts")
        uid = self.append(drafts, raw, ("\\Draft", "\\Seen"))
        self._select(drafts).expunge([v for v in self._draft_uids(drafts, draft_key)
                                      if v != uid])
        return uid

    def discard_draft(self, draft_key):
        drafts, versions = self._versions(draft_key)
        if versions:
            self._select(drafts).expunge(versions)
        return len(versions)

    def find_draft(self, draft_key):
        return (self._versions(draft_key)[1] or [None])[-1]

    def append_draft(self, pieces, draft_key):
        drafts = self.folder_for("drafts")
        raw = b""
        for piece in pieces:
            if isinstance(piece, PartRef):
                folder = self._select(piece.mailbox)
                if folder.uidvalidity != piece.uidvalidity or piece.uid not in folder.messages:
                    raise MessageGone(f"{piece.mailbox}/{piece.uid}")
                piece = folder.messages[piece.uid].section(piece.part.section)
            raw += bytes(piece)
        uid = self.append(drafts, raw, DRAFT_FLAGS)
        return SavedDraft(drafts, self._select(drafts).uidvalidity, uid)

    def drop_older_drafts(self, draft_key, uid):
        drafts, versions = self._versions(draft_key)
        older = [each for each in versions if each < uid]
        if older:
            self._select(drafts).expunge(older)
        return len(older)

    def draft_files(self, mailbox, uid):
        stored = self._stored(mailbox, uid)
        if stored.single:
            return ()
        validity = self._select(mailbox).uidvalidity
        return tuple(PartRef(mailbox, validity, uid, part)
                     for part in structure.files(stored.parts))

    def draft_headers(self, mailbox, uid, *names):
        stored = self._stored(mailbox, uid)
        key = stored.header(DRAFT_HEADER).strip()
        return ((key if re.fullmatch(r"[0-9a-f]{32}", key) else ""),
                *(stored.header(name) for name in names))

