"""Reading a block of a script (blocks.py) into a Rule or the Vacation, when it has the
shape Heron and Roundcube's managesieve plugin write:

    # rule:[NAME]
    if [false # ]TEST
    {
        ACTION;
        ...
    }

TEST is a test or allof/anyof of tests (each maybe under "not"): header :contains / :is /
:matches / :regex on a header, address :contains on From/To/Cc, size :over/:under. The
actions are those of rules.ACTION_KINDS. Anything else — another test or action, a tag
Heron cannot show, a comment inside — is not read (None), and the block stays raw, so no
edit in Heron can change what Heron did not show.
"""
import re
from datetime import date

from sievelib import tools

from .blocks import COMMENTS, tokens_of
from .rules import Action, Condition, Rule, Vacation

_RULE_NAME = re.compile(r"# rule:\[(.*)\]\s*", re.DOTALL)
_ZONE = re.compile(r"[+-](?:[01]\d|2[0-3])[0-5]\d")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
NAMED_FIELDS = ("from", "to", "cc", "subject")
_FLAGS = {"\\seen": "mark_read", "\\flagged": "flag"}
_KINDS = {("fileinto", False): "move", ("fileinto", True): "copy",
          ("redirect", False): "forward", ("redirect", True): "forward_copy"}


class NotAShape(Exception):
    """The tokens are not of a shape Heron reads."""


class Cursor:
    """Tokens (comments left out) read one at a time."""

    def __init__(self, tokens):
        self.tokens = [token for token in tokens if token.kind not in COMMENTS]
        self.index = 0

    def peek(self, kind=None, word=None):
        if self.index >= len(self.tokens):
            return None
        token = self.tokens[self.index]
        if kind and token.kind != kind:
            return None
        if word is not None and token.value.lower() != word:
            return None
        return token

    def take(self, kind=None, word=None):
        token = self.peek(kind, word)
        if token is None:
            raise NotAShape()
        self.index += 1
        return token

    def word(self):
        return self.take("identifier").value.decode("ascii").lower()

    def tag(self):
        return self.take("tag").value.decode("ascii").lower()[1:]

    def string(self):
        token = self.peek()
        if token is not None and token.kind == "multiline":
            self.index += 1
            return multiline_value(token.value)
        return tools.unquote(self.take("string").value.decode("utf-8", "surrogatepass"))

    def strings(self):
        """A string or a list of strings, as a tuple."""
        if not self.peek("left_bracket"):
            return (self.string(),)
        self.take("left_bracket")
        found = [self.string()]
        while self.peek("comma"):
            self.take("comma")
            found.append(self.string())
        self.take("right_bracket")
        return tuple(found)

    def one_string(self):
        values = self.strings()
        if len(values) != 1:
            raise NotAShape()
        return values[0]

    def done(self):
        if self.index != len(self.tokens):
            raise NotAShape()


def multiline_value(raw):
    """The value of a "text:" multi-line string: its lines, un-dot-stuffed, joined by
    "\\n", without the line break that ends every such string."""
    text = raw.decode("utf-8", "surrogatepass")
    lines = re.split(r"\r?\n", text)[1:-1]  # the "text:" line and the final "."
    return "\n".join(line[1:] if line.startswith("..") else line for line in lines)


def rule_name(block):
    """The NAME of the block's "# rule:[NAME]" comment, when it is the last thing before
    the block's first command; else None."""
    lead = []
    for token in block.tokens:
        if token.kind not in COMMENTS:
            break
        lead.append(token)
    if not lead or lead[-1].kind != "hash_comment":
        return None
    found = _RULE_NAME.fullmatch(lead[-1].value.decode("utf-8", "surrogatepass"))
    return found.group(1) if found else None


def body_tokens(block):
    """The tokens after the lead comments; None when a comment sits among them other than
    the one holding a disabled rule's test (right after "if false")."""
    tokens = list(block.tokens)
    while tokens and tokens[0].kind in COMMENTS:
        tokens.pop(0)
    for index, token in enumerate(tokens):
        if token.kind in COMMENTS and not (
                index == 2 and token.kind == "hash_comment"
                and tokens[1].value.lower() == b"false"):
            return None
    return tokens


def if_shape(tokens):
    """(enabled, the test's Cursor, the actions' Cursor) of "if TEST { ACTIONS }"."""
    cursor = Cursor(tokens)
    cursor.take("identifier", b"if")
    enabled = True
    if cursor.peek("identifier", b"false") and len(tokens) > 2 and tokens[2].kind == (
            "hash_comment"):
        enabled = False
        cursor.take()
        test_tokens, failed = tokens_of(tokens[2].value.rstrip(b"\r")[1:])
        if failed is not None:
            raise NotAShape()
        test = Cursor(test_tokens)
    else:
        start = cursor.index
        while not cursor.peek("left_cbracket"):
            cursor.take()
        test = Cursor(cursor.tokens[start:cursor.index])
    cursor.take("left_cbracket")
    actions = Cursor(cursor.tokens[cursor.index:-1])
    cursor.index = len(cursor.tokens) - 1
    cursor.take("right_cbracket")
    return enabled, test, actions


def read_rule(block):
    """The block as a Rule, or None."""
    name = rule_name(block)
    tokens = None if name is None else body_tokens(block)
    if tokens is None:
        return None
    try:
        enabled, test, actions = if_shape(tokens)
        match, conditions = _tests(test, _condition)
        read = _actions(actions)
    except (NotAShape, UnicodeError, ValueError):
        return None
    return Rule(name, enabled, match, conditions, read)


