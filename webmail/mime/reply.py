"""Replies and forwards: subjects, recipients, threading headers, quotes and the
forwarded-message block. Pure functions over text and email.headerregistry Addresses."""
import html
import re

from .compose import MAX_REFERENCES, address_key, message_id_or_none, own_key

_CONTROLS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


# Subjects and recipients -------------------------------------------------------------------

_REPLY_PREFIX = re.compile(r"(?:(?:re|aw|sv|antw)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*)+", re.I)
_FORWARD_PREFIX = re.compile(r"(?:fwd?\s*(?:\[\d+\]|\(\d+\))?\s*:\s*)+", re.I)


def reply_subject(subject: str) -> str:
    """"Re: " and the subject; a leading run of reply prefixes (Re:, RE:, AW:, SV:, Antw:,
    "Re[2]:") becomes that one "Re: ", so replies do not pile them up. Other prefixes stay:
    "Fwd: X" gives "Re: Fwd: X". An empty subject gives "Re:"."""
    return _prefixed("Re:", _REPLY_PREFIX, subject)


def forward_subject(subject: str) -> str:
    """"Fwd: " and the subject; a leading run of "Fwd:" / "Fw:" becomes one "Fwd: ";
    "Re: X" gives "Fwd: Re: X". An empty subject gives "Fwd:"."""
    return _prefixed("Fwd:", _FORWARD_PREFIX, subject)


def _prefixed(prefix, run, subject):
    subject = " ".join((subject or "").split())
    rest = subject[run.match(subject).end():] if run.match(subject) else subject
    return f"{prefix} {rest}".strip()


def reply_recipients(*, from_, reply_to, to, cc, own_addresses, reply_all):
    """(To, Cc) of a reply to a message with these From, Reply-To, To and Cc addresses.

    A reply goes to Reply-To when there is one, else to From; a reply to the user's own
    message (From is one of `own_addresses`, lowercase addresses of the user's identities)
    goes to that message's To, as Gmail does. Reply-all also puts the original To and Cc
    in Cc. No address appears twice, and the user's identities never appear, except that a
    message the user sent only to themselves is answered to themselves.
    """
    own = {own_key(address) for address in own_addresses}
    sent_by_user = any(address_key(a.username, a.domain) in own for a in from_)
    primary = (to or from_) if sent_by_user else (reply_to or from_)
    reply_to_list = _distinct(primary, own) or _distinct(primary, set())
    if not reply_all:
        return reply_to_list, ()
    taken = own | {address_key(a.username, a.domain) for a in reply_to_list}
    return reply_to_list, _distinct(tuple(to) + tuple(cc), taken)


def _distinct(addresses, excluded):
    kept, seen = [], set(excluded)
    for address in addresses:
        key = address_key(address.username, address.domain)
        if address.username and address.domain and key not in seen:
            seen.add(key)
            kept.append(address)
    return tuple(kept)


def threading_headers(message_id, references):
    """(In-Reply-To, References) of a reply to a message with this Message-ID and References.

    References are the original's followed by its Message-ID, each once, at most
    MAX_REFERENCES: the first (the thread's root, which RFC 5322 §3.6.4 suggests keeping)
    and the latest ones. Ids that are not of the form <left@right> are left out.
    """
    in_reply_to = message_id_or_none(message_id)
    ids = []
    for candidate in (*(references or ()), message_id):
        normal = message_id_or_none(candidate)
        if normal and normal not in ids:
            ids.append(normal)
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1):]
    return in_reply_to, tuple(ids)


# Quoting --------------------------------------------------------------------------------

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FORWARD_LINE = "---------- Forwarded message ----------"
_FORWARD_ORDER = ("From", "Date", "Subject", "To", "Cc")


def attribution(date, sender: str) -> str:
    """The line above a quote: "On Mon, 23 Nov 2026 at 10:04, Bob <bob@x.org> wrote:", in
    English whatever the server's locale, with the date in its own time zone; without a
    date "Bob <bob@x.org> wrote:"."""
    if date is None:
        return f"{sender} wrote:"
    return (f"On {_DAYS[date.weekday()]}, {date.day} {_MONTHS[date.month - 1]} {date.year} "
            f"at {date:%H:%M}, {sender} wrote:")


def quote_text(text: str) -> str:
    """Every line prefixed with "> ", or with ">" when it is already quoted or empty (so
    levels read ">> " and no line ends in a space)."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return "\n".join(">" + line if line[:1] in (">", "") else "> " + line for line in lines)


def quote_html(html_fragment: str, attribution: str) -> str:
    """The attribution, escaped, in a <p>, then the fragment in <blockquote type="cite">.
    The fragment is not sanitized here; build_message() sanitizes the whole body."""
    return (f"<p>{html.escape(attribution)}</p>"
            f'<blockquote type="cite">{html_fragment}</blockquote>')


def forward_text_block(headers: dict, text: str) -> str:
    """The "Forwarded message" block of a forward in plain text: From, Date, Subject, To
    and Cc lines (those given and not empty, in that order, then any other keys given),
    a blank line, and the text."""
    lines = [f"{name}: {_CONTROLS.sub(' ', str(value))}" for name, value in _forward_items(headers)]
    return "\n".join([_FORWARD_LINE, *lines]) + "\n\n" + (text or "")


def forward_html_block(headers: dict, html_fragment: str) -> str:
    """forward_text_block() in HTML: the header lines escaped in a <p>, then the fragment
    (not sanitized here)."""
    lines = [f"{html.escape(name)}: {html.escape(str(value))}"
             for name, value in _forward_items(headers)]
    return f"<p>{'<br>'.join([_FORWARD_LINE, *lines])}</p>{html_fragment}"


def _forward_items(headers):
    names = [n for n in _FORWARD_ORDER if n in headers] + [
        n for n in headers if n not in _FORWARD_ORDER]
    return [(name, headers[name]) for name in names if headers[name]]


