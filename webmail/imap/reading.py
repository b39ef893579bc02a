"""Reading one message: its structure, the body part, attachments in chunks, the source.

Only the parts that are shown are fetched (BODYSTRUCTURE first), and attachments and the
raw source are fetched in partial ranges, so a 100 MB attachment never sits whole in a
frontend's memory.
"""
import binascii
import dataclasses
from typing import NamedTuple

from ..mime.text import mime_filename
from . import pagememo, parse, structure
from .errors import MessageGone
from .summary import summary_from
from .types import Message, Outline

BODY_LIMIT = 2 * 1024 * 1024
CHUNK = 1024 * 1024
MESSAGE_FIELDS = ["ENVELOPE", "FLAGS", "RFC822.SIZE", "BODYSTRUCTURE", "INTERNALDATE",
                  "BODY.PEEK[HEADER.FIELDS (REFERENCES)]"]


class Reading:
    def __init__(self, conn, selection, flags):
        self.conn = conn
        self.sel = selection
        self.flags = flags

    def message(self, mailbox, uid, prefer="html", mark_read=True, max_body=BODY_LIMIT,
                fetch_body=True, listed=None):
        """One message with its displayable body; marks it read unless told not to.

        prefer is "html" or "text" (which body to show when there are both). At most
        max_body bytes of the body are fetched (body_truncated says when there was more).
        With fetch_body False the body's bytes are left for with_bodies() (body_raw None):
        a caller that has the body as shown in the cache need not fetch it. listed: see
        messages(). Raises MessageGone when the UID is not in the folder.
        """
        memo_key = None
        if not fetch_body:  # (a message with its body's bytes is not kept: too big)
            self.sel.select(mailbox)
            # Without listed, messages() confirms that the message is there unless the
            # state says so (flags.flags_of): read from the server this request, or vouched
            # for on a QRESYNC server. The memo is used on the same terms.
            if listed is not None or self.sel.vouched is None or self.conn.has("QRESYNC"):
                memo_key = pagememo.key(self.conn.cache.account, mailbox, self.sel.state,
                                        "message", uid, prefer, mark_read, max_body)
            kept = pagememo.get(memo_key, "message-memo")
            if kept is not None:
                return kept
        found = self.messages(mailbox, [uid], prefer, mark_read, max_body, fetch_body, listed)
        if not found:
            raise MessageGone(f"{mailbox}/{uid}")
        # Kept in the process for the folder's state, as a page of the list is (pagememo):
        # that state fixes the message's flags and that it is there; the rest of it never
        # changes. Not one this call marked read: the state it was read at is gone.
        if memo_key is not None and not found[0].read_now and self.sel.state == memo_key[2]:
            pagememo.keep(memo_key, found[0])
        return found[0]

    def messages(self, mailbox, uids, prefer="html", mark_read=True, max_body=BODY_LIMIT,
                 fetch_body=True, listed=None):
        """Several messages of one folder, as message() gives them, in the order of uids.

        UIDs no longer in the folder are left out. What never changes of a message (its
        outline: envelope and structure) comes from the mailbox cache where it is, and its
        flags as summaries() has them; the cost does not grow with the count: at most one
        FETCH of outlines, one of flags, one of bodies per distinct body section, and one
        STORE for those that were unread. A message opened before costs none of these
        but the STORE, and with CONDSTORE none of them at all where the caller passes
        listed: the folder's UIDs as sorted_uids() gave them for this state, which vouch
        that it is still there. Without, its flags are fetched to make sure."""
        if not uids:
            return []
        self.sel.select(mailbox)
        state = self.sel.state
        self.conn.cache.read_along(mailbox, state, uids, ("outline", "flags"))
        outlines = self.conn.cache.outlines(mailbox, state, uids) if state is not None else {}
        missing = [uid for uid in uids if uid not in outlines]
        flags = {}
        if missing:
            fetched = self.conn.call("fetch", missing, MESSAGE_FIELDS)
            fresh = {uid: self._outline(uid, fetched[uid]) for uid in missing if uid in fetched}
            flags = {uid: parse.flag_names(fetched[uid]) for uid in fresh}
            outlines.update(fresh)
            if state is not None:
                self.conn.cache.keep_outlines(mailbox, state, fresh.values())
                self.conn.cache.keep_flags(mailbox, state, flags)
        rest = [uid for uid in uids if uid in outlines and uid not in flags]
        if listed is not None and rest:
            present = set(listed) if len(rest) > 1 else listed
            rest = [uid for uid in rest if uid in present]
        flags.update(self.flags.flags_of(mailbox, rest, confirm=listed is None))
        found = [outlines[uid] for uid in uids if uid in flags]
        chosen = {o.summary.uid: _chosen(o, prefer) for o in found}
        bodies = {}
        if fetch_body and max_body > 0:
            bodies = self._bodies([(o.summary.uid, chosen[o.summary.uid].shown,
                                    o.single or chosen[o.summary.uid].loose)
                                   for o in found if chosen[o.summary.uid].body is not None],
                                  max_body)
        unread = [o.summary.uid for o in found if "\\Seen" not in flags[o.summary.uid]]
        if mark_read and unread:
            self.flags.store(mailbox, unread, [b"\\Seen"])
        return [_message(mailbox, o, flags[o.summary.uid], chosen[o.summary.uid],
                         bodies.get(o.summary.uid, () if fetch_body else None), max_body,
                         mark_read)
                for o in found]

    def with_bodies(self, messages, max_body=BODY_LIMIT):
        """The messages (of one folder) with their bodies' bytes, for those message() gave
        without: one FETCH per distinct body section, as messages() does."""
        wanted = [m for m in messages if m.body_raw is None and m.body is not None]
        bodies = {}
        if wanted and max_body > 0:
            self.sel.ensure(wanted[0].mailbox)
            bodies = self._bodies([(m.uid, (m.body, *m.more), m.single or m.loose)
                                   for m in wanted], max_body)
        return [m if m.body_raw is not None else dataclasses.replace(
                    m, **_raw_fields(bodies.get(m.uid, ()), len(m.more)))
                for m in messages]

    def _outline(self, uid, data):
        """The Outline of one FETCH of MESSAGE_FIELDS (file names filled in)."""
        envelope = data.get(b"ENVELOPE")
        bodystructure = data.get(b"BODYSTRUCTURE")
        single = _single(bodystructure)
        summary = dataclasses.replace(summary_from(uid, data), flags=None)
        walked = structure.walk(bodystructure)
        return Outline(
            summary=summary,
            cc=parse.addresses(envelope.cc if envelope else None),
            reply_to=parse.addresses(envelope.reply_to if envelope else None),
            message_id=parse.to_text(envelope.message_id) if envelope else "",
            in_reply_to=parse.to_text(envelope.in_reply_to) if envelope else "",
            references=parse.header_value(
                _section_value(data, "BODY[HEADER.FIELDS (REFERENCES)]")),
            parts=self._named(uid, walked.parts, single),
            single=single,
            parts_total=walked.total if walked.total > len(walked.parts) else 0,
            too_deep=walked.too_deep)

    def _bodies(self, wanted, max_body):
        """{uid: (each shown part's MIME header followed by its (encoded) bytes)}, for
        (uid, parts shown, single) triples; one FETCH per distinct set of sections. The
        parts of one message share max_body."""
        by_sections: dict = {}
        for uid, shown, single in wanted:
            keys = tuple(("HEADER", "TEXT") if single else (f"{part.section}.MIME",
                                                            part.section) for part in shown)
            by_sections.setdefault(keys, []).append(uid)
        bodies = {}
        for keys, uids in by_sections.items():
            limit = max_body // len(keys)
            data = self.conn.call("fetch", uids, [item for head, content in keys for item in (
                f"BODY.PEEK[{head}]", f"BODY.PEEK[{content}]<0.{limit}>")])
            for uid in uids:
                bodies[uid] = tuple(_with_header(data.get(uid, {}), head, content)
                                    for head, content in keys)
        return bodies

    def parts(self, mailbox, uid):
        """The leaves of a message (BODYSTRUCTURE only); raises MessageGone."""
        self.sel.ensure(mailbox)
        data = self.conn.call("fetch", [uid], ["BODYSTRUCTURE"]).get(uid)
        if data is None:
            raise MessageGone(f"{mailbox}/{uid}")
        bodystructure = data.get(b"BODYSTRUCTURE")
        single = _single(bodystructure)
        return self._named(uid, tuple(structure.leaves(bodystructure)), single), single

    def _named(self, uid, parts, single):
        """Fill in file names a server left out of BODYSTRUCTURE (no disposition data),
        from the parts' own MIME headers, in one FETCH; only when some are missing."""
        bodies = structure.body_parts(parts, "text")
        unnamed = [p for p in parts if not p.filename and p not in bodies
                   and not p.related] if not single else []
        if not unnamed or len(unnamed) > 200:
            return parts
        fields = [f"BODY.PEEK[{p.section}.MIME]" for p in unnamed]
        data = self.conn.call("fetch", [uid], fields).get(uid, {})
        names = {}
        for p in unnamed:
            header = _section_value(data, f"BODY[{p.section}.MIME]")
            name = mime_filename(header) if header else ""
            if name:
                names[p.section] = name
        if not names:
            return parts
        return tuple(dataclasses.replace(p, filename=names[p.section], disposition=(
            p.disposition or "attachment")) if p.section in names else p for p in parts)

    def iter_section(self, mailbox, uid, section, chunk_size=CHUNK, limit=None):
        """The encoded bytes of one section ("" for the whole message), chunk by chunk."""
        self.sel.ensure(mailbox)
        offset = 0
        name = f"BODY[{section}]" if section else "BODY[]"
        while limit is None or offset < limit:
            size = chunk_size if limit is None else min(chunk_size, limit - offset)
            data = self.conn.call("fetch", [uid], [f"BODY.PEEK[{section}]<{offset}.{size}>"])
            if uid not in data:
                raise MessageGone(f"{mailbox}/{uid}")
            chunk = _section_value(data[uid], f"{name}<{offset}>")
            if chunk:
                yield chunk
            if len(chunk) < size:
                return
            offset += len(chunk)

    def iter_part(self, mailbox, uid, part, single=False, chunk_size=CHUNK, limit=None):
        """A part's decoded content, chunk by chunk (base64 and quoted-printable undone)."""
        section = "TEXT" if single else part.section
        decoder = _Decoder(part.encoding)
        for chunk in self.iter_section(mailbox, uid, section, chunk_size, limit):
            decoded = decoder.feed(chunk)
            if decoded:
                yield decoded
        tail = decoder.finish()
        if tail:
            yield tail

    def iter_part_ref(self, ref, chunk_size=CHUNK):
        """The decoded content of the part a PartRef names, chunk by chunk. Raises
        MessageGone when the message is gone or its folder's UIDVALIDITY changed (the UID
        may then be another message's)."""
        if self.sel.select(ref.mailbox).uidvalidity != ref.uidvalidity:
            raise MessageGone(f"{ref.mailbox}/{ref.uid}: the folder was made again")
        yield from self.iter_part(ref.mailbox, ref.uid, ref.part, chunk_size=chunk_size)


