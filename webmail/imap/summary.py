"""One FETCH response as a MessageSummary: what every message list shows of a message."""
from ..mime.snippet import message_snippet, snippet
from . import parse, structure
from .types import MessageSummary

SUMMARY_FIELDS = ["ENVELOPE", "FLAGS", "RFC822.SIZE", "BODYSTRUCTURE", "INTERNALDATE"]
# The start of the text for the snippet: the server's own (RFC 8970 PREVIEW), else the
# first bytes of the body with the header fields that say how to decode them.
PREVIEW_FIELDS = ["PREVIEW"]
TEXT_START = 2048
TEXT_FIELDS = ["BODY.PEEK[HEADER.FIELDS (CONTENT-TYPE CONTENT-TRANSFER-ENCODING)]",
               f"BODY.PEEK[TEXT]<0.{TEXT_START}>"]


def summary_fields(preview):
    """What a FETCH of summaries asks: with their snippet, from PREVIEW where the server
    announced it (preview True), else from the start of the text."""
    return SUMMARY_FIELDS + (PREVIEW_FIELDS if preview else TEXT_FIELDS)


def summary_from(uid, item, mailbox=""):
    envelope = item.get(b"ENVELOPE")
    senders = parse.addresses(envelope.from_ if envelope else None)
    date = envelope.date if envelope and envelope.date else item.get(b"INTERNALDATE")
    return MessageSummary(
        uid=uid,
        subject=parse.decode_words(envelope.subject if envelope else b""),
        sender=senders[0] if senders else parse.address(None),
        to=parse.addresses(envelope.to if envelope else None),
        date=parse.as_aware(date),
        size=item.get(b"RFC822.SIZE", 0),
        flags=parse.flag_names(item),
        has_attachments=structure.has_attachments(item.get(b"BODYSTRUCTURE")),
        mailbox=mailbox,
        snippet=_snippet(item),
    )


def _snippet(item):
    """The snippet of a FETCH answer of summary_fields(), "" for one without (or where
    PREVIEW came NIL and the start of the text was not asked)."""
    found = {}
    for key, value in item.items():
        name = parse.to_text(key).upper()
        for wanted in ("PREVIEW", "BODY[HEADER.FIELDS", "BODY[TEXT]"):
            if name.startswith(wanted) and isinstance(value, bytes):
                found[wanted] = value
    if "PREVIEW" in found:
        return snippet(found["PREVIEW"].decode("utf-8", "replace"))
    if "BODY[TEXT]" not in found:
        return ""
    header = found.get("BODY[HEADER.FIELDS", b"").rstrip(b"\r\n")
    return message_snippet(header + b"\r\n\r\n" + found["BODY[TEXT]"])
