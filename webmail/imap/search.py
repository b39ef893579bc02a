"""A user's search as IMAP SEARCH criteria: a token list, never a formatted string."""
import shlex
from dataclasses import dataclass
from datetime import date, timedelta

SCOPES = {
    "all": lambda term: ["TEXT", term],
    "subject": lambda term: ["SUBJECT", term],
    "from": lambda term: ["FROM", term],
    "to": lambda term: ["OR", "TO", term, "CC", term],
    "body": lambda term: ["BODY", term],
}


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    scope: str = "all"  # a key of SCOPES
    unread: bool = False
    flagged: bool = False
    attachment: bool = False
    since: date | None = None  # first day included
    until: date | None = None  # last day included
    everywhere: bool = False  # all folders, not only the current one

    @property
    def active(self):
        return bool(self.text.strip() or self.unread or self.flagged or self.attachment
                    or self.since or self.until)


def terms(text):
    """Words of a query; "quoted phrases" stay together, a stray quote is just a character."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    return [word for word in words if word.strip()][:20]


def criteria(query):
    """SEARCH criteria for the query; every term must match (AND), like a web search."""
    tokens = []
    make = SCOPES.get(query.scope, SCOPES["all"])
    for term in terms(query.text):
        tokens.extend(make(term))
    if query.unread:
        tokens.append("UNSEEN")
    if query.flagged:
        tokens.append("FLAGGED")
    if query.since:
        tokens.extend(["SENTSINCE", query.since])
    if query.until:
        tokens.extend(["SENTBEFORE", query.until + timedelta(days=1)])
    return tokens or ["ALL"]


def needs_charset(tokens):
    """True when a criterion holds non-ASCII text, which must be sent as UTF-8."""
    return any(isinstance(token, str) and not token.isascii() for token in tokens)


# Search keys whose answer depends on flags (RFC 3501, RFC 7162's MODSEQ).
FLAG_KEYS = frozenset({"ANSWERED", "DELETED", "DRAFT", "FLAGGED", "KEYWORD", "NEW", "OLD",
                       "RECENT", "SEEN", "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED",
                       "UNKEYWORD", "UNSEEN", "MODSEQ"})
# Search keys followed by one argument (a string or a date), and HEADER by two.
_WITH_ARGUMENT = frozenset({"BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO", "BEFORE",
                            "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE", "LARGER",
                            "SMALLER", "UID"})


def depends_on_flags(tokens):
    """True when the criteria's answer can change with flags alone (UNSEEN…); False when
    it depends only on which messages exist (text, dates), whatever words were typed."""
    skip = 0
    for token in tokens:
        if skip:
            skip -= 1
            continue
        word = token.upper() if isinstance(token, str) else ""
        if word in FLAG_KEYS:
            return True
        skip = 2 if word == "HEADER" else 1 if word in _WITH_ARGUMENT else 0
    return False
