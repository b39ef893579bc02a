"""MailSession: one logged-in IMAP connection, its capabilities and its fallbacks.

Everything Heron asks of an IMAP server goes through a MailSession; the rest of the code
sees only the domain objects of types.py and the errors of errors.py.

MailSession is a front. The work is done by parts that each own one idea, composed here
and given only the parts they use:

    Connection (connection.py)   the wire: login, each command walled, counted, retried
    Selection (selection.py)     the selected folder and how much of its state holds
    Flags (flags.py)             flags and summaries, cached under CONDSTORE; STORE
    Folders (folders.py)         the folder list and counts, roles, create/rename/delete
    Ordering (ordering.py)       sorted UID lists, pages, prev/next
    Reading (reading.py)         messages, parts, sections in chunks
    Organise (organise.py)       set flags, copy, move, delete, empty
    Conversations (conversations.py)  threads, answers in another folder, search across
                                      folders
    Tracking (tracking.py)       where moved messages went; a UID checked by Message-ID
    Drafts (drafts.py)           append, drafts replaced by compose id and carrying
                                 their files, Sent copies

Each public method below is one of a part's, under the same name and signature.
"""
import functools

from .connection import Connection
from .conversations import Conversations
from .drafts import Drafts
from .flags import Flags
from .folders import Folders
from .ordering import SORT_KEYS, Ordering
from .organise import Organise
from .reading import Reading
from .selection import Selection
from .state import folders_key
from .tracking import Tracking
from .vouch import expected_keys

__all__ = ["SORT_KEYS", "MailSession"]


def _of(part, method):
    """A MailSession method that is `method` of the part named `part`."""
    name = method.__name__

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        return getattr(getattr(self, part), name)(*args, **kwargs)

    return call


class MailSession:
    """A connection to one account on one IMAP server.

    Create it, call login(), then use the query methods; close() logs out. A dropped
    connection (server restart, idle timeout) is re-made and the command retried once, so
    a pooled session survives what the server did while it sat idle.
    """

    def __init__(self, config, timeout=15, gate=None):
        self.config = config
        self.timeout = timeout
        conn = self._conn = Connection(config, timeout, gate=gate)
        sel = self._selection = Selection(conn)
        flags = self._flags = Flags(conn, sel)
        folders = self._folders = Folders(conn, sel)
        ordering = self._ordering = Ordering(conn, sel, flags)
        self._reading = Reading(conn, sel, flags)
        organise = self._organise = Organise(conn, sel, flags, folders)
        self._conversations = Conversations(conn, ordering, flags)
        self._tracking = Tracking(conn, sel, organise)
        self._drafts = Drafts(conn, sel, folders, organise, self._reading)

    def begin_request(self):
        """Start a request's count of commands; what an earlier request learnt of the
        selected folder is to be confirmed again (the pool calls this at each checkout)."""
        self._conn.begin_request()
        self._selection.begin_request()

    def expect(self, mailbox, found=None):
        """This request is about mailbox: its confirmed state and the folder list come
        from the shared cache in the round trip that reads the watcher's vouch; or, when
        found holds what expected_keys() names (read by the request already), from found."""
        conn = self._conn
        if conn.vouch is not None and conn.cache is not None:
            conn.vouch.expect(mailbox, conn.cache.folders_key, found=found)

    @staticmethod
    def expected_keys(account, mailbox):
        """The keys of the shared cache expect(mailbox) reads, for the account named by
        `account` (the digest `account` gives)."""
        return expected_keys(account, mailbox, folders_key(account))

    @property
    def account(self):
        """The digest that names the account in the shared cache, once logged in (lazily
        too); else None."""
        cache = self._conn.cache
        return cache.account if cache is not None else None

    @property
    def commands(self):
        """IMAP commands sent in this request, for Server-Timing and tests."""
        return self._conn.commands

    @property
    def imap_seconds(self):
        """Seconds spent waiting on the IMAP server in this request."""
        return self._conn.imap_seconds

    @property
    def connected(self):
        return self._conn.connected

    @property
    def slot(self):
        """The slot of its account this session's connection holds (slots.py), or None."""
        return self._conn.slot

    # The connection.
    login = _of("_conn", Connection.login)
    close = _of("_conn", Connection.close)
    has = _of("_conn", Connection.has)
    # The selected folder.
    rendered_key = _of("_selection", Selection.rendered_key)
    # Flags and summaries.
    summaries = _of("_flags", Flags.summaries)
    flags_of = _of("_flags", Flags.flags_of)
    # Folders.
    list_mailboxes = _of("_folders", Folders.list_mailboxes)
    counts = _of("_folders", Folders.counts)
    folder_roles = _of("_folders", Folders.folder_roles)
    forget_folder_roles = _of("_folders", Folders.forget_folder_roles)
    folder_for = _of("_folders", Folders.folder_for)
    delimiter = _of("_folders", Folders.delimiter)
    create_folder = _of("_folders", Folders.create_folder)
    rename_folder = _of("_folders", Folders.rename_folder)
    delete_folder = _of("_folders", Folders.delete_folder)
    subscribe = _of("_folders", Folders.subscribe)
    subscribed = _of("_folders", Folders.subscribed)
    quota = _of("_folders", Folders.quota)
    # Ordering and paging.
    sorted_uids = _of("_ordering", Ordering.sorted_uids)
    around = _of("_ordering", Ordering.around)
    search_uids = _of("_ordering", Ordering.search_uids)
    with_attachments = _of("_ordering", Ordering.with_attachments)
    page = _of("_ordering", Ordering.page)
    # Reading.
    message = _of("_reading", Reading.message)
    messages = _of("_reading", Reading.messages)
    with_bodies = _of("_reading", Reading.with_bodies)
    parts = _of("_reading", Reading.parts)
    iter_section = _of("_reading", Reading.iter_section)
    iter_part = _of("_reading", Reading.iter_part)
    iter_part_ref = _of("_reading", Reading.iter_part_ref)
    # Organising.
    set_flag = _of("_organise", Organise.set_flag)
    copy = _of("_organise", Organise.copy)
    move = _of("_organise", Organise.move)
    delete = _of("_organise", Organise.delete)
    empty = _of("_organise", Organise.empty)
    # Conversations and search across folders.
    threads = _of("_conversations", Conversations.threads)
    conversation_page = _of("_conversations", Conversations.conversation_page)
    thread_of = _of("_conversations", Conversations.thread_of)
    search_everywhere = _of("_conversations", Conversations.search_everywhere)
    search_folder = _of("_conversations", Conversations.search_folder)
    answers_in = _of("_conversations", Conversations.answers_in)
    # Following messages that move.
    move_tracked = _of("_tracking", Tracking.move_tracked)
    locate = _of("_tracking", Tracking.locate)
    # Writing into folders.
    append = _of("_drafts", Drafts.append)
    save_draft = _of("_drafts", Drafts.save_draft)
    discard_draft = _of("_drafts", Drafts.discard_draft)
    find_draft = _of("_drafts", Drafts.find_draft)
    draft_headers = _of("_drafts", Drafts.draft_headers)
    append_draft = _of("_drafts", Drafts.append_draft)
    drop_older_drafts = _of("_drafts", Drafts.drop_older_drafts)
    draft_files = _of("_drafts", Drafts.draft_files)
    file_sent = _of("_drafts", Drafts.file_sent)
    has_message_id = _of("_drafts", Drafts.has_message_id)
