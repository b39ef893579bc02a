"""The small part of IMAP SEARCH and SORT Heron uses, answered from stored messages."""
import unicodedata
from datetime import date, datetime, timezone

from webmail.imap.errors import ServerRefused
from webmail.imap.parse import expand_uid_set
from webmail.imap.threads import base_subject

NO_DATE = datetime.min.replace(tzinfo=timezone.utc)


def _contains(value, term):
    return str(term).casefold() in str(value).casefold()


def _when(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value))


_TEXT_KEYS = {
    "SUBJECT": lambda m: m.header("Subject"), "FROM": lambda m: m.header("From"),
    "TO": lambda m: m.header("To"), "CC": lambda m: m.header("Cc"),
    "BCC": lambda m: m.header("Bcc"),
    "BODY": lambda m: m.section("TEXT").decode("utf-8", "replace"),
    "TEXT": lambda m: m.raw.decode("utf-8", "replace"),
}
_FLAG_KEYS = {"SEEN": ("\\Seen", True), "UNSEEN": ("\\Seen", False),
              "FLAGGED": ("\\Flagged", True), "UNFLAGGED": ("\\Flagged", False),
              "ANSWERED": ("\\Answered", True), "UNANSWERED": ("\\Answered", False),
              "DRAFT": ("\\Draft", True), "UNDRAFT": ("\\Draft", False)}


def _criterion(tokens):
    """(test of a Stored message, tokens left) for the first criterion of tokens."""
    word, rest = str(tokens[0]).upper(), tokens[1:]
    if isinstance(tokens[0], (list, tuple)):
        return matcher(tokens[0]), rest
    if word == "ALL":
        return (lambda m: True), rest
    if word in _FLAG_KEYS:
        flag, on = _FLAG_KEYS[word]
        return (lambda m: (flag in m.flags) == on), rest
    if word in _TEXT_KEYS:
        field, term = _TEXT_KEYS[word], rest[0]
        return (lambda m: _contains(field(m), term)), rest[1:]
    if word == "HEADER":
        name, term = rest[0], rest[1]
        return (lambda m: bool(m.header(name)) and _contains(m.header(name), term)), rest[2:]
    if word in ("SENTSINCE", "SENTBEFORE"):
        day = _when(rest[0])
        if word == "SENTSINCE":
            return (lambda m: m.summary.date is not None
                    and m.summary.date.date() >= day), rest[1:]
        return (lambda m: m.summary.date is not None and m.summary.date.date() < day), rest[1:]
    if word == "UID":
        wanted = set(expand_uid_set(str(rest[0])))
        return (lambda m: m.uid in wanted), rest[1:]
    if word == "NOT":
        test, rest = _criterion(rest)
        return (lambda m: not test(m)), rest
    if word == "OR":
        first, rest = _criterion(rest)
        second, rest = _criterion(rest)
        return (lambda m: first(m) or second(m)), rest
    # As a server answers a key it does not know: BAD, which the session raises as this.
    raise ServerRefused(f"SEARCH: unknown key {word}")


def matcher(criteria):
    """A test of a Stored message for SEARCH criteria (a token list), every one to hold."""
    tests, tokens = [], list(criteria or ["ALL"])
    while tokens:
        test, tokens = _criterion(tokens)
        tests.append(test)
    return lambda m: all(test(m) for test in tests)


def _first_shown(people):
    """What DISPLAYFROM and DISPLAYTO (RFC 5957) sort by: the first name shown, or its
    address when it has none."""
    first = people[0] if people else None
    return unicodedata.normalize("NFKD", first.name or first.email).casefold() if first else ""


SORT_VALUES = {
    "date": lambda m: m.summary.date or NO_DATE,
    "arrival": lambda m: 0,
    "from": lambda m: _first_shown([m.summary.sender]),
    "to": lambda m: _first_shown(m.summary.to),
    "subject": lambda m: base_subject(m.summary.subject),
    "size": lambda m: m.summary.size,
}


def ordered(folder, sort="date", reverse=True, criteria=None):
    """UIDs of a folder's messages that match, in a sort order (ties go by UID)."""
    value, test = SORT_VALUES.get(sort, SORT_VALUES["date"]), matcher(criteria)
    found = sorted((m for m in folder.messages.values() if test(m)),
                   key=lambda m: (value(m), m.uid), reverse=reverse)
    return [m.uid for m in found]
