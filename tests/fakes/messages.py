"""A stored message of the fake IMAP server: its bytes and flags, and what a server tells
of them (the summary, the leaves with IMAP section numbers, a section's bytes).

A test hands the server either a MessageSummary (a message is written for it, its body
"Body of <subject>", or its snippet where it has one) or the bytes of a whole message
(read as a server reads it).
"""
import binascii
import dataclasses
import functools
from email import message_from_bytes, policy
from email.utils import format_datetime, getaddresses, parsedate_to_datetime

from webmail.imap import structure
from webmail.imap.summary import TEXT_START
from webmail.imap.types import Address, Message, MessageSummary, Part
from webmail.mime.snippet import message_snippet


def written_for(summary):
    """The bytes of a message that a server would summarise as `summary`; one with
    has_attachments carries a small text file."""
    head = [f"From: {summary.sender.name} <{summary.sender.email}>",
            "To: " + ", ".join(f"{a.name} <{a.email}>" if a.name else a.email
                               for a in summary.to),
            f"Subject: {summary.subject}",
            f"Message-ID: <fake-{summary.uid}@fake.test>"]
    if summary.date is not None:
        head.append(f"Date: {format_datetime(summary.date)}")
    body = summary.snippet or f"Body of {summary.subject}"
    if not summary.has_attachments:
        head.append("Content-Type: text/plain; charset=utf-8")
        return ("\r\n".join(head) + "\r\n\r\n" + body + "\r\n").encode()
    head.append("Content-Type: multipart/mixed; boundary=fake-boundary")
    return ("\r\n".join(head) + "\r\n\r\n"
            "--fake-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{body}\r\n--fake-boundary\r\nContent-Type: text/plain\r\n"
            "Content-Disposition: attachment; filename=notes.txt\r\n\r\n"
            f"Notes of {summary.subject}\r\n--fake-boundary--\r\n").encode()


def _split(raw):
    """(header with its blank line, body) of a message or part in bytes."""
    for end in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(end)
        if at >= 0:
            return raw[:at + len(end)], raw[at + len(end):]
    return raw + b"\r\n\r\n", b""


def _people(value):
    return tuple(Address(name, email) for name, email in getaddresses([str(value or "")])
                 if email)


class _Reading:
    """What a server reads once from a message's bytes: they never change, so every Stored
    holding the same bytes (a copy, the same seed in the next test) shares one reading.
    Parsing with policy.default re-parses a header on every access, which made the fake
    the slowest part of the unit suite."""

    def __init__(self, raw):
        self.raw = raw
        self.email = message_from_bytes(raw, policy=policy.default)
        self.single = not self.email.is_multipart()
        self.sections = {}  # section -> (MIME header, encoded content)
        self.parts = tuple(self._walk(self.email, "", False, ""))
        self.headers = {}
        self.summary = self._summary()
        self.snippet = self._snippet()

    def header(self, name):
        key = name.lower()
        if key not in self.headers:
            self.headers[key] = str(self.email.get(name, "") or "")
        return self.headers[key]

    def _summary(self):
        sender = _people(self.header("From"))
        try:
            date = parsedate_to_datetime(self.header("Date"))
        except (TypeError, ValueError):
            date = None
        return MessageSummary(
            uid=0, subject=self.header("Subject"),
            sender=sender[0] if sender else Address("", ""), to=_people(self.header("To")),
            date=date, size=len(self.raw), has_attachments=bool(structure.attachments(
                self.parts, structure.body_part(self.parts))))

    def _snippet(self):
        """The snippet as the session makes it from the start of the text (a server's
        PREVIEW would say much the same)."""
        head, text = _split(self.raw)
        return message_snippet(head + text[:TEXT_START])

    def _walk(self, node, section, related, choice):
        """The leaves in order with IMAP section numbers, as structure.walk() reads them
        from a BODYSTRUCTURE: an attached message is one leaf."""
        if node.is_multipart() and node.get_content_type() != "message/rfc822":
            subtype = node.get_content_subtype()
            for index, child in enumerate(node.iter_parts(), start=1):
                yield from self._walk(
                    child, f"{section}.{index}" if section else str(index),
                    related or (subtype == "related" and index > 1),
                    choice or (section or "TEXT" if subtype == "alternative" else ""))
            return
        raw = self.raw if node is self.email else node.as_bytes()
        head, content = _split(raw)
        if node.get_content_type() == "message/rfc822" and node.is_multipart():
            content = node.get_payload(0).as_bytes()
        section = section or "1"
        self.sections[section] = (head, content)
        disposition = node.get_content_disposition() or ""
        yield Part(section=section, content_type=node.get_content_type(),
                   filename=node.get_filename() or "", size=len(content),
                   encoding=str(node.get("Content-Transfer-Encoding", "7bit")).lower(),
                   charset=node.get_param("charset") or "", disposition=disposition,
                   related=related and disposition != "attachment",
                   content_id=str(node.get("Content-ID", "")).strip().strip("<>"),
                   choice=choice)


