"""Walking BODYSTRUCTURE: the leaves of a message and the part to show as its body."""
import re
from dataclasses import dataclass
from itertools import accumulate
from urllib.parse import unquote

from imapclient.response_parser import parse_fetch_response

from ..mime.headers import MAX_ENCODED, MAX_PARAMS
from .parse import decode_words, to_text
from .types import Part

# Leaves kept of one message; the rest are counted and named in a notice.
MAX_PARTS = 2000
# Multipart levels followed; real mail nests a few, a forwarded chain a dozen.
MAX_DEPTH = 40
# Inline text parts shown in a row; more are listed as attachments.
MAX_SHOWN_PARTS = 20
_SHOWN_TYPES = ("text/plain", "text/html", "text/enriched")
# Nodes walked at most, to count what is left out.
MAX_COUNTED = 100_000
# Parentheses nested in one FETCH answer that imapclient's recursive parser is given;
# each costs it about two Python frames, and Cyrus sends a 1,000-deep structure whole.
MAX_NESTING = 120
# What stands in for a group nested past MAX_NESTING: a leaf walk() counts as too deep.
CUT_MARK = (b"X-HERON-CUT", b"TOO-DEEP")
_CUT = b'("X-HERON-CUT" "TOO-DEEP")'
_SPECIAL = re.compile(rb'[()"\\]')
_QUOTED = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_PARENS = bytes(set(range(256)) - set(b"()"))
_STEP = {ord("("): 1, ord(")"): -1}

_CONTINUATION = re.compile(r"^(?P<name>[^*]+)\*(?P<index>\d+)(?P<encoded>\*?)$")


def fetch_response(lines, normalise_times=True, uid_is_key=True):
    """imapclient's parse_fetch_response() of the lines, with groups nested deeper than
    MAX_NESTING first replaced by a leaf that walk() counts as too deep: imapclient's
    parser recurses twice per parenthesis and a hostile structure would otherwise end in
    RecursionError for the whole answer (every message of a list page)."""
    return parse_fetch_response(cut_nesting(lines), normalise_times, uid_is_key)


def cut_nesting(lines, limit=MAX_NESTING):
    """The lines of an IMAP answer (bytes, or (text, literal) pairs as imaplib gives them)
    with each parenthesised group that opens past depth limit replaced by a flat stand-in;
    quoted strings and literals are skipped over, a literal inside a cut group is dropped.
    Lines that cannot nest that deep are returned as they are. Linear time."""
    if _deepest(lines) <= limit:
        return lines
    out: list = []
    pending, depth, cutting = b"", 0, None
    for record in lines:
        if record is None:
            continue
        text, literal = record if isinstance(record, tuple) else (record, None)
        kept, start, quoted, ignore = [], 0, False, -1
        for found in _SPECIAL.finditer(text):
            at = found.start()
            char = text[at:at + 1]
            if at == ignore:
                continue
            if quoted:
                if char == b"\\":
                    ignore = at + 1
                elif char == b'"':
                    quoted = False
            elif char == b'"':
                quoted = True
            elif char == b"(":
                depth += 1
                if depth > limit and cutting is None:
                    kept.append(text[start:at] + _CUT)
                    cutting = depth
            elif char == b")":
                if cutting == depth:
                    cutting, start = None, at + 1
                depth -= 1
        if cutting is None:
            kept.append(text[start:])
        pending += b"".join(kept)
        if literal is not None and cutting is None:
            out.append((pending, literal))
            pending = b""
    if pending:
        out.append(pending)
    return out


def _deepest(lines):
    """How deep parentheses nest in the lines, outside quoted strings (at C speed)."""
    # (imaplib leaves None in an untagged list where a response carried no data.)
    text = b"".join(record[0] if isinstance(record, tuple) else record
                    for record in lines if record is not None)
    parens = _QUOTED.sub(b"", text).translate(None, _NOT_PARENS)
    return max(accumulate(map(_STEP.__getitem__, parens)), default=0)


