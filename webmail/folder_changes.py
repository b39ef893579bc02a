"""Creating, renaming and deleting folders as a user asks for it: a name is checked against
the folder list before the server is asked, and what the server still refuses (its RFC 5530
response codes) is said in words a user understands, never as the server's own text."""
import re
from dataclasses import dataclass

from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from .imap.errors import ServerRefused

# The response code of a refusal: "create failed: [ALREADYEXISTS] Mailbox exists (0.001 …)".
_CODE = re.compile(r"\[([A-Z][A-Z-]*)[\] ]")
# RFC 5530's response codes (and RFC 3501's TRYCREATE); {name} is the folder's full name.
REFUSALS = {
    "ALREADYEXISTS": _('A folder named "{name}" already exists.'),
    "NONEXISTENT": _('There is no folder named "{name}" any more: it may have been renamed or '
                   "deleted meanwhile."),
    "TRYCREATE": _('There is no folder named "{name}" any more: it may have been renamed or '
                 "deleted meanwhile."),
    "CANNOT": _('The mail server cannot have a folder named "{name}". Try another name.'),
    "NOPERM": _('You are not allowed to {verb} the folder "{name}".'),
    "LIMIT": _("The mail server allows no more folders here."),
    "OVERQUOTA": _("Your mailbox is full. Delete some mail, then try again."),
    "INUSE": _('The folder "{name}" is in use right now. Try again in a moment.'),
    "UNAVAILABLE": _("The mail server cannot do that right now. Try again in a moment."),
    "SERVERBUG": _("The mail server failed to {verb} the folder. Try again; if it fails again, "
                 "tell your administrator."),
    "CONTACTADMIN": _('The mail server refused to {verb} the folder "{name}"; your '
                    "administrator can tell you why."),
}
REFUSED = _('The mail server refused to {verb} the folder "{name}".')


def refusal(error, name, verb):
    """A server's refusal (ServerRefused) to verb ("create"…) the folder name, in words."""
    found = _CODE.search(str(error))
    return REFUSALS.get(found.group(1) if found else "", REFUSED).format(name=name, verb=verb)


@dataclass(frozen=True)
class Change:
    """What became of a create or rename: the folder's full name, or the problem."""
    name: str
    problem: str = ""


def _full(parent, delimiter, leaf):
    return f"{parent}{delimiter}{leaf}" if parent else leaf


def name_problem(folders, delimiter, leaf, parent="", old=""):
    """Why leaf cannot be the name of a folder under parent (of the list folders), in
    words, or "" when it can. old: the folder being renamed, whose own name is free."""
    clean = leaf.strip()
    if not clean:
        return gettext("Give the folder a name.")
    if delimiter and delimiter in clean:
        return gettext('Folder names cannot contain "%(delimiter)s".') % {"delimiter": delimiter}
    full = _full(parent, delimiter, clean)
    if full == old:
        return ""
    taken = {folder.name for folder in folders}
    if full in taken or full.upper() == "INBOX":
        return f'A folder named "{full}" already exists.'
    return ""


def create(mail, leaf, parent=""):
    """Create the folder leaf under parent (top level when empty): a Change."""
    delimiter = mail.delimiter()
    full = _full(parent, delimiter, leaf.strip())
    problem = name_problem(mail.list_mailboxes(), delimiter, leaf, parent)
    if problem:
        return Change(full, problem)
    try:
        return Change(mail.create_folder(leaf.strip(), parent))
    except ServerRefused as error:
        return Change(full, refusal(error, full, pgettext("folder", "create")))


def rename(mail, old, leaf):
    """Give the folder old the name leaf, under the same parent: a Change."""
    delimiter = mail.delimiter()
    parent = old.rpartition(delimiter)[0] if delimiter else ""
    full = _full(parent, delimiter, leaf.strip())
    folders = mail.list_mailboxes()
    if old not in {folder.name for folder in folders}:
        return Change(old, REFUSALS["NONEXISTENT"].format(name=old))
    problem = name_problem(folders, delimiter, leaf, parent, old)
    if problem or full == old:
        return Change(old, problem)
    try:
        return Change(mail.rename_folder(old, leaf.strip()))
    except ServerRefused as error:
        return Change(old, refusal(error, full if "ALREADYEXISTS" in str(error) else old,
                                   pgettext("folder", "rename")))


def subfolders(folders, name):
    """Full names of the folders inside name (at any depth), in the list's order."""
    return [folder.name for folder in folders
            if folder.delimiter and folder.name.startswith(name + folder.delimiter)]


def delete_question(name, inside):
    """What a user confirms before the folder name and its subfolders (inside) go."""
    if not inside:
        return gettext('Delete "%(name)s" with all its mail?') % {"name": name}
    shown = ", ".join(inside[:10]) + (", …" if len(inside) > 10 else "")
    return ngettext(
        'Delete "%(name)s" and its %(count)s subfolder (%(shown)s) with all their mail?',
        'Delete "%(name)s" and its %(count)s subfolders (%(shown)s) with all their mail?',
        len(inside)) % {"name": name, "count": len(inside), "shown": shown}


@dataclass(frozen=True)
class Deletion:
    """A folder deleted (done), to confirm first (not done, no problem), or refused."""
    name: str
    subfolders: tuple = ()
    problem: str = ""
    done: bool = False

    @property
    def question(self):
        return delete_question(self.name, list(self.subfolders))

    @property
    def notice(self):
        count = len(self.subfolders)
        if not count:
            return gettext("Deleted the folder %(name)s and the mail in it.") % {"name": self.name}
        return ngettext(
            "Deleted the folder %(name)s, its %(count)s subfolder and the mail in them.",
            "Deleted the folder %(name)s, its %(count)s subfolders and the mail in them.",
            count) % {"name": self.name, "count": count}


def delete(mail, name, confirmed=False):
    """Delete the folder name with its subfolders and their mail once confirmed: a
    Deletion that names the subfolders, whether or not it was done."""
    if name.upper() == "INBOX":
        return Deletion(name, problem=gettext("The Inbox cannot be deleted."))
    folders = mail.list_mailboxes()
    if name not in {folder.name for folder in folders}:
        return Deletion(name, problem=REFUSALS["NONEXISTENT"].format(name=name))
    inside = tuple(subfolders(folders, name))
    if not confirmed:
        return Deletion(name, inside)
    try:
        mail.delete_folder(name)
    except ServerRefused as error:
        return Deletion(name, inside, problem=refusal(error, name, pgettext("folder", "delete")))
    return Deletion(name, inside, done=True)

