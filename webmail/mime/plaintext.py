"""The plain-text alternative of an HTML message the user wrote.

Unlike `sanitize.strip_markup`, which only strips markup for display and search, this keeps
the shape a reader of the text part needs: paragraphs, list markers, link targets and quote
levels.
"""
import re
from html.parser import HTMLParser

from .sanitize import sanitize_html

# Quote levels and list nesting past these are written at the limit: a prefix as deep as
# the nesting would make the output grow with the square of a hostile input.
MAX_QUOTE_PREFIX = 32
MAX_LIST_INDENT = 10

_SPACE = re.compile(r"[ \t\n\r\f]+")
_BLANK_RUNS = re.compile(r"\n{4,}")
_PARAGRAPHS = {"p", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
_LINES = {"div", "table", "tr", "section", "article", "header", "footer", "main", "aside",
          "address", "figure", "figcaption", "details", "summary", "dl", "dt", "dd",
          "center", "caption"}
_HIDDEN = {"style", "script", "head", "title"}


def html_to_text(html: str) -> str:
    """A readable text/plain version of an HTML body.

    Paragraphs, headings, quotes and lists are separated by blank lines; <br> and other
    blocks (div, table rows) end a line. List items start with "- " or "1. ", nested lists
    are indented by two spaces per level. A link is written "text <url>" unless its text
    is already the address. Each blockquote level adds ">" at the start of its lines
    ("> " for one level, ">> " for two). Entities are decoded, script and style content is
    dropped, runs of whitespace outside <pre> become one space, and there are never more
    than two blank lines in a row.

    The input first goes through `sanitize_html()`, whose output is well-formed and cut at
    its bounds: Python 3.11's HTMLParser takes quadratic time on unclosed tags and raises
    on some declarations, and the sanitized part is what the recipient's HTML view shows
    anyway. Never raises on any str, and time grows linearly with the input.
    """
    writer = _TextWriter()
    writer.feed(sanitize_html(html or "").html)
    writer.close()
    return writer.text()


class _TextWriter(HTMLParser):
    """Writes text line by line as the well-formed markup of the sanitizer goes past."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines = []          # finished lines
        self.line = None         # pieces of the line being written, None between lines
        self.space = False       # whitespace came since the last word of the line
        self.blank = False       # a blank line is due before the next text
        self.blank_depth = 0     # the quote level that blank line belongs to
        self.quote = 0
        self.pre = 0
        self.hidden = 0
        self.lists = []          # [ordered, next number] per open list
        self.marker = ""         # the list marker waiting for its item's first text
        self.link = None         # (href, pieces of the link text) while inside <a>

    def text(self):
        self._end_line()
        text = "\n".join(self.lines)
        return _BLANK_RUNS.sub("\n\n\n", text).strip("\n")

    # Markup ------------------------------------------------------------------------------

    def handle_starttag(self, tag, attrs):
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self._new_line()
        elif tag in _PARAGRAPHS:
            self._paragraph()
            self.quote += tag == "blockquote"
            self.pre += tag == "pre"
        elif tag in ("ul", "ol"):
            self._paragraph()
            self.lists.append([tag == "ol", _number(dict(attrs).get("start"), 1)])
        elif tag == "li":
            self._item(dict(attrs).get("value"))
        elif tag in ("td", "th"):
            self.space = self.line is not None
        elif tag in _LINES:
            self._end_line()
        elif tag == "a":
            self.link = (dict(attrs).get("href") or "", [])
        elif tag == "img":
            self._image(dict(attrs).get("alt") or "")

    def handle_startendtag(self, tag, attrs):
        # A void element written "<br/>" must not also be closed.
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in _HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in _PARAGRAPHS:
            self._paragraph()
            if tag == "blockquote":
                self.quote = max(self.quote - 1, 0)
            elif tag == "pre":
                self.pre = max(self.pre - 1, 0)
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._paragraph()
        elif tag == "li" or tag in _LINES:
            self._end_line()
        elif tag == "a" and self.link is not None:
            self._link_end()

    def handle_data(self, data):
        if self.hidden:
            return
        if self.link is not None:
            self.link[1].append(data)
        if self.pre:
            for number, piece in enumerate(data.split("\n")):
                if number:
                    self._new_line()
                if piece:
                    self._write(piece, collapse=False)
            return
        for number, word in enumerate(_SPACE.split(data)):
            if number:
                self.space = True
            if word:
                self._write(word)

    # Writing -----------------------------------------------------------------------------

    def _write(self, word, collapse=True):
        line = self.line
        if line is None:
            line = self._begin_line()
        elif self.space and collapse:
            line.append(" ")
        self.space = False
        # No-break spaces from the editor ("a&nbsp; b") are spacing the user typed on
        # purpose, so they are kept as plain spaces rather than collapsed.
        line.append(word.replace("\xa0", " "))

    def _begin_line(self):
        """Start a line (with its quote prefix and list indent); returns its pieces."""
        if self.blank and self.lines:
            self.lines.append(">" * min(self.blank_depth, self.quote, MAX_QUOTE_PREFIX))
        self.blank = False
        depth = min(self.quote, MAX_QUOTE_PREFIX)
        prefix = ">" * depth + " " if depth else ""
        indent = "  " * min(len(self.lists), MAX_LIST_INDENT)
        if self.marker:
            indent = indent[2:] + self.marker
        line = self.line = [prefix, indent]
        self.marker = ""
        return line

    def _end_line(self):
        if self.line is not None:
            self.lines.append("".join(self.line).rstrip())
            self.line = None
        self.space = False

    def _new_line(self):
        """A <br> or a newline in <pre>: ends the line, or writes an empty one."""
        if self.line is None:
            self._begin_line()
        self._end_line()

    def _paragraph(self):
        self._end_line()
        # Paragraphs inside a list item would spread the list out; they only end a line.
        if not self.lists:
            self.blank_depth = min(self.blank_depth, self.quote) if self.blank else self.quote
            self.blank = True

    def _item(self, value):
        self._end_line()
        if not self.lists:
            self.marker = "- "
            return
        current = self.lists[-1]
        if current[0]:
            current[1] = _number(value, current[1])
            self.marker = f"{current[1]}. "
            current[1] += 1
        else:
            self.marker = "- "

    def _image(self, alt):
        alt = _SPACE.sub(" ", alt).strip()
        if alt:
            if self.line is not None:
                self.space = True
            self._write(alt)
            if self.link is not None:
                self.link[1].append(alt)

    def _link_end(self):
        if self.link is None:
            return
        href, pieces = self.link
        self.link = None
        shown = _SPACE.sub(" ", "".join(pieces)).strip()
        address = href[len("mailto:"):].partition("?")[0] if href.startswith("mailto:") else None
        if href and shown not in (href, address):
            self.space = self.line is not None and bool(shown)
            self._write(f"<{href}>")


def _number(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
