"""Walking BODYSTRUCTURE: the leaves of a message and the part to show as its body."""
import re
from urllib.parse import unquote

from .parse import decode_words, to_text
from .types import Part

_CONTINUATION = re.compile(r"^(?P<name>[^*]+)\*(?P<index>\d+)(?P<encoded>\*?)$")


def _params(raw):
    """Parameters as a dict; RFC 2231 (name*, name*0*, …) and encoded words are decoded."""
    if not isinstance(raw, tuple):
        return {}
    plain, pieces = {}, {}
    for i in range(0, len(raw) - 1, 2):
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
        joined = "".join(value for _index, value, _enc in parts)
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


def leaves(structure, prefix="", limit=2000):
    """The single parts of a BODYSTRUCTURE in order, with their IMAP section numbers."""
    found = []

    def walk(node, section, depth, related=False):
        if len(found) >= limit or depth > 40 or not node:
            return
        if isinstance(node[0], list):
            is_related = to_text(node[1]).lower() == "related"
            for index, child in enumerate(node[0], start=1):
                walk(child, f"{section}.{index}" if section else str(index), depth + 1,
                     related or (is_related and index > 1))
            return
        try:
            params = _params(node[2])
            kind, disp_params = _disposition(node)
            found.append(Part(
                section=section or "1",
                content_type=f"{to_text(node[0])}/{to_text(node[1])}".lower(),
                filename=disp_params.get("filename") or params.get("name") or "",
                size=int(node[6]) if isinstance(node[6], int) else 0,
                encoding=to_text(node[5]).lower() if node[5] else "7bit",
                charset=params.get("charset", ""),
                disposition=kind,
                related=related and kind != "attachment",
                content_id=to_text(node[3]).strip().strip("<>") if node[3] else "",
            ))
        except (IndexError, TypeError, ValueError):
            return

    walk(structure, prefix, 0)
    return found


def _readable(parts, wanted):
    return next((p for p in parts if p.content_type == wanted
                 and p.disposition != "attachment" and not p.filename), None)


def body_parts(parts, prefer="html"):
    """(body, alternative): the part to show and the other rendering, either may be None.

    prefer is "html" or "text"; without the preferred kind the other one is the body.
    """
    text, html = _readable(parts, "text/plain"), _readable(parts, "text/html")
    first, second = (html, text) if prefer == "html" else (text, html)
    return (first, second) if first else (second, None)


def body_part(parts):
    """The part a list view treats as the body: the first inline text/plain, else HTML."""
    return body_parts(parts, prefer="text")[0]


def attachments(parts, body):
    """The parts a user would call attachments: everything but the body and its resources."""
    bodies = (body if isinstance(body, tuple) else (body,)) + body_parts(parts, "text")
    # Every other leaf is offered as a file: a server that omits the disposition (the
    # demo server) still shows a text attachment, and nothing of a message is hidden.
    return tuple(p for p in parts if p not in bodies and not p.related)


def has_attachments(structure):
    """True when a BODYSTRUCTURE holds an attachment; odd shapes count as none."""
    parts = leaves(structure)
    return bool(attachments(parts, body_part(parts)))
