"""One FETCH response as a MessageSummary: what every message list shows of a message."""
from . import parse, structure
from .types import MessageSummary

SUMMARY_FIELDS = ["ENVELOPE", "FLAGS", "RFC822.SIZE", "BODYSTRUCTURE", "INTERNALDATE"]


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
    )