@functools.lru_cache(maxsize=8192)
def _read(raw):
    return _Reading(raw)


class Stored:
    """One message in one folder: bytes never change, flags do."""

    def __init__(self, uid, raw, flags=(), summary=None):
        self.uid = uid
        self.raw = raw
        self.flags = set(flags)
        self._reading = reading = _read(raw)
        self.single = reading.single
        self._sections = reading.sections
        self.parts = reading.parts
        self.summary = dataclasses.replace(
            summary if summary is not None else dataclasses.replace(reading.summary, uid=uid),
            snippet=reading.snippet)

    def copy(self, uid):
        return Stored(uid, self.raw, self.flags,
                      dataclasses.replace(self.summary, uid=uid))

    def header(self, name):
        return self._reading.header(name)

    def people(self, name):
        return _people(self.header(name))

    def current(self, **changes):
        """The summary with the flags as they are now."""
        return dataclasses.replace(self.summary, flags=tuple(sorted(self.flags)), **changes)

    def section(self, name):
        """The encoded bytes of a section: "" the whole message, "HEADER", "TEXT", "1.2",
        "1.2.MIME"; b"" for a section it lacks, as a server answers NIL."""
        head, text = _split(self.raw)
        if name == "":
            return self.raw
        if name in ("HEADER", "TEXT"):
            return head if name == "HEADER" else text
        if name.endswith(".MIME"):
            return self._sections.get(name[:-5], (b"", b""))[0]
        return self._sections.get(name, (b"", b""))[1]

    def shown(self, part, limit):
        """A shown part's MIME header and at most limit bytes of its content, as the
        session's body_raw holds them (the whole text for one not multipart, or broken)."""
        if self.single or part.section == "TEXT":
            head, text = _split(self.raw)
            return head + text[:limit]
        return self.section(f"{part.section}.MIME") + self.section(part.section)[:limit]


def as_message(mailbox, stored, prefer, max_body, fetch_body, read_now=False):
    """A Message as MailSession.message() gives it, its flags as they are now; read_now
    where the call marked it read."""
    sequence = structure.inline_sequence(stored.parts)
    body, alternative = structure.body_parts(stored.parts, prefer)
    more, loose = (), False
    if sequence:
        body, alternative, more = sequence[0], None, sequence[1:]
    elif structure.is_broken(stored.parts, 0, body, stored.single):
        body, alternative, loose = structure.whole_text(len(stored.section("TEXT"))), None, True
    summary = stored.current()
    message = Message(
        uid=stored.uid, mailbox=mailbox, subject=summary.subject, sender=summary.sender,
        to=summary.to, cc=stored.people("Cc"), reply_to=stored.people("Reply-To"),
        date=summary.date, size=summary.size, flags=summary.flags, body=body, body_raw=None,
        body_truncated=any(p.size > max_body // (1 + len(more)) for p in (body, *more)
                           if p is not None),
        attachments=structure.attachments(stored.parts, (body, alternative, *more)),
        alternative=alternative, parts=stored.parts,
        message_id=stored.header("Message-ID").strip(),
        in_reply_to=stored.header("In-Reply-To").strip(),
        references=" ".join(stored.header("References").split()),
        single=stored.single, loose=loose, more=more, read_now=read_now)
    return with_raw(message, stored, max_body) if fetch_body else message


def with_raw(message, stored, max_body):
    """The message with its shown parts' bytes (body_raw, more_raw), as with_bodies()."""
    shown = (message.body, *message.more)
    if message.body is None or max_body <= 0:
        return dataclasses.replace(message, body_raw=b"", more_raw=(b"",) * len(
            message.more))
    limit = max_body // len(shown)
    raws = [stored.shown(part, limit) for part in shown]
    return dataclasses.replace(message, body_raw=raws[0], more_raw=tuple(raws[1:]))


def decoded(data, encoding):
    """Content-Transfer-Encoding undone (the session's iter_part)."""
    encoding = (encoding or "7bit").lower()
    if encoding == "base64":
        return binascii.a2b_base64(b"".join(data.split()) + b"==")
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    return data


def chunks(data, chunk_size):
    """data in pieces of chunk_size bytes, as a streaming FETCH answers."""
    for start in range(0, len(data), chunk_size):
        yield data[start:start + chunk_size]
