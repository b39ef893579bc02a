"""Where a message stands in its folder's list, and what changed in a folder since the page
was drawn: asked of a MailSession (or anything with its public methods), so that views
neither do list arithmetic nor ask which extensions the server has."""
from dataclasses import dataclass, replace

from .errors import MailboxNotFound


def current_folder(folders, name):
    """The Mailbox of that name among the listed folders, or None."""
    return next((folder for folder in folders if folder.name == name), None)


def after_reading(folders, message):
    """The folder list, read before the message was opened, as it stands after: its
    folder counts one unread fewer where opening it marked it read."""
    if not message.read_now:
        return folders
    return [replace(folder, unread=max(0, folder.unread - 1))
            if folder.name == message.mailbox else folder for folder in folders]


@dataclass(frozen=True)
class Place:
    """A message's place in its folder's list in one order, for prev/next links."""
    listed: list          # UIDs of the list that were read: they vouch the message is there
    at: int | None        # its index in the whole list; None where it is not in the list
    previous: int | None  # the UIDs before and after it in that order, None at an end
    following: int | None


def place_of(mail, mailbox, uid, sort="date", reverse=True, at=None):
    """The message's Place. Where the list page said where it is (at), only that part of
    the folder's kept list is read (MailSession.around); otherwise the whole list."""
    around = mail.around(mailbox, uid, sort, reverse, at)
    if around is not None:
        previous, following = around
        return Place([uid], at, previous, following)
    listed = mail.sorted_uids(mailbox, sort, reverse)
    at = listed.index(uid) if uid in listed else None
    previous = listed[at - 1] if at else None
    following = listed[at + 1] if at is not None and at + 1 < len(listed) else None
    return Place(listed, at, previous, following)


@dataclass(frozen=True)
class FolderNews:
    """A poll's answer: the open folder's counts, and every folder's where they came too."""
    total: int
    unread: int
    uidnext: int | None  # None where the server told the counts of every folder instead
    folders: list | None  # Mailbox objects with fresh counts, or None


def poll(mail, mailbox):
    """What changed in a folder, at the cost of one command. Where the server has
    LIST-STATUS, one LIST brings every folder's counts (and renews the cached folder list);
    elsewhere one STATUS of that folder. Raises MailboxNotFound for a folder not listed."""
    if mail.has("LIST-STATUS"):
        folders = mail.list_mailboxes(fresh=True)
        current = current_folder(folders, mailbox)
        if current is None:
            raise MailboxNotFound(mailbox)
        return FolderNews(current.total, current.unread, None, folders)
    total, unread, uidnext = mail.counts(mailbox)
    return FolderNews(total, unread, uidnext, None)