def _with_header(data, head, content):
    header_bytes = _section_value(data, f"BODY[{head}]")
    raw = _section_value(data, f"BODY[{content}]<0>")
    if not header_bytes.endswith(b"\r\n\r\n") and not header_bytes.endswith(b"\n\n"):
        header_bytes = header_bytes.rstrip(b"\r\n") + b"\r\n\r\n"
    return header_bytes + raw


class _Chosen(NamedTuple):
    body: object  # Part or None
    alternative: object
    more: tuple
    loose: bool

    @property
    def shown(self):
        return (self.body, *self.more)


def _chosen(outline, prefer):
    """What of an outline is shown: the body and its alternative (structure.body_parts),
    or the inline parts a reader shows in a row (structure.inline_sequence), or, where the
    structure is broken (structure.is_broken), the message's whole text (loose)."""
    sequence = structure.inline_sequence(outline.parts)
    if sequence:
        return _Chosen(sequence[0], None, sequence[1:], False)
    body, alternative = structure.body_parts(outline.parts, prefer)
    if structure.is_broken(outline.parts, outline.too_deep, body, outline.single):
        return _Chosen(structure.whole_text(outline.summary.size), None, (), True)
    return _Chosen(body, alternative, (), False)


def _raw_fields(raws, more):
    """body_raw and more_raw from the bytes _bodies() gave (or none: empty bytes)."""
    raws = tuple(raws) + (b"",) * (1 + more - len(raws))
    return {"body_raw": raws[0], "more_raw": raws[1:1 + more]}


