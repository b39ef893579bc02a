"""A fetched message body as something to show: safe HTML for the frame, or text as HTML."""
from dataclasses import dataclass

from .render import text_to_html
from .sanitize import sanitize_html
from .text import loose_text, part_text


@dataclass(frozen=True)
class Shown:
    html: str  # for the sandboxed frame (HTML mail) or the page (text mail, escaped)
    is_html: bool
    remote_blocked: int = 0
    trackers: int = 0
    has_remote: bool = False
    notices: tuple = ()  # what of the message is left out or shown otherwise, as sentences


def show_body(message, allow_remote=False, cid_url=None):
    """The message's body ready to show; never raises on hostile or broken content.

    A message whose structure is broken (message.loose) shows the text it carries, read
    by loose_text(); what the structure walk left out is said in notices."""
    body = message.body
    notices = left_out(message)
    if body is None:
        return Shown("", False, notices=notices)
    if message.loose:
        return Shown(text_to_html(loose_text(message.body_raw)), False, notices=notices)
    if body.content_type == "text/html":
        source = part_text(message.body_raw, body.content_type, body.charset, keep_html=True)
        clean = sanitize_html(source, allow_remote=allow_remote, cid_url=cid_url)
        return Shown(clean.html, True, clean.remote_blocked, clean.trackers, clean.has_remote,
                     notices)
    text = part_text(message.body_raw, body.content_type, body.charset)
    return Shown(text_to_html(text), False, notices=notices)


def left_out(message):
    """Sentences for the page about what of the message's structure is not shown."""
    notices = []
    if message.loose:
        notices.append("This message's structure is broken or nested too deeply to follow; "
                       "the text it carries is shown as it is.")
    elif message.too_deep:
        notices.append("Parts of this message are nested deeper than Heron follows; "
                       "they are left out.")
    if message.parts_total:
        notices.append(f"This message has more parts than Heron shows "
                       f"({message.parts_total}); the first {len(message.parts)} are "
                       "listed, the rest are left out.")
    return tuple(notices)
