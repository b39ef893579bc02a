"""What a Sieve script is read into: rules made of conditions and actions, the vacation
reply, and the raw blocks Heron cannot show as rules (kept byte for byte).

Plain frozen dataclasses of str, int, date and tuples, so that two reads of the same
script compare equal and an unchanged rule can be recognised by equality (script.py).
"""
from dataclasses import dataclass
from datetime import date

TEXT_FIELDS = ("from", "to", "cc", "subject", "header")
FIELDS = TEXT_FIELDS + ("size",)
TEXT_OPS = ("contains", "is", "matches", "regex")
SIZE_OPS = ("over", "under")
ACTION_KINDS = ("move", "copy", "mark_read", "flag", "forward", "forward_copy", "reject",
                "discard", "stop")
# Actions that carry a value: a folder, an address or a message.
VALUED_ACTIONS = ("move", "copy", "forward", "forward_copy", "reject")
MATCHES = ("all", "any")
VACATION_NAME = "Vacation"


@dataclass(frozen=True)
class Condition:
    """One test. field is "from", "to", "cc", "subject", "header" (then header names the
    header) or "size"; op is "contains", "is", "matches" or "regex" for the text fields,
    "over" or "under" for size (value like "100K"); negate reads it as "not"."""

    field: str
    op: str
    value: str
    header: str = ""
    negate: bool = False


@dataclass(frozen=True)
class Action:
    """One action: kind is one of ACTION_KINDS; value is the folder (move, copy), the
    address (forward, forward_copy) or the message (reject), else ""."""

    kind: str
    value: str = ""


@dataclass(frozen=True)
class Rule:
    """A named rule: when its conditions match ("all" or "any" of them), its actions run."""

    name: str
    enabled: bool
    match: str
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class Vacation:
    """The vacation reply (RFC 5230): on between first_day and last_day (either may be
    None: no bound) in the zone utc_offset ("+HHMM"), answering a sender at most once
    every `days` days, for the addresses given (besides the account's own)."""

    enabled: bool
    first_day: date | None
    last_day: date | None
    subject: str
    message: str
    addresses: tuple[str, ...]
    days: int
    sender: str = ""
    utc_offset: str = "+0000"


@dataclass(frozen=True)
class RawBlock:
    """A part of a script Heron cannot show as a rule, kept verbatim (with the comments
    and blank lines before it)."""

    text: str
