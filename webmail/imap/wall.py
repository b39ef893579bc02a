"""The wall between what users type and the IMAP wire.

imapclient quotes strings but does not refuse CR or LF inside the quotes, and imaplib
sends the LOGIN user name as it is: a line break in any argument would end the command
and start another, run as the user. So every argument of every command Heron sends is
checked here, in one place (Connection.call and login), whatever the view above it
already checked. The one argument that may hold line breaks, a message given to APPEND,
is sent by imapclient as a literal, where CR and LF are data; so are the TEXT pieces of
APPEND CATENATE (adapter.Catenate), whose folder, flags and URLs are checked as words.
"""
import re

from .adapter import Catenate, literal
from .errors import UnsafeInput

_UNSAFE_TEXT = re.compile(r"[\r\n\x00]")
_UNSAFE_BYTES = re.compile(rb"[\r\n\x00]")
# An atom (RFC 3501 ATOM-CHAR): what LOGIN may send unquoted, as imaplib sends the user
# name. Anything else goes through AUTHENTICATE PLAIN, where it travels base64-encoded.
_ATOM = re.compile(r"[!#$&'+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~]+")
# Commands whose listed argument (by position) is a message literal, not a command word.
LITERAL_ARGUMENTS = {"append": 1}
# Commands whose listed argument (by position) is a list of search criteria.
CRITERIA_ARGUMENTS = {"search": 0, "sort": 1, "thread": 1}
# Search keys followed by one string the user chose, and HEADER by two.
_STRING_KEYS = frozenset({"BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"})


def _walk(value):
    """Yield every str or bytes inside value (nested lists, tuples, sets and dicts)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            yield item
        elif isinstance(item, Catenate):
            stack.extend(item.words())
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)


def is_safe(value):
    """True when no string inside value holds CR, LF or NUL."""
    for text in _walk(value):
        pattern = _UNSAFE_TEXT if isinstance(text, str) else _UNSAFE_BYTES
        if pattern.search(text):
            return False
    return True


def check_command(name, args, kwargs):
    """Raise UnsafeInput when an argument of the imapclient call `name` holds CR, LF or NUL.

    The argument LITERAL_ARGUMENTS names for the command (APPEND's message) is left out."""
    literal = LITERAL_ARGUMENTS.get(name)
    checked = [arg for index, arg in enumerate(args) if index != literal]
    if not is_safe(checked) or not is_safe(kwargs):
        raise UnsafeInput(f"refused an argument with CR, LF or NUL for {name}")


def login_method(username, password, act_as=None):
    """"login" when LOGIN can carry the pair as imaplib sends it (the user name as an atom,
    the password an ASCII quoted string), "plain" when only AUTHENTICATE PLAIN can, and
    always when the login acts for another user (act_as, PLAIN's authorization identity);
    raises UnsafeInput for CR, LF or NUL in any of them, which no server's account can hold
    (a NUL in act_as would move PLAIN's fields: the login would be another's)."""
    if not is_safe([username, password, act_as or ""]) or not username:
        raise UnsafeInput("refused a login name or password with CR, LF or NUL")
    if act_as is not None:
        if not act_as:
            raise UnsafeInput("refused a service login that names no user to act for")
        return "plain"
    if _ATOM.fullmatch(username) and password.isascii():
        return "login"
    return "plain"


def _as_string(token):
    """A search string that goes as typed: an atom bare, anything else as a literal."""
    if not isinstance(token, str) or _ATOM.fullmatch(token):
        return token
    # imapclient sends a search string bare when it has no space, quote or backslash, so
    # "{5}" or "(" would be read as a literal's announcement or a parenthesis.
    return literal(token.encode("utf-8"))


def _protected(tokens):
    out, strings = [], 0
    for token in tokens:
        if isinstance(token, (list, tuple)):
            out.append(_protected(token))
            continue
        if strings:
            out.append(_as_string(token))
            strings -= 1
            continue
        out.append(token)
        word = token.upper() if isinstance(token, str) else ""
        strings = 2 if word == "HEADER" else 1 if word in _STRING_KEYS else 0
    return out


def protect_criteria(name, args):
    """args of the imapclient call `name` with each search string that is not an atom
    made a literal: the server then reads it as data, whatever its characters."""
    at = CRITERIA_ARGUMENTS.get(name)
    if at is None or len(args) <= at or not isinstance(args[at], (list, tuple)):
        return args
    return (*args[:at], _protected(args[at]), *args[at + 1:])
