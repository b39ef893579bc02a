"""Writing an outgoing message into a file, the uploads streamed into it, so that sending
holds about one copy of the message in memory (compose.py builds the message itself); and
cutting a draft into pieces where its files go, so that a file already kept in a saved
draft need not be read or sent again.
"""
import base64
import io
import re
import secrets
from contextlib import closing
from dataclasses import dataclass
from email import policy
from typing import BinaryIO, Protocol

from .compose import Outgoing, _build, message_bytes


@dataclass(frozen=True)
class Written:
    """Where write_message() put the message, and what the copy kept in Sent needs."""

    header_size: int     # the header block at the file's start, blank line included
    filed_headers: bytes  # the same block with Bcc, for the copy filed in Sent


# Files are base64-encoded straight into the message, this many bytes at a time: a whole
# number of 57-byte input lines, so that each block gives whole 76-character lines.
_BASE64_BLOCK = 57 * 16384


def write_message(out: Outgoing, target: BinaryIO, *,
                  msgid_domain: str | None = None) -> Written:
    """Write the message `out` describes into the binary file `target`, without Bcc.

    The bytes are those message_bytes(build_message(out)) gives, but no file is ever whole
    in memory: the message is built with a one-line stand-in for each file's content, then
    written with each stand-in replaced by the file's base64, read from its open() in
    blocks. Attached messages are held in memory as before. filed_copy() gives the copy
    that keeps Bcc, as message_bytes(build_message(out, include_bcc=True)) would. Raises
    what build_message() raises."""
    stand_in, stand_ins = _stand_ins()
    msg = _build(out, True, msgid_domain, stand_in)
    with_bcc = message_bytes(msg)
    del msg["Bcc"]
    sent = message_bytes(msg)
    filed_end, sent_end = with_bcc.index(b"\r\n\r\n") + 4, sent.index(b"\r\n\r\n") + 4
    target.write(sent[:sent_end])
    body, at = memoryview(sent)[sent_end:], 0
    if stand_ins:
        for found in _lines_of(stand_ins).finditer(sent, sent_end):
            target.write(body[at:found.start() - sent_end])
            _write_base64(stand_ins[found.group(1)], target)
            at = found.end() - sent_end
    target.write(body[at:])
    return Written(header_size=sent_end, filed_headers=with_bcc[:filed_end])


@dataclass(frozen=True)
class Placed:
    """Where a file or attached message is in a message draft_pieces() cut."""

    section: str   # its IMAP section number, "2" or "1.2.2"
    encoding: str  # its Content-Transfer-Encoding as written: "base64", "7bit", "8bit"


@dataclass(frozen=True)
class DraftPieces:
    """A message cut where its files' contents go."""

    pieces: tuple  # bytes, and each placed file's `place` in its content's stead
    files: tuple[Placed, ...]     # one for each of the Outgoing's files, in order
    messages: tuple[Placed, ...]  # one for each of its attached messages, in order


def draft_pieces(out: Outgoing, *, msgid_domain: str | None = None) -> DraftPieces:
    """The message `out` describes, with Bcc, as pieces that joined give the bytes of
    message_bytes(build_message(out, include_bcc=True)): bytes, except that the content of
    a file with a `place` (its base64 lines, CRLF after each, as a server keeps a part's
    body) is that place, unread. Other files are read from their open() and encoded.

    Also where each file and attached message is in the message (IMAP section numbers
    follow the MIME tree), so that the next version can refer to them in turn. Raises what
    build_message() raises."""
    stand_in, stand_ins = _stand_ins()
    msg = _build(out, True, msgid_domain, stand_in)
    placed = {}
    for part, section in _leaves(msg):
        token = str(part.get_payload()).strip().encode("ascii", "replace")
        encoding = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
        placed[id(stand_ins.get(token, part))] = Placed(section, encoding)
    attached = list(msg.iter_parts())[-len(out.attached_messages):] if (
        out.attached_messages) else []
    raw = message_bytes(msg)
    pieces: list = []
    at = 0
    if stand_ins:
        for found in _lines_of(stand_ins).finditer(raw):
            pieces.append(raw[at:found.start()])
            file = stand_ins[found.group(1)]
            if file.place is not None:
                pieces.append(file.place)
            else:
                encoded = io.BytesIO()
                _write_base64(file, encoded)
                pieces.append(encoded.getvalue())
            at = found.end()
    pieces.append(raw[at:])
    # The attached messages were added last, to the top-level multipart/mixed.
    return DraftPieces(tuple(pieces), tuple(placed[id(file)] for file in out.files),
                       tuple(placed[id(part)] for part in attached))


