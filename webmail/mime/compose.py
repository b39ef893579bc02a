"""Outgoing mail: recipients typed by the user, replies and forwards, and the message itself.

Pure functions over the standard library's `email` package; nothing here talks to a server.
Every header value goes in as text with its control characters replaced, and the finished
message is checked so that no value can open a header of its own.
"""
import html
import io
import re
import secrets
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from email import errors, message_from_bytes, policy
from email.generator import BytesGenerator
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, make_msgid
from typing import BinaryIO, Callable, cast
from urllib.parse import quote

from django.utils.translation import gettext

from .headers import bounded_message
from .plaintext import html_to_text
from .sanitize import sanitize_html

MAX_ADDRESSES = 500
MAX_ADDRESS_CHARS = 320
MAX_REFERENCES = 20
MAX_MSG_ID = 252  # characters of a Message-ID Heron writes (one line holds it, folded)

# Everything str.splitlines() breaks at, which the email package refuses in a header (or,
# for NUL and the other C0 controls, writes through), plus DEL.
_CONTROLS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


class _MessageIds(UnstructuredHeader):
    """Message-ID, In-Reply-To and References as RFC 5322 writes them: msg-ids folded
    between ids, never inside one and never as encoded words. The email package folds an
    unstructured field that does not fit in 78 characters by encoding it (RFC 2047), and
    no mail program reads an id back from that: a reply to a message with a long id (a
    Gmail one, often) would no longer thread, anywhere. The values are msg-ids checked by
    message_id_or_none()."""

    name: str  # BaseHeader's, which the registry mixes in

    @classmethod
    def parse(cls, value, kwds):
        # The ids exactly as given: an unstructured field would decode encoded words, even
        # inside an id ("<a=?utf-8?b?w6k=?=@x>", which is a valid id), and write non-ASCII.
        kwds["decoded"] = value
        kwds["parse_tree"] = None  # fold() below is all that would read it

    def fold(self, *, policy):
        limit = policy.max_line_length or 998  # (a policy may set no limit)
        lines, line = [], f"{self.name}:"
        for each in str(self).split():
            if len(line) + 1 + len(each) > limit and line != f"{self.name}:":
                lines.append(line)
                line = ""
            line += f" {each}"
        return policy.linesep.join([*lines, line]) + policy.linesep


# Parts this module writes use quoted-printable or base64 for non-ASCII, so any relay takes
# them; the wire policy keeps a forwarded message's own header lines as they came (its
# DKIM signature still verifies) while this module's headers are folded as usual.
_IDS = HeaderRegistry()
for _name in ("message-id", "in-reply-to", "references"):
    # (the registry mixes BaseHeader in, which the stubs cannot see)
    _IDS.map_to_type(_name, cast(type[BaseHeader], _MessageIds))
_BUILD_POLICY = policy.SMTP.clone(cte_type="7bit", header_factory=_IDS)
_WIRE_POLICY = policy.SMTP.clone(refold_source="none")


# Addresses ------------------------------------------------------------------------------

class AddressError(ValueError):
    """An address the user typed that cannot be sent to; the message names the entry."""


# One entry of a To field: quoted strings, <…> and (…) may hold "," or ";".
_ENTRY = re.compile(r'(?:"(?:[^"\\]|\\.)*+"?|<[^>]*+>?|\([^)]*+\)?|[^,;"<(]++)++')
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_HOSTNAME = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
                       r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?")


def split_entries(text: str):
    """Yield the non-empty entries of a recipient field as typed (stripped), split at
    commas, semicolons and line breaks outside quotes, angle brackets and comments."""
    for line in (text or "").splitlines():
        for match in _ENTRY.finditer(line):
            entry = match.group().strip()
            if entry:
                yield entry


def parse_addresses(text: str) -> tuple[Address, ...]:
    """The addresses of a To, Cc or Bcc field as the user typed it.

    Entries are separated by commas, semicolons or line breaks (a textarea sends CRLF), and
    may be `bob@x.org`, `Bob Smith <bob@x.org>` or `"Smith, Bob" <bob@x.org>`. Display names
    may be in any script, domains may be internationalized (kept as typed). An address
    appearing twice (compared without case) is kept once, with its first display name.
    Empty or blank text gives ().

    Raises AddressError naming the first bad entry: no "@", an empty local part or domain,
    spaces, a quoted or non-ASCII local part, an invalid domain, a control character (NUL,
    or a line break smuggled in an encoded display name), an entry over MAX_ADDRESS_CHARS,
    a group ("Bcc: eve@evil.org"), or more than MAX_ADDRESSES entries.
    """
    entries = []
    for entry in split_entries(text):
        entries.append(entry)
        if len(entries) > MAX_ADDRESSES:
            raise AddressError(gettext("At most %(count)s addresses can be given")
                               % {"count": MAX_ADDRESSES})
    seen, addresses = set(), []
    for entry in entries:
        address = _parse_entry(entry)
        key = address_key(address.username, address.domain)
        if key not in seen:
            seen.add(key)
            addresses.append(address)
    return tuple(addresses)


