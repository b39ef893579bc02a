"""The snippet of a message list: one line of the start of a message's text."""
import re
from email import message_from_bytes, policy

from .headers import bounded_message
from .sanitize import strip_markup
from .text import PARSE_ERRORS, loose_text

# Characters a list row shows at most; a snippet is cut at a word near it.
SNIPPET_CHARS = 140
# Characters of text looked at: enough for SNIPPET_CHARS after white space collapses.
_READ_CHARS = 4 * SNIPPET_CHARS
# Bytes of a message read at most (header and the start of the body): callers pass a few
# kilobytes; more is cut, so that no input costs more than a small parse.
MAX_RAW = 64 * 1024
# Control and format characters (NUL, escapes, bidi overrides, zero-width marks) and the
# replacement character a broken charset leaves: none of them is text a row can show.
_NOT_SHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\ufeff\ufffd]")
_SPACE = re.compile(r"\s+")
# A quoted line ("> …") is what another message said.
_QUOTE_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)


def snippet(text):
    """text (plain, of any length) as one line of at most SNIPPET_CHARS characters (and
    "…"): quoted lines, control characters and runs of white space go. Never raises."""
    if not isinstance(text, str):
        return ""
    text = _QUOTE_LINE.sub(" ", text[:_READ_CHARS * 4])
    text = _SPACE.sub(" ", _NOT_SHOWN.sub(" ", text[:_READ_CHARS * 2])).strip()
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text[:SNIPPET_CHARS]
    space = cut.rfind(" ")
    return (cut[:space] if space > SNIPPET_CHARS // 2 else cut).rstrip(" ,;:-") + "…"


def message_snippet(raw):
    """The snippet of a message from its header (at least Content-Type and
    Content-Transfer-Encoding) and the start of its body, possibly cut anywhere: the body
    a reader shows first (plain text, else HTML reduced to text), decoded as its header
    says; a structure the email package cannot follow is read loosely (text.loose_text).
    Never raises on hostile bytes."""
    if not raw:
        return ""
    raw = bounded_message(raw[:MAX_RAW])
    try:
        body = message_from_bytes(raw, policy=policy.default).get_body(("plain", "html"))
    except PARSE_ERRORS:
        return snippet(loose_text(raw))
    if body is None:
        return ""
    try:
        text = body.get_content()
    except PARSE_ERRORS:
        payload = body.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(text, str):
        return ""
    return snippet(strip_markup(text) if body.get_content_type() == "text/html" else text)