def _tests(cursor, one):
    """(match, the tests) of "allof (t, …)", "anyof (t, …)" or a single test t."""
    if cursor.peek("identifier", b"allof") or cursor.peek("identifier", b"anyof"):
        match = "all" if cursor.word() == "allof" else "any"
        cursor.take("left_parenthesis")
        found = [one(cursor)]
        while cursor.peek("comma"):
            cursor.take("comma")
            found.append(one(cursor))
        cursor.take("right_parenthesis")
    else:
        match, found = "all", [one(cursor)]
    cursor.done()
    return match, tuple(found)


def _condition(cursor):
    negate = bool(cursor.peek("identifier", b"not"))
    if negate:
        cursor.take()
    test = cursor.word()
    if test == "size":
        op = cursor.tag()
        if op not in ("over", "under"):
            raise NotAShape()
        return Condition("size", op, cursor.take("number").value.decode("ascii"),
                         negate=negate)
    if test not in ("header", "address"):
        raise NotAShape()
    op = "is"  # RFC 5228: the default match type
    part_seen = False
    while cursor.peek("tag"):
        tag = cursor.tag()
        if tag in ("contains", "is", "matches", "regex") and op == "is":
            op = tag
        elif tag == "all" and test == "address" and not part_seen:
            part_seen = True
        else:
            raise NotAShape()
    header = cursor.one_string()
    value = cursor.one_string()
    name = header.lower()
    if test == "address":
        # Only where the address test means what the header test Heron writes means.
        if op != "contains" or name not in ("from", "to", "cc"):
            raise NotAShape()
    if name in NAMED_FIELDS:
        return Condition(name, op, value, negate=negate)
    return Condition("header", op, value, header=header, negate=negate)


def _actions(cursor):
    found = []
    while cursor.peek():
        found.append(_action(cursor))
        cursor.take("semicolon")
    if not found:
        raise NotAShape()
    return tuple(found)


def _action(cursor):
    command = cursor.word()
    if command in ("discard", "stop"):
        return Action(command)
    if command in ("fileinto", "redirect"):
        copy = bool(cursor.peek("tag", b":copy"))
        if copy:
            cursor.take()
        return Action(_KINDS[(command, copy)], cursor.one_string())
    if command == "reject":
        return Action("reject", cursor.string())
    if command in ("addflag", "setflag"):
        kind = _FLAGS.get(cursor.one_string().lower())
        if kind is None:
            raise NotAShape()
        return Action(kind)
    raise NotAShape()


def read_vacation(block):
    """The block as the Vacation, or None: "if" true, or currentdate tests of the first
    and/or last day in one zone, and a single vacation action with :days, :subject,
    :addresses and :from at most."""
    if rule_name(block) is None:
        return None
    tokens = body_tokens(block)
    if tokens is None:
        return None
    try:
        enabled, test, actions = if_shape(tokens)
        days = _vacation_days(test)
        reply = _vacation_action(actions)
    except (NotAShape, UnicodeError, ValueError):
        return None
    zones = {zone for zone, _day in days.values()}
    if len(zones) > 1:
        return None
    return Vacation(enabled=enabled, first_day=days.get("ge", (None, None))[1],
                    last_day=days.get("le", (None, None))[1], utc_offset=(
                        zones.pop() if zones else "+0000"), **reply)


def _vacation_days(cursor):
    if cursor.peek("identifier", b"true"):
        cursor.take()
        cursor.done()
        return {}
    _match, tests = _tests(cursor, _currentdate)
    days = dict(tests)
    if len(days) != len(tests) or (_match == "any" and len(tests) > 1):
        raise NotAShape()
    return days


def _currentdate(cursor):
    """("ge" or "le", (zone, day)) of currentdate :zone Z :value "ge"|"le" "date" DAY."""
    cursor.take("identifier", b"currentdate")
    zone = relation = None
    while cursor.peek("tag"):
        tag = cursor.tag()
        if tag == "zone" and zone is None:
            zone = cursor.string()
        elif tag == "value" and relation is None:
            relation = cursor.string()
        else:
            raise NotAShape()
    if cursor.string() != "date" or relation not in ("ge", "le"):
        raise NotAShape()
    day = cursor.string()
    if zone is None or not _ZONE.fullmatch(zone) or not _DAY.fullmatch(day):
        raise NotAShape()
    return relation, (zone, date.fromisoformat(day))


def _vacation_action(cursor):
    cursor.take("identifier", b"vacation")
    reply = {"days": 7, "subject": "", "addresses": (), "sender": ""}
    seen = set()
    while cursor.peek("tag"):
        tag = cursor.tag()
        if tag in seen:
            raise NotAShape()
        seen.add(tag)
        if tag == "days":
            reply["days"] = int(cursor.take("number").value)
        elif tag == "subject":
            reply["subject"] = cursor.string()
        elif tag == "addresses":
            reply["addresses"] = cursor.strings()
        elif tag == "from":
            reply["sender"] = cursor.string()
        else:
            raise NotAShape()
    reply["message"] = cursor.string()
    cursor.take("semicolon")
    cursor.done()
    return reply


def read_require(block):
    """The extensions a "require" block names (lower case), or None for another block."""
    cursor = Cursor(block.tokens)
    try:
        cursor.take("identifier", b"require")
        names = cursor.strings()
        cursor.take("semicolon")
        cursor.done()
    except (NotAShape, UnicodeError):
        return None
    return tuple(name.lower() for name in names)
