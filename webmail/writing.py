"""Composing mail: what a compose window starts with, saving drafts, and sending.

Between the views and the layers below: the IMAP session (drafts, Sent, flags), the MIME
builder, SMTP, the uploads in storage, identities and contacts. A draft is the IMAP message
in Drafts, whole: its text, its inline images and its attached files and messages, so any
frontend and any other mail program can carry it on. The uploads stored under its compose
id are the compose window's handles on those files; their bytes in storage are working
copies, and where a saved version holds a file the draft is its source of truth (see
"Drafts carry their files" in docs/architecture.md).
"""
import json
import logging
import re
import tempfile
import uuid
from email.headerregistry import Address
from email.utils import make_msgid

from django.db import transaction
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import contacts, identities, preferences
from attachments import storage
from contacts import groups as address_book

from . import draft_files, smtp
from .imap.errors import MailError, MessageGone
from .mime import compose, spool
from .mime import reply as replies
from .mime.sanitize import sanitize_html
from .mime.text import part_text
from .models import DraftState
from .params import pick_value

log = logging.getLogger(__name__)
FIELDS_HEADER = "X-Heron-Fields"
# A message to send is written to a spooled file: in memory up to this size, on disk above.
SPOOL_IN_MEMORY = 1 << 20
# The compose editor shows an inline image from its upload URL; the message refers to it
# as cid:<content id>.
_INLINE_SRC = re.compile(r"/attachments/([0-9a-f-]{36})/\?inline=1")


class DraftConflict(Exception):
    """Another window saved this draft after the version this one started from."""

    message = _("This draft was changed in another window or on another device. Reload it "
                "to see the latest version; saving here would overwrite it.")


def new_key():
    return uuid.uuid4().hex


def _address(person):
    """An imap Address (name, email) as an email.headerregistry Address, or None."""
    try:
        return Address(display_name=person.name or "", addr_spec=person.email)
    except (ValueError, IndexError, TypeError):
        return None


def _addresses(people):
    return tuple(filter(None, map(_address, people or ())))


def _text_of(message):
    if message.body is None:
        return ""
    return part_text(message.body_raw, message.body.content_type, message.body.charset)


def _identity_for(user, message):
    """The identity the original was sent to, so a reply goes out from the same address;
    not one the user may not send from yet, which would only be refused."""
    addressed = {p.email.lower() for p in (*message.to, *message.cc) if p.email}
    for identity in identities.with_sending_state(user, identities.identities_for(user)):
        if identity.email.lower() in addressed and identity.may_send:
            return identity
    return identities.default_identity(user)


def blank(user, **fields):
    """A new message: the default identity and its signature, and any given fields."""
    identity = identities.default_identity(user)
    data = {"draft": new_key(), "version": 0, "identity": identity.id, "to": "", "cc": "",
            "bcc": "", "subject": "", "body": identity.signature_block(), "format": "text"}
    data.update(fields)
    if "body" not in fields and preferences.effective(user, "compose_format") == "html":
        # A new message in rich text, as Settings → Writing asks: the signature as HTML.
        text = data["body"].strip("\n")
        data.update(format="html", body="",
                    html=f"<p><br></p><p>{escape(text).replace(chr(10), '<br>')}</p>"
                    if text else "")
    return data


def _reply_body(user, signature, quote):
    """A reply's text as Settings → Writing lays it out: the place to write above or below
    the quote, the signature right below that place or at the very end."""
    prefs = preferences.shown(user)
    if prefs["reply_position"] == "below":
        return quote + "\n\n" + signature
    if prefs["signature_position"] == "end":
        return "\n\n" + quote + signature
    return "\n" + signature + "\n\n" + quote


def reply(mail, user, mailbox, uid, reply_all=False):
    """A reply (to all) to one message: recipients, Re: subject, threading, quote."""
    original = mail.message(mailbox, uid, prefer="text", mark_read=False)
    identity = _identity_for(user, original)
    to, cc = replies.reply_recipients(
        from_=_addresses([original.sender]), reply_to=_addresses(original.reply_to),
        to=_addresses(original.to), cc=_addresses(original.cc),
        own_addresses=identities.own_addresses(user), reply_all=reply_all)
    in_reply_to, references = replies.threading_headers(
        original.message_id, tuple(original.references.split()))
    sender = compose.format_addresses(_addresses([original.sender])) or "someone"
    quote = replies.attribution(original.date, sender) + "\n" + replies.quote_text(
        _text_of(original))
    return blank(user, identity=identity.id, to=compose.format_addresses(to),
                 cc=compose.format_addresses(cc),
                 subject=replies.reply_subject(original.subject),
                 body=_reply_body(user, identity.signature_block(), quote),
                 in_reply_to=in_reply_to or "", references=" ".join(references),
                 answers=f"{uid} {mailbox}")


