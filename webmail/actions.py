"""Organising actions as a user names them ("archive", "junk"…), on top of the IMAP layer."""
from dataclasses import dataclass

from django.utils.translation import gettext, ngettext

from .forms import ACTIONS, MOVED

FLAG_ACTIONS = {"read": ("\\Seen", True), "unread": ("\\Seen", False),
                "flag": ("\\Flagged", True), "unflag": ("\\Flagged", False)}
OPPOSITE = {"read": "unread", "unread": "read", "flag": "unflag", "unflag": "flag"}
MOVING = {"move", "archive", "junk", "notjunk"}


@dataclass(frozen=True)
class Outcome:
    notice: str  # "Moved 3 messages to Archive"
    undo: list  # the steps (ActionForm data, one folder each) that undo it; [] when none


def deleted_for_good(mail, groups, action):
    """How many of the messages (groups: folder -> UIDs) the action removes for good, which
    a user confirms first: a delete in Trash, or anywhere on an account without one (as
    MailSession.delete does; a delete in Junk moves to Trash and can be undone)."""
    if action != "delete":
        return 0
    trash = mail.folder_roles().get("trash")
    return sum(len(uids) for mailbox, uids in groups.items() if trash in (None, mailbox))


def forever_question(count):
    """The question a user answers before messages are deleted for good."""
    return ngettext("Delete %(count)s message forever?", "Delete %(count)s messages forever?",
                    count) % {"count": count}


def perform(mail, groups, action, target=""):
    """Run one action on messages of one or more folders.

    groups maps a folder name to UIDs in it. A move to the folder a message is already in
    is skipped. Returns one Outcome: the notice counts every message acted on."""
    if action == "archive":
        target = mail.folder_for("archive")
    elif action == "junk":
        target = mail.folder_for("junk")
    elif action == "notjunk":
        target = "INBOX"
    count, undo, shown_target = 0, [], target
    for mailbox, uids in groups.items():
        if action in MOVING and mailbox == target:
            continue
        result, step = _one(mail, mailbox, uids, action, target)
        count += result.count
        shown_target = result.target or shown_target
        if step:
            undo.append(step)
    said = MOVED if action == "delete" and shown_target else ACTIONS[action]
    notice = ngettext(*said, count) % {"count": count, "target": _display(shown_target)}
    return Outcome(notice, undo)


def _one(mail, mailbox, uids, action, target):
    """The action on one folder: the server's result and the step that undoes it."""
    if action in FLAG_ACTIONS:
        flag, on = FLAG_ACTIONS[action]
        result = mail.set_flag(mailbox, uids, flag, on)
        return result, {"mailbox": mailbox, "action": OPPOSITE[action], "target": "",
                        "uids": list(uids)}
    if action == "copy":
        return mail.copy(mailbox, uids, target), None
    if action == "delete":
        result = mail.delete(mailbox, uids)
    else:
        if action in ("junk", "notjunk"):
            mail.set_flag(mailbox, uids, "$Junk" if action == "junk" else "$NotJunk", True)
        result = mail.move(mailbox, uids, target)
    step = None
    if result.undo_uids:
        step = {"mailbox": result.target, "action": "move", "target": mailbox,
                "uids": list(result.undo_uids)}
    return result, step


def undo(mail, steps):
    """Carry out the undo steps an Outcome gave."""
    for step in steps:
        perform(mail, {step["mailbox"]: step["uids"]}, step["action"], step["target"])


def _display(name):
    if not name:
        return ""
    if name.upper() == "INBOX":
        return gettext("Inbox")
    return name
