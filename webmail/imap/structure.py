"""Walking BODYSTRUCTURE: the leaves of a message and the part to show as its body."""
from .parse import to_text
from .types import Part


def _params(raw):
    if not isinstance(raw, tuple):
        return {}
    return {to_text(raw[i]).lower(): to_text(raw[i + 1])
            for i in range(0, len(raw) - 1, 2) if isinstance(raw[i], bytes)}


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
            ))
        except (IndexError, TypeError, ValueError):
            return

    walk(structure, prefix, 0)
    return found


def body_part(parts):
    """The part to show as the body: the first inline text/plain, else the first text/html."""
    readable = [p for p in parts if p.disposition != "attachment" and not p.filename]
    for wanted in ("text/plain", "text/html"):
        for part in readable:
            if part.content_type == wanted:
                return part
    return None


def attachments(parts, body):
    """The parts a user would call attachments: everything but the body and its resources."""
    return tuple(p for p in parts if p is not body and not p.related and (
        p.disposition == "attachment" or p.filename or not p.content_type.startswith("text/")))


def has_attachments(structure):
    """True when a BODYSTRUCTURE holds an attachment; odd shapes count as none."""
    parts = leaves(structure)
    return bool(attachments(parts, body_part(parts)))
