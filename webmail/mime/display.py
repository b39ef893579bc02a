"""A fetched message body as something to show: safe HTML for the frame, or text as HTML."""
from dataclasses import dataclass

from .render import text_to_html
from .sanitize import sanitize_html
from .text import part_text


@dataclass(frozen=True)
class Shown:
    html: str  # for the sandboxed frame (HTML mail) or the page (text mail, escaped)
    is_html: bool
    remote_blocked: int = 0
    trackers: int = 0
    has_remote: bool = False


def show_body(message, allow_remote=False, cid_url=None):
    """The message's body ready to show; never raises on hostile or broken content."""
    body = message.body
    if body is None:
        return Shown("", False)
    if body.content_type == "text/html":
        source = part_text(message.body_raw, body.content_type, body.charset, keep_html=True)
        clean = sanitize_html(source, allow_remote=allow_remote, cid_url=cid_url)
        return Shown(clean.html, True, clean.remote_blocked, clean.trackers, clean.has_remote)
    text = part_text(message.body_raw, body.content_type, body.charset)
    return Shown(text_to_html(text), False)