def _params(raw):
    """Parameters as a dict; RFC 2231 (name*, name*0*, …) and encoded words are decoded."""
    if not isinstance(raw, tuple):
        return {}
    plain: dict = {}
    pieces: dict = {}
    # As bounded_header() does for MIME text: the first MAX_PARAMS parameters count.
    for i in range(0, min(len(raw) - 1, 2 * MAX_PARAMS), 2):
        if not isinstance(raw[i], bytes):
            continue
        key, value = to_text(raw[i]).lower(), to_text(raw[i + 1])
        found = _CONTINUATION.match(key)
        if found:
            pieces.setdefault(found["name"], []).append(
                (int(found["index"]), value, bool(found["encoded"])))
        elif key.endswith("*"):
            pieces.setdefault(key[:-1], []).append((0, value, True))
        else:
            plain[key] = decode_words(value) if "=?" in value else value
    for name, parts in pieces.items():
        parts.sort()
        encoded = parts[0][2]
        joined = "".join(value for _index, value, _enc in parts)[:MAX_ENCODED]
        plain[name] = _rfc2231(joined) if encoded else joined
    return plain


def _rfc2231(value):
    """charset'language'percent-encoded -> text; an unknown charset falls back to UTF-8."""
    if value.count("'") < 2:
        return unquote(value, errors="replace")
    charset, _language, encoded = value.split("'", 2)
    try:
        return unquote(encoded, encoding=charset or "utf-8", errors="replace")
    except LookupError:
        return unquote(encoded, errors="replace")


def _disposition(part):
    for item in part[7:]:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], bytes):
            return to_text(item[0]).lower(), _params(item[1])
    return "", {}


@dataclass(frozen=True)
class Walk:
    """What walk() found: the leaves it keeps, and how much it left out."""

    parts: tuple
    total: int = 0  # leaves in the structure; parts holds at most MAX_PARTS of them
    too_deep: int = 0  # subtrees nested past MAX_DEPTH (or cut by cut_nesting), left out


def walk(structure, prefix="", limit=MAX_PARTS):
    """The single parts of a BODYSTRUCTURE in order, with their IMAP section numbers, and
    counts of what is left out: leaves past limit and subtrees past MAX_DEPTH.

    Iterative, so a structure nested thousands deep costs no recursion; time grows with
    the nodes, counted up to MAX_COUNTED. Odd nodes are skipped, never raise."""
    found: list = []
    total, too_deep, seen = 0, 0, 0
    stack = [(structure, prefix, 0, False, "")]
    while stack and seen < MAX_COUNTED:
        node, section, depth, related, choice = stack.pop()
        seen += 1
        if not isinstance(node, tuple) or not node:
            continue
        if depth > MAX_DEPTH or node[:2] == CUT_MARK:
            too_deep += 1
            continue
        if isinstance(node[0], list):
            subtype = to_text(node[1]).lower() if len(node) > 1 else ""
            stack.extend(reversed([
                (child, f"{section}.{index}" if section else str(index), depth + 1,
                 related or (subtype == "related" and index > 1),
                 choice or (section or "TEXT" if subtype == "alternative" else ""))
                for index, child in enumerate(node[0], start=1)]))
            continue
        total += 1
        if len(found) < limit:
            part = _leaf(node, section, related, choice)
            if part is not None:
                found.append(part)
    return Walk(tuple(found), total, too_deep)


def _leaf(node, section, related, choice):
    try:
        params = _params(node[2])
        kind, disp_params = _disposition(node)
        return Part(
            section=section or "1",
            content_type=f"{to_text(node[0])}/{to_text(node[1])}".lower(),
            filename=disp_params.get("filename") or params.get("name") or "",
            size=int(node[6]) if isinstance(node[6], int) else 0,
            encoding=to_text(node[5]).lower() if node[5] else "7bit",
            charset=params.get("charset", ""),
            disposition=kind,
            related=related and kind != "attachment",
            content_id=to_text(node[3]).strip().strip("<>") if node[3] else "",
            choice=choice,
        )
    except (IndexError, TypeError, ValueError):
        return None


