"""Turning one fetched MIME part into text a reader can show."""
from email import message_from_bytes, policy

from .sanitize import html_to_text


def part_text(raw, content_type, charset="", keep_html=False):
    """The text of a part from its MIME header and (possibly cut) encoded body bytes.

    Transfer encoding and charset are undone by the email package; an unknown or lying
    charset falls back to UTF-8 with replacement characters, so this never raises on
    hostile input. HTML is reduced to its text unless keep_html is set.
    """
    message = message_from_bytes(raw, policy=policy.default)
    try:
        text = message.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError, KeyError, TypeError):
        payload = message.get_payload(decode=True) or b""
        text = payload.decode(charset if _known(charset) else "utf-8", "replace")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        text = ""
    if content_type == "text/html" and not keep_html:
        text = html_to_text(text)
    return text.replace("\r\n", "\n")


def _known(charset):
    if not charset:
        return False
    try:
        "".encode(charset)
    except LookupError:
        return False
    return True
