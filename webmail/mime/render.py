"""Plain-text message bodies as HTML for the page: escaped, with links, quotes and signature."""
import html
from itertools import groupby

from django.utils.html import Urlizer
from django.utils.safestring import SafeString, mark_safe

# Longer quotes start folded; a short one stays open, it is usually the line answered.
OPEN_QUOTE_LINES = 3
# Bounds on the work and the markup a hostile text can cause; real mail stays far below.
# Django's Urlizer trims punctuation in a loop over the word, so words longer than
# LONGEST_LINK are never tried; past LINK_TRIES distinct words tried (some 30 µs each)
# and QUOTE_BLOCKS quote blocks, the rest is only escaped.
LONGEST_LINK = 2048
LINK_TRIES = 50_000
QUOTE_BLOCKS = 1_000


class _Links(Urlizer):
    url_template = '<a href="{href}" target="_blank" rel="noopener noreferrer"{attrs}>{url}</a>'


_URLIZER = _Links()


class _Linkify:
    """Django's Urlizer run over many pieces of one message, sharing one cache of words.

    Urlizer.__call__ does the same word by word; here a word that cannot be a link (it has
    no ".", "@" or ":", the test Urlizer itself starts with) or is too long is escaped
    without the call, which makes a 20 MB text take seconds rather than a minute."""

    def __init__(self):
        self.words = {}
        self.quotes = 0

    def __call__(self, text):
        out = []
        for word in _URLIZER.word_split_re.split(text):
            linked = self.words.get(word)
            if linked is None:
                if (len(word) > LONGEST_LINK or len(self.words) >= LINK_TRIES
                        or not ("." in word or "@" in word or ":" in word)):
                    linked = html.escape(word)
                else:
                    linked = self.words[word] = _URLIZER.handle_word(
                        word, safe_input=False, autoescape=True)
            out.append(linked)
        return "".join(out)


def text_to_html(text: str) -> SafeString:
    """A text/plain body as HTML to show in a `white-space: pre-wrap` block.

    Every character of the text is escaped. http(s) and www. addresses, bare domains and
    e-mail addresses become links that open in a new tab (`rel="noopener noreferrer"`).
    Line breaks stay as they are. A run of lines starting with ">" becomes
    `<details class="quote"><summary>Quoted text (N lines)</summary><blockquote>…`, with
    one ">" taken off each line; it is open when it has at most OPEN_QUOTE_LINES lines.
    What follows the last "-- " line is wrapped in `<div class="signature">`.

    Never raises; time grows linearly with the text, and past the bounds above (links tried,
    quote blocks) the rest of a huge text is escaped without links or folding.
    """
    # str methods return plain str, so a text already marked safe is escaped all the same.
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = next((i for i in range(len(lines) - 1, -1, -1) if lines[i] == "-- "), None)
    linkify = _Linkify()
    if cut is None:
        shown = _body(lines, linkify)
    else:
        shown = _body(lines[:cut], linkify, then_block=True) + (
            f'<div class="signature">{_body(lines[cut:], linkify)}</div>')
    # Every character of the message went through _Linkify: html.escape, or Urlizer with
    # autoescape, which escapes a link's text and address.
    return mark_safe(shown)


def _body(lines, linkify, then_block=False):
    """Lines as HTML. In a pre-wrap block a line break before a block element ends the line
    and one after it adds a blank line, so breaks are only written before blocks."""
    pieces: list = []
    plain: list = []
    for quoted, run in groupby(lines, _is_quoted):
        if quoted and linkify.quotes < QUOTE_BLOCKS:
            if plain:
                pieces.append(linkify("\n".join(plain)) + "\n")
                plain = []
            linkify.quotes += 1
            pieces.append(_quote(list(run), linkify))
        else:
            plain.extend(run)
    if plain:
        pieces.append(linkify("\n".join(plain)) + ("\n" if then_block else ""))
    return "".join(pieces)


def _is_quoted(line):
    return line.startswith(">")


def _quote(run, linkify):
    inner = "\n".join(line[2:] if line.startswith("> ") else line[1:] for line in run)
    count = len(run)
    return (f'<details class="quote"{" open" if count <= OPEN_QUOTE_LINES else ""}>'
            f'<summary>Quoted text ({count} line{"" if count == 1 else "s"})</summary>'
            f"<blockquote>{linkify(inner)}</blockquote></details>")