def forward(mail, user, mailbox, uid, as_attachment=False, key=None):
    """A forward of one message, inline with its attachments, or as an .eml attachment.

    Without key, the original's files are copied into the uploads of a new compose id as
    they stream from IMAP, so they can be removed before sending like any other
    attachment. With key (that compose id, once the files are there), nothing is copied:
    the compose window is drawn again, and nothing is saved to Drafts before the user
    writes."""
    original = mail.message(mailbox, uid, prefer="text", mark_read=False)
    identity = _identity_for(user, original)
    data = blank(user, identity=identity.id, subject=replies.forward_subject(original.subject),
                 forwards=f"{uid} {mailbox}")
    copy = key is None
    if key is not None:
        data["draft"] = key
    if as_attachment:
        name = f"{(original.subject or 'message')[:80]}.eml"
        if copy:
            storage.save_stream(user, data["draft"], name, "message/rfc822",
                                mail.iter_section(mailbox, uid, ""))
        return data
    for part in original.attachments if copy else ():
        storage.save_stream(user, data["draft"], part.filename or "attachment",
                            part.content_type, mail.iter_part(mailbox, uid, part))
    headers = {"From": compose.format_addresses(_addresses([original.sender])),
               "Date": original.date.strftime("%a, %d %b %Y %H:%M") if original.date else "",
               "Subject": original.subject,
               "To": compose.format_addresses(_addresses(original.to))}
    data["body"] = ("\n" + identity.signature_block() + "\n\n"
                    + replies.forward_text_block(headers, _text_of(original)))
    return data


def reopen(mail, user, mailbox, uid):
    """A draft from the Drafts folder, to carry on writing it, with its files.

    Whoever wrote it, the files it holds become the compose window's uploads: those the
    window knows already keep their records; the others (a draft another client wrote,
    or one changed elsewhere) are recorded as held by the draft. Uploads of an earlier
    saved version that this one lacks are dropped; uploads not yet in any saved version
    are kept. Files storage lacks (evicted by purge_uploads, or never had) are streamed
    back into it, to be working copies again while the user writes and sends."""
    key, saved = mail.draft_headers(mailbox, uid, FIELDS_HEADER)
    fields = _load_fields(saved)
    prefer = "html" if fields.get("format") == "html" else "text"
    draft = mail.message(mailbox, uid, prefer=prefer, mark_read=False)
    files = mail.draft_files(mailbox, uid)
    key = key or draft_files.known_key(user, files) or new_key()
    with transaction.atomic():
        state, _ = DraftState.objects.select_for_update().get_or_create(
            owner=user, key=key, defaults={"uid": uid})
        draft_files.take(user, key, files)
    try:
        draft_files.bring_back(mail, user, key)
    except storage.StorageUnavailable:
        # The draft still holds them: a save takes them from there, and sending brings
        # them back again.
        log.warning("reopened a draft whose files storage cannot take back now")
    body = ""
    if draft.body is not None:
        body = part_text(draft.body_raw, draft.body.content_type, draft.body.charset,
                         keep_html=prefer == "html" and draft.body.content_type == "text/html")
    data = blank(user, draft=key, version=state.version, subject=draft.subject,
                 to=fields.get("to", compose.format_addresses(_addresses(draft.to))),
                 cc=fields.get("cc", compose.format_addresses(_addresses(draft.cc))),
                 bcc=fields.get("bcc", ""), in_reply_to=draft.in_reply_to,
                 references=draft.references,
                 answers=fields.get("answers", ""), forwards=fields.get("forwards", ""))
    if fields.get("identity") and identities.get_identity(user, fields["identity"]):
        data["identity"] = fields["identity"]
    if prefer == "html" and draft.body is not None and draft.body.content_type == "text/html":
        # Whatever wrote the draft, its HTML goes into the editor only sanitized; its
        # inline images point at the uploads they came from.
        images = {u.content_id: reverse("attachments:download", args=[u.id]) + "?inline=1"
                  for u in storage.uploads_for(user, key) if u.content_id}
        clean = sanitize_html(_body_fragment(body), allow_remote=False, cid_url=images.get)
        data.update(format="html", html=clean.html, body="")
    else:
        data["body"] = body
    return data