def leaves(structure, prefix="", limit=MAX_PARTS):
    """The single parts of a BODYSTRUCTURE in order, with their IMAP section numbers."""
    return list(walk(structure, prefix, limit).parts)


def _readable(parts, wanted):
    return next((p for p in parts if p.content_type == wanted
                 and p.disposition != "attachment" and not p.filename), None)


def body_parts(parts, prefer="html"):
    """(body, alternative): the part to show and the other rendering, either may be None.

    prefer is "html" or "text"; without the preferred kind the other one is the body.
    """
    text = _readable(parts, "text/plain") or _readable(parts, "text/enriched")
    html = _readable(parts, "text/html")
    first, second = (html, text) if prefer == "html" else (text, html)
    return (first, second) if first else (second, None)


def inline_sequence(parts):
    """The inline text and HTML parts a mail client shows one after another (text, then
    HTML, then text again in a multipart/mixed), at most MAX_SHOWN_PARTS of them; () when
    there are fewer than two, and body_parts() chooses the body. Of the renderings of a
    multipart/alternative one stands in the row, where the first of them stands: its HTML
    when it has one (as mail clients show it), else its first text."""
    readable = [part for part in parts if part.content_type in _SHOWN_TYPES
                and part.disposition != "attachment" and not part.filename
                and not part.related]
    chosen: dict = {}
    for part in readable:
        if part.choice and (part.choice not in chosen or (
                part.content_type == "text/html" != chosen[part.choice].content_type)):
            chosen[part.choice] = part
    found, seen = [], set()
    for part in readable:
        if not part.choice:
            found.append(part)
        elif part.choice not in seen:
            seen.add(part.choice)
            found.append(chosen[part.choice])
    return tuple(found[:MAX_SHOWN_PARTS]) if len(found) > 1 else ()


def is_broken(parts, too_deep, body, single):
    """True when a structure yields no text to show though the message may hold some: no
    body was found and parts were nested too deep, none could be read at all, or the text
    is inside attached messages (message/rfc822, which a reader opens inline); or every
    part of a multipart is empty (a boundary that never appears: the text is all preamble)."""
    if body is None:
        return (too_deep > 0 or not parts
                or any(part.content_type.startswith("message/") for part in parts))
    return not single and body.size == 0 and all(part.size == 0 for part in parts)


def whole_text(size):
    """The stand-in Part for a broken structure's body: all of the message after its
    header, fetched as TEXT and read as loose text (mime.text.loose_text)."""
    return Part(section="TEXT", content_type="text/plain", filename="", size=size,
                encoding="7bit", charset="", disposition="")


def body_part(parts):
    """The part a list view treats as the body: the first inline text/plain, else HTML."""
    return body_parts(parts, prefer="text")[0]


def attachments(parts, body):
    """The parts a user would call attachments: everything but the body, its resources and
    the other text renderings of an alternative that is shown."""
    bodies = (body if isinstance(body, tuple) else (body,)) + body_parts(parts, "text")
    shown = {p.choice for p in bodies if p is not None and p.choice}
    # Every other leaf is offered as a file: a server that omits the disposition (the
    # demo server) still shows a text attachment, and nothing of a message is hidden.
    return tuple(p for p in parts if p not in bodies and not p.related and not (
        p.choice in shown and p.content_type in _SHOWN_TYPES))


def files(parts):
    """The parts a writer put in a message as files, in its order: the attachments
    (attached messages among them) and the images of its HTML body (multipart/related)."""
    bodies = body_parts(parts, "html")
    attached = set(attachments(parts, bodies))
    return tuple(p for p in parts if p in attached or (p.related and p not in bodies))


def has_attachments(structure):
    """True when a BODYSTRUCTURE holds an attachment; odd shapes count as none."""
    parts = leaves(structure)
    return bool(attachments(parts, body_part(parts)))