def _message(mailbox, outline, flags, chosen, raws, max_body, seen):
    summary = outline.summary
    body, shown = chosen.body, [part for part in chosen.shown if part is not None]
    return Message(
        uid=summary.uid, mailbox=mailbox, subject=summary.subject, sender=summary.sender,
        to=summary.to, cc=outline.cc, reply_to=outline.reply_to, date=summary.date,
        size=summary.size, flags=tuple(sorted(set(flags) | ({"\\Seen"} if seen else set()))),
        body=body, body_truncated=any(part.size > max_body // len(shown) for part in shown),
        attachments=structure.attachments(outline.parts, (body, chosen.alternative,
                                                          *chosen.more)),
        alternative=chosen.alternative, parts=outline.parts, message_id=outline.message_id,
        in_reply_to=outline.in_reply_to, references=outline.references,
        single=outline.single, parts_total=outline.parts_total, too_deep=outline.too_deep,
        loose=chosen.loose, more=chosen.more, read_now=seen and "\\Seen" not in flags,
        **(_raw_fields(raws, len(chosen.more)) if raws is not None else {"body_raw": None}))


def _single(bodystructure):
    """True for a message that is not multipart: its only part is the message body."""
    return not (bodystructure and isinstance(bodystructure[0], list))


def _section_value(data, name):
    for key, value in data.items():
        if parse.to_text(key).upper().replace('"', "") == name.upper().replace('"', ""):
            return value or b""
    return b""


class _Decoder:
    """Undo a Content-Transfer-Encoding on bytes that arrive in arbitrary chunks."""

    def __init__(self, encoding):
        self.encoding = (encoding or "7bit").lower()
        self.pending = b""

    def feed(self, chunk):
        if self.encoding == "base64":
            data = self.pending + b"".join(chunk.split())
            usable = len(data) - len(data) % 4
            self.pending = data[usable:]
            return _b64(data[:usable])
        if self.encoding == "quoted-printable":
            data = self.pending + chunk
            cut = data.rfind(b"\n") + 1
            self.pending = data[cut:]
            return binascii.a2b_qp(data[:cut])
        return chunk

    def finish(self):
        rest, self.pending = self.pending, b""
        if self.encoding == "base64":
            return _b64(rest + b"=" * (-len(rest) % 4))
        if self.encoding == "quoted-printable":
            return binascii.a2b_qp(rest)
        return rest


def _b64(data):
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        # A damaged attachment still downloads: what decodes, decodes.
        return b"".join(_b64_lenient(data))


def _b64_lenient(data):
    for start in range(0, len(data), 4):
        try:
            yield binascii.a2b_base64(data[start:start + 4])
        except binascii.Error:
            continue