def format_addresses(addresses) -> str:
    """Addresses written back for a form field, so that parse_addresses() reads them again."""
    return ", ".join(str(address) for address in addresses)


def _parse_entry(entry):
    shown = _CONTROLS.sub("\ufffd", entry if len(entry) <= 60 else entry[:60] + "…")
    invalid = AddressError(gettext('"%(address)s" is not a valid e-mail address')
                           % {"address": shown})
    if len(entry) > MAX_ADDRESS_CHARS:
        raise AddressError(gettext('"%(address)s" is too long for an e-mail address')
                           % {"address": shown})
    if _CONTROLS.search(entry):
        raise invalid
    try:
        header = policy.default.header_factory("to", entry)
        groups, found = header.groups, header.addresses
    # The parser fails this way on some broken input ("bob@", deeply nested comments).
    except (errors.HeaderParseError, IndexError, ValueError, RecursionError):
        raise invalid from None
    if any(isinstance(d, errors.NonASCIILocalPartDefect) for d in header.defects):
        raise AddressError(gettext('"%(address)s": addresses with non-ASCII characters before '
                                   "the @ cannot be sent") % {"address": shown})
    if header.defects or len(found) != 1 or groups[0].display_name is not None:
        raise invalid
    address = found[0]
    if (_CONTROLS.search(address.display_name) or _ascii_domain(address.domain) is None
            or not _DOT_ATOM.fullmatch(address.username)):
        raise invalid
    return Address(address.display_name, address.username, address.domain)


def _ascii_domain(domain):
    """The domain as DNS knows it (IDNA), or None when it is not a host name."""
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return ascii_domain if _HOSTNAME.fullmatch(ascii_domain) else None


def address_key(username, domain):
    """An address compared without case, its domain in ASCII (IDNA)."""
    return f"{username}@{_ascii_domain(domain) or domain}".lower()


def own_key(address):
    """address_key() of an address given as text."""
    username, _, domain = address.rpartition("@")
    return address_key(username, domain)


_MSG_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")


def message_id_or_none(value):
    """A Message-ID in its <left@right> form, or None when it is not one."""
    value = (value or "").strip()
    if value and not value.startswith("<"):
        value = f"<{value}>"
    return value if len(value) <= MAX_MSG_ID and _MSG_ID.fullmatch(value) else None


# The message ----------------------------------------------------------------------------

@dataclass(frozen=True)
class OutgoingFile:
    name: str
    content_type: str             # "application/pdf"; anything malformed → application/octet-stream
    open: Callable[[], BinaryIO]  # opened at build time, read, closed
    content_id: str | None = None  # set for inline images referenced by cid: in the HTML
    # Where the same content is kept base64-encoded already (a part of a saved draft);
    # spool.draft_pieces() puts it in the content's stead and never opens the file.
    place: object = None


@dataclass(frozen=True)
class Outgoing:
    sender: Address
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    subject: str = ""
    text: str = ""
    html: str | None = None       # the user's HTML from the editor, not yet sanitized
    files: tuple[OutgoingFile, ...] = ()
    attached_messages: tuple[bytes, ...] = ()  # whole .eml bytes, attached as message/rfc822
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    message_id: str | None = None  # generated when None
    date: datetime | None = None   # now (aware) when None
    extra_headers: tuple[tuple[str, str], ...] = ()  # ("X-Heron-Draft", "<uuid>") for drafts


# Headers build_message() writes itself; an extra header may not add a second one.
_OWN_HEADERS = {"from", "sender", "to", "cc", "bcc", "reply-to", "subject", "date",
                "message-id", "in-reply-to", "references", "mime-version", "content-type",
                "content-transfer-encoding", "content-disposition", "content-id"}
