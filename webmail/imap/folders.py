"""Folders: the list with its counts, the special folders' roles, the hierarchy separator,
and create, rename, delete, subscriptions and quota."""
import logging

from imapclient import exceptions as imap_exceptions
from imapclient.imap_utf7 import decode as decode_utf7
from imapclient.response_parser import parse_response

from . import parse
from .adapter import FolderName
from .errors import MailboxNotFound, NoSuchFolderRole, ServerRefused
from .types import Quota

log = logging.getLogger(__name__)
# Special folders made when an account lacks them, as desktop clients do; Snoozed when the
# first message is snoozed (webmail/snooze.py).
CREATABLE_ROLES = {"archive": "Archive", "junk": "Junk", "drafts": "Drafts", "sent": "Sent",
                   "snoozed": "Snoozed"}
# What the folder list asks along with each folder, where the server can answer it.
_RETURN_OPTIONS = [(b"SUBSCRIBED", "LIST-EXTENDED"), (b"SPECIAL-USE", "SPECIAL-USE"),
                   (b"MYRIGHTS", "LIST-MYRIGHTS")]
# Folders of other users or shared whose rights are asked one by one (a server without
# LIST-MYRIGHTS): beyond this many, the server alone decides what may be done.
MAX_RIGHTS_ASKED = 50


