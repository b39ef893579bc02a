"""Header budgets: what of a message's header Heron lets the email package read.

Python's email parser is slow on some hostile headers: a Content-Type with 30,000
parameters took 25 s to parse and read, a 1 MB Subject of encoded-words 50 s to decode
(policy.default) or 5 s (email.header). Real mail stays far below these limits, so a
header block goes through bounded_header() and an encoded value through cut_words()
before anything decodes them. What is cut is noise (parameters past the fiftieth, the
tail of a megabyte-long field); the text of the message is never cut here.
"""
import re

# One field with its folded lines; DKIM signatures and long References stay well below.
MAX_FIELD_BYTES = 16 * 1024
# A whole header block. Content-* fields are kept first: they say how to read the body.
MAX_HEADER_BYTES = 256 * 1024
# Parameters of one Content-Type or Content-Disposition (RFC 2231 segments count each);
# the email package spends about 0.2 ms on each, more as they grow.
MAX_PARAMS = 50
# Characters of an encoded header value (Subject, a display name, a file name) decoded.
MAX_ENCODED = 4 * 1024
# Comments nested in one field: the email package parses them by recursion, and about a
# thousand "(" (a 1 KB header) end in RecursionError. Real mail nests one or two.
MAX_COMMENT_DEPTH = 20

_BLANK_LINE = re.compile(rb"\r\n\r\n|\n\n|\r\r|\r\n\n|\n\r\n")
_FIELD_START = re.compile(rb"(?:\r\n|\n|\r)(?=[^ \t\r\n])")
_PARAMETERISED = (b"content-type", b"content-disposition")
_WHOLE_WORD = re.compile(r"=\?[^?]*\?[^?]*\?[^?]*\?=")


def split_message(raw):
    """(header block, body) of a message's bytes; the body starts after the first blank
    line, of whatever line ends (CRLF, LF or bare CR), and is empty when there is none."""
    found = _BLANK_LINE.search(raw)
    if found is None:
        return raw, b""
    return raw[:found.start()], raw[found.end():]


def bounded_header(header):
    """The header block within the budget above.

    Each field is cut at MAX_FIELD_BYTES (never inside an encoded-word), a Content-Type or
    Content-Disposition keeps its first MAX_PARAMS parameters, and the block keeps its
    Content-* fields, then the others in order, up to MAX_HEADER_BYTES. The fields keep
    their order and folding. Time grows linearly with the input.
    """
    bounded = [_bounded_field(field) for field in _FIELD_START.split(header)]
    keep, budget = [False] * len(bounded), MAX_HEADER_BYTES
    for content in (True, False):
        for index, field in enumerate(bounded):
            if _is_content(field) == content and len(field) < budget:
                keep[index] = True
                budget -= len(field) + 2
    return b"\r\n".join(field for field, kept in zip(bounded, keep) if kept)


def _is_content(field):
    return field[:8].lower() == b"content-"


def _bounded_field(field):
    if len(field) > MAX_FIELD_BYTES:
        field = cut_words(field[:MAX_FIELD_BYTES].decode("latin-1")).encode("latin-1")
        # A folded line cut after its line end would leave an empty continuation.
        field = field.rstrip(b"\r\n")
    if field.count(b"(") > MAX_COMMENT_DEPTH:
        field = _shallow_comments(field)
    if field.split(b":", 1)[0].strip().lower() in _PARAMETERISED:
        field = _first_params(field)
    return field


def _shallow_comments(field):
    """The field up to the first comment nested deeper than MAX_COMMENT_DEPTH ("(" outside
    quotes, a backslash escaping the next byte, as RFC 5322 comments and strings have it)."""
    depth, quoted, escaped = 0, False, False
    for index, byte in enumerate(field):
        if escaped:
            escaped = False
        elif byte == 0x5C:  # backslash
            escaped = True
        elif byte == 0x22 and depth == 0:  # double quote
            quoted = not quoted
        elif quoted:
            continue
        elif byte == 0x28:  # (
            depth += 1
            if depth > MAX_COMMENT_DEPTH:
                return field[:index]
        elif byte == 0x29 and depth:  # )
            depth -= 1
    return field


def _first_params(field):
    """The field up to its MAX_PARAMS-th parameter (";" outside quotes counts)."""
    count, quoted, escaped = 0, False, False
    for index, byte in enumerate(field):
        if escaped:
            escaped = False
        elif byte == 0x5C and quoted:  # backslash
            escaped = True
        elif byte == 0x22:  # double quote
            quoted = not quoted
        elif byte == 0x3B and not quoted:  # semicolon
            count += 1
            if count > MAX_PARAMS:
                return field[:index]
    return field


def cut_words(text, limit=MAX_ENCODED):
    """At most limit characters of a header value, without a trailing partial
    encoded-word (which would otherwise show as "=?utf-8?q?caf"). Linear time."""
    if len(text) <= limit:
        return text
    text = text[:limit]
    tail = text.rfind("=?")
    if tail != -1 and not _WHOLE_WORD.match(text, tail):
        text = text[:tail]
    return text


def bounded_message(raw):
    """The message's bytes with its header bounded (see bounded_header())."""
    header, body = split_message(raw)
    if (len(header) <= MAX_FIELD_BYTES and header.count(b";") <= MAX_PARAMS
            and header.count(b"(") <= MAX_COMMENT_DEPTH):
        return raw
    return bounded_header(header) + b"\r\n\r\n" + body