_FIELD_NAME = re.compile(r"[!-9;-~]+")
_MIME_TYPE = re.compile(r"([a-z0-9][a-z0-9!#$&^_.+-]{0,126})/([a-z0-9][a-z0-9!#$&^_.+-]{0,126})")
_CONTENT_ID = re.compile(r"[!-;=?-~]+")


def build_message(out: Outgoing, *, include_bcc: bool = False,
                  msgid_domain: str | None = None) -> EmailMessage:
    """The message `out` describes, ready for message_bytes().

    Structure: text/plain (utf-8) alone; with `html`, multipart/alternative of the text
    (html_to_text() of the sanitized HTML when `text` is empty) and the sanitized HTML as a
    whole document; files with a content_id, when there is HTML, in multipart/related with
    it; other files and attached messages (message/rfc822) in multipart/mixed. Bcc is
    written only with include_bcc (drafts keep it, sent mail does not). Message-ID is
    `message_id` or a new one on msgid_domain or the sender's domain; Date is `date` (a
    naive one taken as server time) or now.

    Control characters and line breaks in the subject, display names, extra header values
    and file names become spaces, and RFC 2047 encoded words in them are decoded first, as
    the email package would, so that none can carry a line break into a header. Raises
    ValueError for an invalid extra header name or one this function writes itself, an
    invalid message or content id, and AddressError for an address that cannot be sent to.
    """
    return _build(out, include_bcc, msgid_domain, _read)


def _build(out, include_bcc, msgid_domain, read):
    msg = EmailMessage(policy=_BUILD_POLICY)
    date = out.date or datetime.now().astimezone()
    msg["Date"] = format_datetime(date if date.tzinfo else date.astimezone())
    msg["From"] = _wire_address(out.sender)
    for name, addresses in (("To", out.to), ("Cc", out.cc),
                            ("Bcc", out.bcc if include_bcc else ()), ("Reply-To", out.reply_to)):
        if addresses:
            msg[name] = [_wire_address(address) for address in addresses]
    msg["Subject"] = _header_text(out.subject)
    msg["Message-ID"] = _new_message_id(out, msgid_domain)
    in_reply_to, references = message_id_or_none(out.in_reply_to), [
        i for i in map(message_id_or_none, out.references) if i]
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in out.extra_headers:
        if not _FIELD_NAME.fullmatch(name or "") or name.lower() in _OWN_HEADERS:
            raise ValueError(f"{name!r} cannot be set as an extra header")
        msg[name] = _header_text(value)
    _add_body(msg, out, read)
    _check_single_lines(msg)
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as sent over SMTP or appended over IMAP: CRLF line ends, headers folded."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=_WIRE_POLICY).flatten(msg)
    return buffer.getvalue()


def _add_body(msg, out, read):
    inline = [f for f in out.files if f.content_id] if out.html is not None else []
    if out.html is None:
        msg.set_content(out.text or "", charset="utf-8")
    else:
        body = _sanitized(out.html, [_bare_content_id(f.content_id) for f in inline])
        msg.set_content(out.text or html_to_text(body), charset="utf-8")
        msg.add_alternative('<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
                            f"<body>{body}</body></html>", subtype="html", charset="utf-8")
        html_part = msg.get_payload()[1]
        for file in inline:
            maintype, subtype = _mime_type(file.content_type)
            html_part.add_related(read(file), maintype, subtype, disposition="inline",
                                  filename=_file_name(file.name),
                                  cid=f"<{_bare_content_id(file.content_id)}>")
    for file in out.files:
        if file not in inline:
            maintype, subtype = _mime_type(file.content_type)
            msg.add_attachment(read(file), maintype, subtype, filename=_file_name(file.name))
    for raw in out.attached_messages:
        if msg.get_content_type() != "multipart/mixed":
            msg.make_mixed()
        msg.attach(_attached_message(raw))


def _attached_message(raw):
    """A message/rfc822 part holding raw.

    ASCII mail (nearly all: 8-bit text travels encoded) goes in as it is, not parsed, so a
    hostile message (a thousand levels deep, ten thousand parts) costs what copying it
    costs; its line ends are made CRLF like the rest. message/rfc822 may not be
    base64-encoded (RFC 2046 §5.2.1), so 8-bit mail is parsed and declared 8bit; one the
    email package cannot rebuild goes as an .eml file instead."""
    if raw.isascii():
        part = MIMEPart(policy=policy.default)
        part["Content-Type"] = "message/rfc822"
        part["Content-Disposition"] = "attachment"
        body = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        # The generator writes a message/rfc822 payload given as text as it is.
        part.set_payload(body.decode("ascii") if body.endswith(b"\r\n") else
                         body.decode("ascii") + "\r\n")
        return part
    part = MIMEPart(policy=policy.default)
    try:
        inner = message_from_bytes(bounded_message(raw), policy=policy.default)
        message_bytes(inner)  # what the generator must manage when sending
        part.set_content(inner, cte="8bit", disposition="attachment")
    except (RecursionError, errors.MessageError, ValueError):
        part.set_content(raw, "application", "octet-stream", filename="forwarded.eml")
    return part