class Folders:
    def __init__(self, conn, selection):
        self.conn = conn
        self.sel = selection
        self._roles = None
        self._delimiter = None

    # --- the list ------------------------------------------------------------------------
    def list_mailboxes(self, fresh=False):
        """All folders as ordered Mailbox objects with unread and total counts.

        The list is kept in the mailbox cache for FOLDER_LIST_SECONDS and dropped by any
        change Heron makes (flags, moves, folders), so it follows the user's own actions at
        once and another client's within that time; the open folder's counts are polled
        more often by the page. fresh asks the server whatever the cache holds (a poll does,
        where LIST-STATUS makes that one command)."""
        cache, vouch = self.conn.cache, self.conn.vouch
        # The epoch is read before the server is asked: a change heard meanwhile is another.
        epoch = vouch.everything() if vouch is not None else None
        if cache is not None and not fresh:
            found = cache.folders(epoch)
            if found is not None:
                return found
        folders = self._list()
        if cache is not None and any(folder.role == "inbox" for folder in folders):
            # A list without the Inbox is a server caught mid-change (a Murder's frontend
            # while a user's mailboxes move between backends): shown, never kept.
            cache.keep_folders(folders, epoch)
        return folders

    def _list(self):
        if self.sel.folder:
            # STATUS of the folder this connection has selected is answered from what it
            # has seen; NOOP first so that its counts include what arrived since.
            self.sel.noop()
        namespaces = self.namespaces()
        if self.conn.has("LIST-STATUS"):
            return self._list_with_status(namespaces)
        listing = self.conn.call("list_folders")
        return parse.build_mailboxes(listing, self._counted(listing, {}), namespaces,
                                     self._rights(listing, {}, namespaces))

    def namespaces(self):
        """(prefix, section) of other users' and shared folders, from NAMESPACE (RFC 2342):
        asked once, then kept for the account."""
        if not self.conn.has("NAMESPACE"):
            return []
        cache = self.conn.cache
        found = cache.namespaces() if cache is not None else None
        if found is None:
            try:
                found = parse.sections_of(self.conn.call("namespace"))
            except (ServerRefused, ValueError, TypeError):
                return []  # asked again next time: a passing refusal is not kept a day
            if cache is not None:
                cache.keep_namespaces(found)
        return found

    def _rights(self, listing, rights, namespaces):
        """rights ({name: MYRIGHTS}) with the rights on each folder of another user or
        shared that has none yet (RFC 4314; a server without ACL grants all it does). The
        user's own folders are the user's to do with as they please."""
        if not self.conn.has("ACL") or not namespaces:
            return rights
        prefixes = tuple(prefix for prefix, _section in namespaces)
        asked = 0
        for flags, _delimiter, raw in listing:
            name = parse.to_text(raw)
            if name in rights or not name.startswith(prefixes) or not parse.selectable(flags):
                continue
            if asked >= MAX_RIGHTS_ASKED:
                break
            asked += 1
            try:
                lines = self.conn.call("raw_untagged", b"MYRIGHTS", [FolderName(name)],
                                       response_name="MYRIGHTS", uid=False, label="myrights")
            except ServerRefused:
                continue  # listed but not ours to see: rights unknown, the server decides
            rights.update(self._read_rights(lines))
        return rights

    def _read_rights(self, lines=None):
        """{name: rights} of MYRIGHTS answers: lines, else those the last command brought
        along (LIST ... RETURN (MYRIGHTS))."""
        found = {}
        for line in self.conn.untagged("MYRIGHTS") if lines is None else lines:
            try:
                name, rights = parse_response([line])[:2]
            except (imap_exceptions.ProtocolError, ValueError):
                continue
            if not isinstance(rights, (bytes, str)):
                continue
            found[self._folder_name(name)] = parse.to_text(rights).lower()
        return found

    def _counted(self, listing, counts):
        """counts ({name: (unread, total)}) with a STATUS for each listed folder that can
        be selected and has none yet."""
        for flags, _delimiter, name in listing:
            if parse.to_text(name) in counts or not parse.selectable(flags):
                continue
            try:
                status = self.conn.call("folder_status", name, ["MESSAGES", "UNSEEN"])
            except ServerRefused:
                continue
            counts[parse.to_text(name)] = (status.get(b"UNSEEN", 0), status.get(b"MESSAGES", 0))
        return counts

    def _list_with_status(self, namespaces):
        """Every folder with its counts in one command: LIST-STATUS (RFC 5819), where
        otherwise each folder costs a STATUS of its own; with LIST-EXTENDED (RFC 5258) it
        also says which are subscribed, with SPECIAL-USE their roles (a Cyrus Murder's
        frontend leaves them out of a plain LIST) and with LIST-MYRIGHTS (RFC 8440) the
        user's rights on each."""
        wanted = [word for word, capability in _RETURN_OPTIONS if self.conn.has(capability)]
        lines = self.conn.call("raw_untagged", b"LIST", [
            b'""', b'"*"', b"RETURN", b"(" + b" ".join([*wanted, b"STATUS"]),
            b"(MESSAGES", b"UNSEEN))"], response_name="LIST", uid=False, label="list_status")
        statuses = self.conn.untagged("STATUS")
        rights = self._read_rights()
        try:
            listing = self.conn.folder_list(lines)
            parsed = parse_response(statuses)
        except (imap_exceptions.ProtocolError, ValueError):
            log.warning("unreadable LIST-STATUS answer; asking folder by folder")
            listing, parsed = self.conn.call("list_folders"), ()
        counts = {}
        for name, items in zip(parsed[::2], parsed[1::2]):
            if name is None or not isinstance(items, tuple):
                continue
            status = dict(zip(items[::2], items[1::2]))
            counts[self._folder_name(name)] = (int(status.get(b"UNSEEN", 0)),
                                               int(status.get(b"MESSAGES", 0)))
        # A server may leave out the selected folder (RFC 5819): that one is asked alone.
        counts = self._counted(listing, counts)
        # Without LIST-EXTENDED, or when the user subscribes to nothing at all (a server or
        # account that does not use subscriptions), every folder counts as subscribed.
        subscribed = None
        if b"SUBSCRIBED" in wanted:
            subscribed = {parse.to_text(name) for flags, _d, name in listing
                          if parse.has_flag(flags, b"\\Subscribed")}
        return parse.build_mailboxes(listing, counts, namespaces,
                                     self._rights(listing, rights, namespaces),
                                     subscribed or None)

    def _folder_name(self, raw):
        """A folder name as a server response gives it, as list_folders() would."""
        if isinstance(raw, int):
            return str(raw)
        return decode_utf7(raw) if self.conn.folder_encode else parse.to_text(raw)

    def counts(self, mailbox):
        """(messages, unread, next UID) of one folder, in one STATUS: what a poll for new
        mail needs to know."""
        if self.sel.is_selected(mailbox):
            # A server answers STATUS of the selected folder from what this connection has
            # seen so far; NOOP lets it see what arrived since.
            self.sel.noop()
        try:
            status = self.conn.call("folder_status", mailbox, ["MESSAGES", "UNSEEN", "UIDNEXT"])
        except ServerRefused:
            raise MailboxNotFound(mailbox) from None
        total, unread = int(status.get(b"MESSAGES", 0)), int(status.get(b"UNSEEN", 0))
        cache, vouch = self.conn.cache, self.conn.vouch
        listed = cache.folders(vouch and vouch.everything()) if cache is not None else None
        known = next((f for f in listed or () if f.name == mailbox), None)
        if known is not None and (known.total, known.unread) != (total, unread):
            # Another client changed the folder: the cached folder list is behind.
            cache.forget_folders()
        return total, unread, int(status.get(b"UIDNEXT", 0))

    # --- roles ---------------------------------------------------------------------------
    def folder_roles(self):
        """role -> folder name for this account (LIST once per connection, then cached)."""
        if self._roles is None:
            roles: dict = {}
            for flags, delimiter, name in self.conn.call("list_folders"):
                role = parse.role_for(flags, parse.to_text(name), parse.to_text(delimiter))
                roles.setdefault(role, parse.to_text(name))
            roles.pop("", None)
            self._roles = roles
        return self._roles

    def forget_folder_roles(self):
        """Read the folders' roles (Drafts, Trash…) afresh next time: folders changed.
        (The cached folder list is MailboxCache.forget_folders()'s, dropped by each
        command that changes folders.)"""
        self._roles = None

    def folder_for(self, role):
        """The folder with this role; Archive and Junk are created when the account lacks
        them (as desktop clients do), any other missing role raises NoSuchFolderRole."""
        name = self.folder_roles().get(role)
        if name is None and role in CREATABLE_ROLES:
            name = CREATABLE_ROLES[role]
            self.conn.call("create_folder", name)
            self._subscribe_quietly(name)
            self.forget_folder_roles()
        if name is None:
            raise NoSuchFolderRole(role)
        return name

    # --- changing folders ----------------------------------------------------------------
    def delimiter(self):
        """The hierarchy separator of the personal namespace ("/" or "." usually)."""
        if self._delimiter is None:
            listing = self.conn.call("list_folders", "", "")
            raw = listing[0][1] if listing else b"/"
            self._delimiter = parse.to_text(raw) or "/"
        return self._delimiter

    def _leaf(self, name):
        clean = name.strip()
        delimiter = self.delimiter()
        if not clean or delimiter in clean:
            raise ServerRefused(f'a folder name cannot be empty or contain "{delimiter}"')
        return clean

    def create_folder(self, name, parent=""):
        """Create a folder (under parent when given); returns its full name."""
        clean = self._leaf(name)
        full = f"{parent}{self.delimiter()}{clean}" if parent else clean
        self.conn.call("create_folder", full)
        self.conn.call("subscribe_folder", full)
        self.forget_folder_roles()
        return full

    def rename_folder(self, old, new_leaf):
        """Rename a folder in place (its parent stays); returns the new full name."""
        clean = self._leaf(new_leaf)
        delimiter = self.delimiter()
        parent, _, _leaf = old.rpartition(delimiter)
        new = f"{parent}{delimiter}{clean}" if parent else clean
        self.sel.leave(old)
        self.conn.call("rename_folder", old, new)
        self._subscribe_quietly(new)
        self.forget_folder_roles()
        return new

    def delete_folder(self, name):
        """Delete a folder, its subfolders and the mail in them."""
        if name.upper() == "INBOX":
            raise ServerRefused("the Inbox cannot be deleted")
        if self.sel.folder:
            self.sel.select("INBOX")
        prefix = name + self.delimiter()
        # LIST reads % and * in the name as wildcards too ("100%" would list the subfolders
        # of "100 Reports"): only names that really start with the prefix are children.
        children = [parse.to_text(n)
                    for _f, _d, n in self.conn.call("list_folders", "", prefix + "*")
                    if parse.to_text(n).startswith(prefix)]
        for each in sorted(children, key=len, reverse=True) + [name]:
            self._subscribe_quietly(each, on=False)
            self.conn.call("delete_folder", each)
        self.forget_folder_roles()

    def subscribe(self, name, on=True):
        self.conn.call("subscribe_folder" if on else "unsubscribe_folder", name)

    def _subscribe_quietly(self, name, on=True):
        try:
            self.subscribe(name, on)
        except ServerRefused:
            pass  # some servers refuse to (un)subscribe what they track themselves

    def subscribed(self):
        """Names of the folders the account subscribes to."""
        return {parse.to_text(name)
                for _flags, _delim, name in self.conn.call("list_sub_folders")}

    def quota(self):
        """Storage use of the account's Inbox quota root, or None without QUOTA."""
        if not self.conn.has("QUOTA"):
            return None
        try:
            _roots, quotas = self.conn.call("get_quota_root", "INBOX")
        except ServerRefused:
            return None
        for item in quotas:
            if item.resource.upper() == "STORAGE":
                return Quota(used_kb=item.usage, limit_kb=item.limit)
        return None
