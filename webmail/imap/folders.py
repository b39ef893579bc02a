"""Folder management: create, rename, delete, subscriptions, quota — mixed into MailSession."""
from . import parse
from .errors import MailboxNotFound, ServerRefused
from .types import Quota


class FoldersMixin:
    def delimiter(self):
        """The hierarchy separator of the personal namespace ("/" or "." usually)."""
        if getattr(self, "_delimiter", None) is None:
            listing = self._call("list_folders", "", "")
            raw = listing[0][1] if listing else b"/"
            self._delimiter = parse.to_text(raw) or "/"
        return self._delimiter

    def create_folder(self, name, parent=""):
        """Create a folder (under parent when given); returns its full name."""
        clean = name.strip()
        delimiter = self.delimiter()
        if not clean or delimiter in clean:
            raise ServerRefused(f'a folder name cannot be empty or contain "{delimiter}"')
        full = f"{parent}{delimiter}{clean}" if parent else clean
        self._call("create_folder", full)
        self._call("subscribe_folder", full)
        self.forget_folder_roles()
        return full

    def rename_folder(self, old, new_leaf):
        """Rename a folder in place (its parent stays); returns the new full name."""
        clean = new_leaf.strip()
        delimiter = self.delimiter()
        if not clean or delimiter in clean:
            raise ServerRefused(f'a folder name cannot be empty or contain "{delimiter}"')
        parent, _, _leaf = old.rpartition(delimiter)
        new = f"{parent}{delimiter}{clean}" if parent else clean
        if self._selected and self._selected[0] == old:
            self._call("unselect_folder") if self.has("UNSELECT") else self._select("INBOX")
            self._selected = None
        self._call("rename_folder", old, new)
        self._subscribe_quietly(new)
        self.forget_folder_roles()
        return new

    def delete_folder(self, name):
        """Delete a folder, its subfolders and the mail in them."""
        if name.upper() == "INBOX":
            raise ServerRefused("the Inbox cannot be deleted")
        if self._selected:
            self._select("INBOX")
        prefix = name + self.delimiter()
        # LIST reads % and * in the name as wildcards too ("100%" would list the subfolders
        # of "100 Reports"): only names that really start with the prefix are children.
        children = [parse.to_text(n) for _f, _d, n in self._call("list_folders", "", prefix + "*")
                    if parse.to_text(n).startswith(prefix)]
        for each in sorted(children, key=len, reverse=True) + [name]:
            self._subscribe_quietly(each, on=False)
            self._call("delete_folder", each)
        self.forget_folder_roles()

    def subscribe(self, name, on=True):
        self._call("subscribe_folder" if on else "unsubscribe_folder", name)

    def _subscribe_quietly(self, name, on=True):
        try:
            self.subscribe(name, on)
        except ServerRefused:
            pass  # some servers refuse to (un)subscribe what they track themselves

    def subscribed(self):
        """Names of the folders the account subscribes to."""
        return {parse.to_text(name) for _flags, _delim, name in self._call("list_sub_folders")}

    def counts(self, mailbox):
        """(messages, unread, next UID) of one folder, in one STATUS: what a poll for new
        mail needs to know."""
        if self._selected and self._selected[0] == mailbox:
            # A server answers STATUS of the selected folder from what this connection has
            # seen so far; NOOP lets it see what arrived since.
            self._noop()
        try:
            status = self._call("folder_status", mailbox, ["MESSAGES", "UNSEEN", "UIDNEXT"])
        except ServerRefused:
            raise MailboxNotFound(mailbox) from None
        total, unread = int(status.get(b"MESSAGES", 0)), int(status.get(b"UNSEEN", 0))
        listed = self._cache.folders() if self._cache is not None else None
        known = next((f for f in listed or () if f.name == mailbox), None)
        if known is not None and (known.total, known.unread) != (total, unread):
            # Another client changed the folder: the cached folder list is behind.
            self._cache.forget_folders()
        return total, unread, int(status.get(b"UIDNEXT", 0))

    def quota(self):
        """Storage use of the account's Inbox quota root, or None without QUOTA."""
        if not self.has("QUOTA"):
            return None
        try:
            _roots, quotas = self._call("get_quota_root", "INBOX")
        except ServerRefused:
            return None
        for item in quotas:
            if item.resource.upper() == "STORAGE":
                return Quota(used_kb=item.usage, limit_kb=item.limit)
        return None