def _load_fields(text):
    try:
        fields = json.loads(text or "{}")
    except ValueError:
        return {}
    return {k: v for k, v in fields.items() if isinstance(v, (str, int))} if isinstance(
        fields, dict) else {}


def _body_fragment(html):
    found = re.search(r"<body[^>]*>(.*)</body>", html, re.S | re.I)
    return found.group(1) if found else html


def _chosen_identity(user, data):
    return (identities.get_identity(user, data.get("identity"))
            or identities.default_identity(user))


def _outgoing(user, data, *, draft):
    """The Outgoing message for form data, with every upload of the compose id; drafts keep
    addresses that do not parse yet.

    Files are read from storage when the message is built: before sending, call
    draft_files.bring_back(), which streams back the files only a saved draft holds. In a
    draft, a file the saved version holds is referenced there (OutgoingFile.place), not
    read, so saving every few seconds never copies it."""
    return _outgoing_of(user, data, storage.uploads_for(user, data["draft"]), draft)[0]


def _open_stored(upload):
    handle = None if upload.evicted else storage.open_upload(upload)
    if handle is None:
        raise storage.StorageUnavailable(f"upload {upload.pk} is not in storage")
    return handle


def _outgoing_of(user, data, uploads, draft):
    """(the Outgoing, the uploads of its files in order, those of its attached messages)."""
    identity = _chosen_identity(user, data)

    def parsed(field):
        text = data.get(field, "")
        if not draft:  # a group's name stands for its members when the message goes
            text = address_book.expand_groups(user, text)
        try:
            return compose.parse_addresses(text)
        except compose.AddressError:
            if draft:
                return ()
            raise

    files, messages, file_uploads, message_uploads = [], [], [], []
    for upload in uploads:
        if upload.content_type == "message/rfc822":
            with _open_stored(upload) as handle:
                messages.append(handle.read())
            message_uploads.append(upload)
        else:
            files.append(compose.OutgoingFile(
                name=upload.name, content_type=upload.content_type,
                open=lambda upload=upload: _open_stored(upload),
                content_id=upload.content_id or None,
                place=draft_files.place(upload) if draft and draft_files.by_reference(
                    upload) else None))
            file_uploads.append(upload)
    html = None
    if data.get("format") == "html":
        cids = {str(u.id): u.content_id for u in uploads if u.content_id}
        html = _INLINE_SRC.sub(lambda m: f"cid:{cids[m.group(1)]}" if m.group(1) in cids
                               else m.group(0), data.get("html", ""))
    extra = ()
    if draft:
        fields = {name: data.get(name, "") for name in
                  ("to", "cc", "bcc", "format", "answers", "forwards")}
        fields["identity"] = identity.id
        extra = (("X-Heron-Draft", data["draft"]), (FIELDS_HEADER, json.dumps(fields)))
    out = compose.Outgoing(
        sender=identity.from_address(), to=parsed("to"), cc=parsed("cc"), bcc=parsed("bcc"),
        reply_to=compose.parse_addresses(identity.reply_to) if identity.reply_to else (),
        subject=data.get("subject", ""), text=data.get("body", "") if html is None else "",
        html=html, files=tuple(files), attached_messages=tuple(messages),
        in_reply_to=data.get("in_reply_to") or None,
        references=tuple((data.get("references") or "").split()),
        message_id=make_msgid(domain=identity.email.rpartition("@")[2] or None),
        extra_headers=extra)
    return out, file_uploads, message_uploads


