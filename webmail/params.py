"""Checks of the values a request names that reach the mail server: UIDs, folder names,
compose ids, search words. Each refuses at the door what the IMAP layer's wall
(imap/wall.py) would refuse on the wire, so the user gets a clear answer."""
import re
from datetime import date

from django.core.exceptions import BadRequest, ValidationError
from django.utils.translation import gettext_lazy as _

from attachments.models import DRAFT_ID

# IMAP UIDs are 32-bit (RFC 3501 nz-number); a larger one names no message.
MAX_UID = 2**32 - 1
_UID = re.compile(r"[0-9]{1,10}")
# C0 controls and DEL: no folder name holds one, and CR, LF or NUL would end an IMAP command.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
# Dates a search may name: IMAP dates have four-digit years, and a day is added to "until".
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2999, 12, 31)
BAD_FOLDER = _("The folder name in this request is not valid.")


def uid_value(text):
    """text as a UID when it is one (ASCII digits, 1 to MAX_UID), else None."""
    text = str(text or "")
    if not _UID.fullmatch(text) or not 0 < int(text) <= MAX_UID:
        return None
    return int(text)


def check_folder_name(name):
    """Raise ValidationError for a folder name no server could hold (controls, too long)."""
    if _CONTROLS.search(name) or len(name) > 1000:
        raise ValidationError(BAD_FOLDER)


def folder_param(data, key, default=""):
    """The folder named by data[key] (a request's GET or POST), checked; raises BadRequest
    (a clear 400 page) for one that is not valid."""
    name = data.get(key) or default
    try:
        check_folder_name(name)
    except ValidationError:
        raise BadRequest(BAD_FOLDER) from None
    return name


def draft_key(text):
    """text when it is a compose id (32 lower-case hex digits), else None."""
    text = str(text or "")
    return text if DRAFT_ID.fullmatch(text) else None


def without_controls(text):
    """Search words with control characters (a pasted line break) turned into spaces."""
    return _CONTROLS.sub(" ", text)


def pick_value(value):
    """"<uid> <folder>" as (uid, folder), or None when it is not that."""
    uid, _, mailbox = str(value or "").partition(" ")
    if uid_value(uid) is None or not mailbox:
        return None
    try:
        check_folder_name(mailbox)
    except ValidationError:
        return None
    return int(uid), mailbox