def _stand_ins():
    """(a `read` for _build() that gives each file a stand-in for its content, {the
    stand-in's base64 line: the file}); a stand-in is 57 random bytes: one 76-character
    base64 line that nothing else in the message can contain."""
    stand_ins = {}

    def stand_in(file):
        token = secrets.token_bytes(57)
        stand_ins[base64.b64encode(token)] = file
        return token

    return stand_in, stand_ins


def _lines_of(stand_ins):
    """The stand-ins' lines, with their CRLF, as they are in the built message."""
    return re.compile(b"(" + b"|".join(map(re.escape, stand_ins)) + b")\r\n")


def _leaves(msg):
    """(part, IMAP section number) of each leaf of a message, as BODYSTRUCTURE numbers
    them: an attached message is one leaf."""
    stack = [(msg, "")]
    while stack:
        node, section = stack.pop()
        if node.get_content_maintype() == "multipart":
            stack.extend((child, f"{section}.{index}" if section else str(index))
                         for index, child in enumerate(node.iter_parts(), start=1))
        else:
            yield node, section or "1"


class _Readable(Protocol):
    """A binary file that can be read into a buffer (a spooled temporary file)."""

    def seek(self, offset: int, whence: int = ..., /) -> int: ...

    def tell(self) -> int: ...

    def readinto(self, buffer: memoryview, /) -> int | None: ...


def filed_copy(written: Written, source: _Readable) -> bytearray:
    """The message with Bcc, from a file write_message() wrote (its position is moved): one
    buffer, read into at its final size."""
    source.seek(0, io.SEEK_END)
    body_size = source.tell() - written.header_size
    copy = bytearray(len(written.filed_headers) + body_size)
    copy[:len(written.filed_headers)] = written.filed_headers
    source.seek(written.header_size)
    view = memoryview(copy)[len(written.filed_headers):]
    while view:
        count = source.readinto(view)
        if not count:
            raise OSError("the spooled message ended early")
        view = view[count:]
    return copy


def _write_base64(file, target):
    with closing(file.open()) as stream:
        pending = b""
        while True:
            data = stream.read(_BASE64_BLOCK - len(pending))
            if data:
                pending += data
            if pending and (not data or len(pending) == _BASE64_BLOCK):
                target.write(base64.encodebytes(pending).replace(b"\n", b"\r\n"))
                pending = b""
            if not data:
                return


def body_offset(head: bytes) -> int:
    """Where the body starts in a message written by write_message(): after the first empty
    line. `head` is the message's start (its header block at least). Raises ValueError when
    there is no empty line in it."""
    return head.index(b"\r\n\r\n") + 4


def draft_headers(filed_headers: bytes, extra: tuple[tuple[str, str], ...]) -> bytes:
    """A filed copy's header block with `extra` header fields added before its end, folded
    as the message's own were: the header block of the same message saved as a draft.
    Raises ValueError for a field whose name or value holds a line break."""
    if not filed_headers.endswith(b"\r\n\r\n"):
        raise ValueError("not a whole header block")
    lines = b""
    for name, value in extra:
        if any(ch in name + value for ch in "\r\n\0") or not name.isascii():
            raise ValueError("a header field may not hold a line break")
        lines += policy.SMTPUTF8.fold(name, value).encode("utf-8")
    return filed_headers[:-2] + lines + b"\r\n"