def save_draft(mail, user, data):
    """Save a version of the draft, its files in it, to IMAP Drafts; returns the new
    version number.

    data["version"] is the version this window last saw; raises DraftConflict when
    another window saved since, or when files only the saved version held are gone with
    it (another client removed it). Older versions are removed once the new one and where
    it holds each file are recorded."""
    key = data["draft"]
    with transaction.atomic():
        state, _ = DraftState.objects.select_for_update().get_or_create(owner=user, key=key)
        if state.version != int(data.get("version") or 0):
            raise DraftConflict()
        uploads = storage.uploads_for(user, key)
        try:
            saved = _append_version(mail, user, data, uploads)
        except MessageGone:
            # The saved version this window built on is gone. Files storage still has are
            # sent whole instead; one that only that version held went with it.
            if any(u.is_saved and not storage.has_bytes(u) for u in uploads):
                raise DraftConflict() from None
            for upload in uploads:
                storage.forget_saved(upload)
            saved = _append_version(mail, user, data, uploads)
        state.uid = saved.uid
        state.version += 1
        state.save()
    try:
        mail.drop_older_drafts(key, saved.uid)
    except MailError as exc:
        # The next save removes it (every version older than its own).
        log.warning("saved, but an older version stayed in Drafts: %s", type(exc).__name__)
    return state.version


def _append_version(mail, user, data, uploads):
    """Store a new version of the draft in Drafts and note where it holds each upload;
    returns the SavedDraft. A file the previous version holds goes by reference (the server
    copies it, where it can); the others are read from storage. Files only the draft held
    (evicted while the window stood idle) are streamed back into storage first, to be
    working copies again for sending."""
    draft_files.bring_back(mail, user, data["draft"], [
        u for u in uploads if u.evicted or not draft_files.by_reference(u)])
    out, files, messages = _outgoing_of(user, data, uploads, True)
    laid = spool.draft_pieces(out)
    saved = mail.append_draft(laid.pieces, data["draft"])
    for upload, placed in zip((*files, *messages), (*laid.files, *laid.messages)):
        storage.note_saved(upload, mailbox=saved.mailbox, uidvalidity=saved.uidvalidity,
                           uid=saved.uid, section=placed.section, encoding=placed.encoding)
    return saved


def send(mail, user, password, servers, data):
    """Send the composed message; then file it in Sent, drop the draft and its uploads,
    and flag the original \\Answered or $Forwarded. Returns the notice for the user.

    Raises identities.SenderRefused when the user may not send as the chosen identity
    (checked now: the domain's rules may have changed since the page was shown),
    compose.AddressError for bad addresses and smtp.SmtpError when the server did not take
    it; in each case the draft and its uploads are untouched."""
    identity = _chosen_identity(user, data)
    rules = identities.sending_rules(user)
    identities.check_sender(user, identity, rules)
    draft_files.bring_back(mail, user, data["draft"])
    out = _outgoing(user, data, draft=False)
    recipients = tuple(a.addr_spec for a in (*out.to, *out.cc, *out.bcc))
    if not recipients:
        raise compose.AddressError(gettext("Add at least one recipient."))
    # Written once, the uploads streamed into it, and sent from the file in chunks; the
    # copy filed in Sent (with Bcc, which the one sent lacks) is the one whole copy held.
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as file:
        written = spool.write_message(out, file)
        file.seek(0)
        smtp.send(servers.smtp, user.username, password,
                  smtp.Envelope(identity.email, recipients), file,
                  trusted_relay=rules.trusted_relay)
        filed = spool.filed_copy(written, file)
    notice = gettext("Message sent.")
    try:
        mail.file_sent(filed)
        mail.discard_draft(data["draft"])
        _mark_original(mail, data.get("answers"), "\\Answered")
        _mark_original(mail, data.get("forwards"), "$Forwarded")
    except MailError as exc:
        log.warning("sent, but filing it failed: %s", type(exc).__name__)
        notice = gettext("Message sent, but a copy could not be saved in Sent.")
    storage.delete_draft_uploads(user, data["draft"])
    DraftState.objects.filter(owner=user, key=data["draft"]).delete()
    contacts.remember(user, (*out.to, *out.cc, *out.bcc), weight=2)
    return notice


def discard(mail, user, key):
    """Throw a draft away: its IMAP versions, its uploads and its state."""
    mail.discard_draft(key)
    storage.delete_draft_uploads(user, key)
    DraftState.objects.filter(owner=user, key=key).delete()


def _mark_original(mail, pick, flag):
    found = pick_value(pick)
    if found:
        mail.set_flag(found[1], [found[0]], flag, True)