def _sanitized(markup, content_ids):
    """The user's HTML through the project's sanitizer, cid: images of `content_ids` kept.

    The sanitizer resolves cid: sources through cid_url but then accepts only a path on
    this site or http(s), not "cid:" itself. Its images therefore get a path under a
    random prefix, which is turned back into the cid: URL in the sanitized output; the
    prefix cannot occur in the user's HTML, and only known content ids are written."""
    prefix = f"/heron-inline-{secrets.token_hex(8)}/"
    known = {cid: str(number) for number, cid in enumerate(content_ids)}
    clean = sanitize_html(markup, allow_remote=True,
                          cid_url=lambda cid: prefix + known[cid] if cid in known else None)
    body = clean.html
    for cid, number in known.items():
        body = body.replace(f'src="{prefix}{number}"',
                            f'src="{html.escape("cid:" + quote(cid, safe="@.-_~!$&+,;=:"))}"')
    return body


def _read(file):
    with closing(file.open()) as stream:
        return stream.read()


def _mime_type(content_type):
    # Composite types cannot be written from bytes: a multipart needs its boundary, and a
    # message may not be base64-encoded.
    found = _MIME_TYPE.fullmatch((content_type or "").split(";")[0].strip().lower())
    if found is None or found.group(1) in ("multipart", "message"):
        return "application", "octet-stream"
    return found.group(1), found.group(2)


def _file_name(name):
    # The email package decodes encoded words in parameters as well.
    return _header_text(name).strip() or "attachment"


def _bare_content_id(content_id):
    bare = content_id.strip().removeprefix("<").removesuffix(">")
    if not _CONTENT_ID.fullmatch(bare):
        raise ValueError(f"{content_id!r} is not a valid content id")
    return bare


def _new_message_id(out, msgid_domain):
    if out.message_id is not None:
        given = message_id_or_none(out.message_id)
        if given is None:
            raise ValueError(f"{out.message_id!r} is not a valid message id")
        return given
    # make_msgid() without a domain asks the resolver for this host's name.
    domain = _ascii_domain(msgid_domain or out.sender.domain) or "heron.invalid"
    return make_msgid(domain=domain)


def _wire_address(address):
    """The address as a header can carry it: an IDNA domain (the email package would write
    a non-ASCII domain as an encoded word, which no server reads) and a clean name."""
    domain = _ascii_domain(address.domain)
    if domain is None or not _DOT_ATOM.fullmatch(address.username):
        raise AddressError(gettext('"%(address)s" is not a valid e-mail address')
                           % {"address": address.addr_spec})
    return Address(_header_text(address.display_name), address.username, domain)


def _header_text(value):
    """Header text with control characters as spaces, decoded until stable.

    The email package decodes RFC 2047 encoded words in the values it is given and writes
    what they decode to: "=?utf-8?q?a=0D=0ABcc:_eve@evil.org?=" would become a line break
    and a Bcc header. Each round decodes one layer (a smaller text) and replaces controls."""
    text = _CONTROLS.sub(" ", value or "")
    while "=?" in text:
        decoded = _CONTROLS.sub(" ", str(policy.default.header_factory("subject", text)))
        if decoded == text or len(decoded) >= len(text):
            break
        text = decoded
    return text


def _check_single_lines(msg):
    """Raises ValueError when a header of a part written here would not stay one header.

    The rules above should make this impossible; the check stands in case a parser path
    of the email package decodes differently. Attached messages are left as they came."""
    parts = [msg]
    while parts:
        part = parts.pop()
        for name, value in part.items():
            folded = re.sub(r"\r\n(?=[ \t])", "", _WIRE_POLICY.fold(name, value))[:-2]
            if "\r" in folded or "\n" in folded or "\0" in folded:
                raise ValueError(f"the {name} header would break the message")
        if part.get_content_maintype() == "multipart":
            parts.extend(part.iter_parts())
