"""A fetched message body as something to show: safe HTML for the frame, or text as HTML."""
import re
from dataclasses import dataclass

from django.utils.translation import gettext

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


def show_body(message, allow_remote=False, cid_url=None, mailto_url=None):
    """The message's body ready to show; never raises on hostile or broken content.
    cid_url and mailto_url are sanitize_html()'s.

    A message whose structure is broken (message.loose) shows the text it carries, read
    by loose_text(); what the structure walk left out is said in notices."""
    body = message.body
    notices = left_out(message)
    if body is None:
        return Shown("", False, notices=notices)
    if message.loose:
        return Shown(text_to_html(loose_text(message.body_raw)), False, notices=notices)
    if message.more:
        return _in_a_row(message, allow_remote, cid_url, notices, mailto_url)
    if body.content_type == "text/html":
        source = part_text(message.body_raw, body.content_type, body.charset, keep_html=True)
        clean = sanitize_html(source, allow_remote=allow_remote, cid_url=cid_url,
                              mailto_url=mailto_url)
        return Shown(clean.html, True, clean.remote_blocked, clean.trackers, clean.has_remote,
                     notices)
    text = part_text(message.body_raw, body.content_type, body.charset)
    return Shown(text_to_html(text), False, notices=notices)


def _in_a_row(message, allow_remote, cid_url, notices, mailto_url=None):
    """Inline parts one after another, as a mail client shows a multipart/mixed: text
    alone as text; with HTML among them, each HTML part through sanitize_html() and each
    text part escaped (text_to_html), joined. Joining is safe: sanitize_html() gives
    balanced markup of its allow-list, which has no raw-text element but its own escaped
    <style>, so no part can reach into the next (an unclosed <style> would hide it)."""
    pieces = list(zip((message.body, *message.more), (message.body_raw, *message.more_raw)))
    if all(part.content_type != "text/html" for part, _raw in pieces):
        text = "\n\n".join(part_text(raw, part.content_type, part.charset).strip("\n")
                            for part, raw in pieces)
        return Shown(text_to_html(text), False, notices=notices)
    shown, blocked, trackers, remote = [], 0, 0, False
    for part, raw in pieces:
        if part.content_type == "text/html":
            clean = sanitize_html(part_text(raw, part.content_type, part.charset,
                                            keep_html=True),
                                  allow_remote=allow_remote, cid_url=cid_url,
                                  mailto_url=mailto_url)
            shown.append(clean.html)
            blocked, trackers = blocked + clean.remote_blocked, trackers + clean.trackers
            remote = remote or clean.has_remote
        else:
            text = text_to_html(part_text(raw, part.content_type, part.charset))
            shown.append(f'<div style="white-space: pre-wrap">{text}</div>')
    return Shown("".join(shown), True, blocked, trackers, remote, notices)


def left_out(message):
    """Sentences for the page about what of the message's structure is not shown."""
    notices = []
    if message.loose:
        notices.append(gettext("This message's structure is broken or nested too deeply to "
                               "follow; the text it carries is shown as it is."))
    elif message.too_deep:
        notices.append(gettext("Parts of this message are nested deeper than Heron follows; "
                               "they are left out."))
    if message.parts_total:
        notices.append(gettext("This message has more parts than Heron shows (%(total)s); the "
                               "first %(shown)s are listed, the rest are left out.")
                       % {"total": message.parts_total, "shown": len(message.parts)})
    return tuple(notices)


# sanitize_html()'s markup, read tag by tag: its text has every "<" escaped, so a "<" there
# always opens a tag; a tag's attribute values are double-quoted (and may hold "<" and
# ">"); a <style> element is only ever the sanitizer's own, whose rules have every "<"
# escaped, so its first "</style>" ends it.
_STYLE_OR_TAG = re.compile(r'<style>(.*?)</style>|<[^>"]*(?:"[^"]*"[^>"]*)*>', re.DOTALL)


def with_style_nonce(markup, nonce):
    """sanitize_html()'s markup (or a Shown body's) with each of its <style> elements given
    this nonce: what lets them apply in a srcdoc frame under the page's policy. A "<style>"
    inside an attribute value is read as the attribute it is, and left alone."""
    return _STYLE_OR_TAG.sub(
        lambda found: found.group(0) if found.group(1) is None
        else f'<style nonce="{nonce}">{found.group(1)}</style>', markup)
