"""Turning one fetched MIME part, or a message whose structure is broken, into text."""
import binascii
import quopri
import re
from email import message_from_bytes, policy
from email.parser import BytesParser

from .headers import bounded_header, bounded_message, split_message
from .sanitize import strip_markup

# What the email package raises on mail it cannot read; RecursionError for shapes nested
# past any budget this module keeps (headers.py cuts the ones known).
PARSE_ERRORS = (LookupError, UnicodeError, ValueError, AssertionError, KeyError, TypeError,
                 IndexError, AttributeError, RecursionError)


def part_text(raw, content_type, charset="", keep_html=False):
    """The text of a part from its MIME header and (possibly cut) encoded body bytes.

    The header is bounded first (headers.bounded_header). Transfer encoding and charset
    are undone by the email package; an unknown or lying charset falls back to UTF-8 with
    replacement characters, so this never raises on hostile input. HTML is reduced to its
    text unless keep_html is set; text/enriched loses its formatting commands. Bytes whose
    header says multipart or message (a broken message's whole text) go to loose_text().
    """
    raw = bounded_message(raw or b"")
    # Only the header is parsed: a part is a leaf, and a body the email package parsed
    # into parts could nest past its recursion or hold 10,000 parts (seconds).
    message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    if message.get_content_maintype() in ("multipart", "message"):
        # A whole message given as text (its structure is broken): read it loosely.
        return loose_text(raw)
    try:
        text = message.get_content()
    except PARSE_ERRORS:
        payload = message.get_payload(decode=True) or b""
        text = payload.decode(charset if _known(charset) else "utf-8", "replace") if isinstance(
            payload, bytes) else ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        text = ""
    if content_type == "text/html" and not keep_html:
        text = strip_markup(text)
    elif content_type == "text/enriched":
        text = enriched_to_text(text)
    return text.replace("\r\n", "\n")


def _known(charset):
    if not charset:
        return False
    try:
        "".encode(charset)
    except LookupError:
        return False
    return True


def mime_filename(header):
    """The file name a part's own MIME header gives (RFC 2231 and 2047 decoded), or ""."""
    bounded = bounded_message(header + b"\r\n\r\n")
    try:
        return message_from_bytes(bounded, policy=policy.default).get_filename() or ""
    except PARSE_ERRORS:
        return ""


_ENRICHED = re.compile(r"<<|<(/?)([A-Za-z0-9-]{1,60})>|\n+")


def enriched_to_text(text):
    """text/enriched (RFC 1896) as plain text: formatting commands go, "<<" is "<", the
    content of <param> is dropped, and n line breaks in a row are n - 1 (one is a space)
    outside <nofill>. Linear time."""
    out, params, nofill, start = [], 0, 0, 0
    text = text.replace("\r\n", "\n")
    for found in _ENRICHED.finditer(text):
        if not params:
            out.append(text[start:found.start()])
        start = found.end()
        token = found.group()
        if token == "<<":
            if not params:
                out.append("<")
        elif token.startswith("\n"):
            if not params:
                out.append(token if nofill else (token[1:] or " "))
        else:
            step = -1 if found.group(1) else 1
            name = found.group(2).lower()
            if name == "param":
                params = max(params + step, 0)
            elif name == "nofill":
                nofill = max(nofill + step, 0)
    if not params:
        out.append(text[start:])
    return "".join(out)


# Lines of one part header read; the rest of a longer one is skipped.
MAX_HEADER_LINES = 200
# A header line inside a broken multipart: "Name: value", or a folded continuation.
_HEADER_LINE = re.compile(rb"[!-9;-~]+:")
_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]*)"|([^;\s]*))', re.IGNORECASE)
_FIELD = re.compile(rb"(content-type|content-transfer-encoding)\s*:\s*(.*)", re.IGNORECASE)


def loose_text(raw):
    """The text a message carries when its MIME structure is broken or too deep to follow:
    raw is the message's header and (possibly cut) body.

    Best effort, never raises, linear time: lines that delimit parts (of any boundary the
    message declares) and the part headers after them are left out; each part's text is
    decoded as its header says (base64, quoted-printable, charset, HTML reduced to text);
    parts that are not text (images, files) are left out; the rest is kept as it is.
    """
    header, body = split_message(raw or b"")
    top = _fields(bounded_header(header).splitlines())
    boundaries = set(_boundaries(top.get(b"content-type", b"")))
    # The preamble of a multipart is plain text; a message that is not one keeps its type,
    # and an attached message (message/rfc822) starts with a header of its own.
    fields = {} if _kind(top).startswith(b"multipart/") else top
    chunks: list = []
    lines: list = []
    # A part header being read.
    head: list | None = [] if _kind(top).startswith(b"message/") else None
    for line in body.splitlines():
        if head is not None:
            if _HEADER_LINE.match(line) or (head and line[:1] in (b" ", b"\t")):
                if len(head) < MAX_HEADER_LINES:
                    head.append(line)
                continue
            fields = _fields(head)
            head = [] if _kind(fields).startswith(b"message/") else None
            boundaries.update(_boundaries(fields.get(b"content-type", b"")))
            if not line.strip():
                continue
            # Otherwise the part had no blank line after its header: the line is content.
        if line.startswith(b"--") and _is_delimiter(line.rstrip()[2:], boundaries):
            chunks.append((fields, lines))
            fields, lines, head = {}, [], []
            continue
        lines.append(line)
    if head:
        fields = _fields(head)
    chunks.append((fields, lines))
    texts = (_chunk_text(fields, chunk_lines) for fields, chunk_lines in chunks)
    return "\n\n".join(text.strip("\n") for text in texts if text.strip())


def _is_delimiter(name, boundaries):
    return name in boundaries or (name.endswith(b"--") and name[:-2] in boundaries)


def _kind(fields):
    return fields.get(b"content-type", b"text/plain").split(b";")[0].strip().lower()


def _fields(lines):
    """{b"content-type": value, b"content-transfer-encoding": value} of header lines."""
    found, last = {}, None
    for line in lines:
        if line[:1] in (b" ", b"\t") and last is not None:
            found[last] += b" " + line.strip()
            continue
        matched = _FIELD.match(line)
        last = matched.group(1).lower() if matched else None
        if matched:
            found[last] = matched.group(2).strip()
    return found


def _boundaries(content_type):
    for found in _BOUNDARY.finditer(content_type):
        boundary = found.group(1) if found.group(1) is not None else found.group(2)
        yield boundary.strip()


def _chunk_text(fields, lines):
    content_type = fields.get(b"content-type", b"text/plain")
    kind = _kind(fields) or b"text/plain"
    if not kind.startswith(b"text/") and not kind.startswith(b"multipart/"):
        return ""
    encoding = fields.get(b"content-transfer-encoding", b"").strip().lower()
    data = b"\n".join(lines)
    if encoding == b"base64":
        data = _lenient_base64(data)
    elif encoding == b"quoted-printable":
        data = quopri.decodestring(data)
    charset = re.search(rb'charset\s*=\s*"?([A-Za-z0-9_.:-]+)', content_type, re.IGNORECASE)
    name = charset.group(1).decode("ascii") if charset else "utf-8"
    text = data.decode(name if _known(name) else "utf-8", "replace")
    if kind == b"text/html":
        return strip_markup(text)
    if kind == b"text/enriched":
        return enriched_to_text(text)
    return text


def _lenient_base64(data):
    clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    clean = clean[:len(clean) - (len(clean) % 4 == 1)]  # one odd character decodes to nothing
    clean += b"=" * (-len(clean) % 4)
    try:
        return binascii.a2b_base64(clean)
    except binascii.Error:
        return b""
