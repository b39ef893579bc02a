"""Organising actions as a user names them ("archive", "junk"…), on top of the IMAP layer."""
from dataclasses import dataclass

from .forms import ACTIONS

FLAG_ACTIONS = {"read": ("\\Seen", True), "unread": ("\\Seen", False),
                "flag": ("\\Flagged", True), "unflag": ("\\Flagged", False)}


@dataclass(frozen=True)
class Outcome:
    notice: str  # "Moved 3 messages to Archive"
    undo: dict | None  # the ActionForm data that undoes it, when the server allows


def _messages(count):
    return f"{count} message" if count == 1 else f"{count} messages"


def perform(mail, mailbox, action, uids, target=""):
    """Run one action on messages of mailbox; returns an Outcome for the notice."""
    if action in FLAG_ACTIONS:
        flag, on = FLAG_ACTIONS[action]
        result = mail.set_flag(mailbox, uids, flag, on)
    elif action == "copy":
        result = mail.copy(mailbox, uids, target)
    elif action == "delete":
        result = mail.delete(mailbox, uids)
    else:
        if action == "archive":
            target = mail.folder_for("archive")
        elif action == "junk":
            target = mail.folder_for("junk")
            mail.set_flag(mailbox, uids, "$Junk", True)
        elif action == "notjunk":
            target = "INBOX"
            mail.set_flag(mailbox, uids, "$NotJunk", True)
        result = mail.move(mailbox, uids, target)
    shown_target = _display(result.target or target)
    notice = ACTIONS[action].format(n=_messages(result.count), target=shown_target)
    if action == "delete" and result.target:
        notice = f"Moved {_messages(result.count)} to {shown_target}"
    undo = None
    if result.undo_uids and action != "copy":
        undo = {"mailbox": result.target, "action": "move", "target": mailbox,
                "uids": list(result.undo_uids)}
    elif action in FLAG_ACTIONS:
        opposite = {"read": "unread", "unread": "read", "flag": "unflag", "unflag": "flag"}
        undo = {"mailbox": mailbox, "action": opposite[action], "target": "", "uids": list(uids)}
    return Outcome(notice, undo)


def _display(name):
    if not name:
        return ""
    if name.upper() == "INBOX":
        return "Inbox"
    return name
