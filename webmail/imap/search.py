"""A user's search as IMAP SEARCH criteria: a token list, never a formatted string.

What a user types in the search box may hold query words, as in Gmail or Roundcube:
from:carol to:bob subject:"weekly report" has:attachment is:unread is:read is:flagged
before:2026-03-01 after:2026-02-01, mixed with free words. parse_words() reads them; a
word it does not know ("foo:bar", "is:nice") is searched as text."""
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext

SCOPES = {
    "all": lambda term: ["TEXT", term],
    "subject": lambda term: ["SUBJECT", term],
    "from": lambda term: ["FROM", term],
    "to": lambda term: ["OR", "TO", term, "CC", term],
    "body": lambda term: ["BODY", term],
}
# At most this many words of a query are searched: each costs the server a pass.
MAX_TERMS = 20
# Query words whose value is text, and the criteria each becomes.
TEXT_WORDS = {"from": SCOPES["from"], "to": SCOPES["to"], "subject": SCOPES["subject"]}
# Query words whose value is one of a few names, and the criterion each name is.
NAMED_WORDS = {("is", "unread"): "UNSEEN", ("is", "read"): "SEEN",
               ("is", "flagged"): "FLAGGED", ("is", "starred"): "FLAGGED",
               ("has", "attachment"): None, ("has", "attachments"): None}
DATE_WORDS = ("before", "after")
_KEY = re.compile(r"([A-Za-z]{2,8}):")
_DAY = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})")
# Controls (a pasted line break, NUL) separate words: none can reach the server.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Word:
    """One word of a query as typed (raw) and read: key is "" for a free word, else one of
    TEXT_WORDS, "is", "has" or DATE_WORDS; day is the date of before:/after:."""
    raw: str
    value: str
    key: str = ""
    day: date | None = None


@dataclass(frozen=True)
class Words:
    """A query read into words, and what is wrong with it, in words a user understands."""
    words: tuple[Word, ...]
    problems: tuple[str, ...] = ()

    @property
    def attachment(self):
        return any(word.key == "has" for word in self.words)

    @property
    def after(self):
        """The first day included by after: words (the latest of them), or None."""
        days = [w.day for w in self.words if w.key == "after" and w.day]
        return max(days) if days else None

    @property
    def before(self):
        """The first day excluded by before: words (the earliest of them), or None."""
        days = [w.day for w in self.words if w.key == "before" and w.day]
        return min(days) if days else None


def _pieces(text):
    """(raw, key, value) of each whitespace-separated piece; "quoted phrases" and quoted
    values (from:"Carol Smith") stay together, a quote without its pair is a character."""
    text = _CONTROLS.sub(" ", text)
    pos, end = 0, len(text)
    while pos < end:
        if text[pos].isspace():
            pos += 1
            continue
        start, key = pos, ""
        found = _KEY.match(text, pos)
        if found:
            key, pos = found.group(1).lower(), found.end()
        close = text.find('"', pos + 1) if pos < end and text[pos] == '"' else -1
        if close >= 0:
            value, pos = text[pos + 1:close], close + 1
        else:
            stop = pos
            while stop < end and not text[stop].isspace():
                stop += 1
            value, pos = text[pos:stop], stop
        yield text[start:pos], key, value


def _day(value):
    found = _DAY.fullmatch(value)
    if not found:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def _word(raw, key, value):
    """(the Word, a problem or None) for one piece."""
    name = key.lower()
    if name in TEXT_WORDS and value.strip():
        return Word(raw, value, name), None
    if (name, value.lower()) in NAMED_WORDS:
        return Word(raw, value.lower(), name), None
    if name in DATE_WORDS:
        day = _day(value)
        if day is None:
            return None, (gettext('"%(raw)s" does not name a day: write the date as '
                                  "YYYY-MM-DD, for example %(word)s:2026-03-01.")
                          % {"raw": raw, "word": name})
        return Word(raw, value, name, day), None
    return Word(raw, f"{key}:{value}" if key else value), None  # unknown: searched as text


def parse_words(text):
    """The query words of a search box's text (see the module's docstring), as Words.

    Never raises: a word it does not know is text, a before:/after: that names no day
    and a range that ends before it starts are problems, said in words for the page."""
    words, problems = [], []
    for raw, key, value in _pieces(text or ""):
        word, problem = _word(raw, key, value)
        if problem:
            problems.append(problem)
        elif word.value.strip():
            words.append(word)
    parsed = Words(tuple(words[:MAX_TERMS]), tuple(problems))
    if parsed.after and parsed.before and parsed.after >= parsed.before:
        problems.append(gettext("No message can be after %(after)s and before %(before)s: the "
                                "dates are the wrong way round.")
                        % {"after": f"{parsed.after:%Y-%m-%d}",
                           "before": f"{parsed.before:%Y-%m-%d}"})
        parsed = Words(parsed.words, tuple(problems))
    return parsed


def terms(text):
    """Words of a query; "quoted phrases" stay together, a stray quote is just a character."""
    return [value for _raw, _key, value in _pieces(text) if value.strip()][:MAX_TERMS]


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


def criteria(query):
    """SEARCH criteria for the query; every term must match (AND), like a web search.

    Free words search where the query's scope says; query words (from:, is:unread…) add
    their own criteria; a before:/after: that names no day adds none (the form says why)."""
    tokens = []
    make = SCOPES.get(query.scope, SCOPES["all"])
    for word in parse_words(query.text).words:
        if not word.key:
            tokens.extend(make(word.value))
        elif word.key in TEXT_WORDS:
            tokens.extend(TEXT_WORDS[word.key](word.value))
        elif word.key == "after":
            tokens.extend(["SENTSINCE", word.day])
        elif word.key == "before":
            tokens.extend(["SENTBEFORE", word.day])
        elif NAMED_WORDS[(word.key, word.value)]:
            tokens.append(NAMED_WORDS[(word.key, word.value)])
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
