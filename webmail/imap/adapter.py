"""The one place Heron uses imapclient's and imaplib's private names.

imapclient covers most of what Heron asks of a server through its public API. Where it
has none, Heron reaches below it, and only here, so that a minor release of either
library can break only this module (and its tests say so at once). Each function names
the public API that is missing.
"""
import logging
from dataclasses import dataclass

from imapclient import exceptions
from imapclient.imapclient import _literal

from . import parse


def literal(data: bytes) -> bytes:
    """data marked to go as an IMAP literal in a command imapclient builds.

    Missing: imapclient sends a search string bare when it has no space, quote or
    backslash ("{5}" would announce a literal), and offers no way to ask for a literal."""
    return _literal(data)


def quiet(client):
    """Stop imaplib from formatting a debug line for every response, unless they are logged.

    Missing: imapclient sets imaplib's debug level to 5 and hands its messages to the
    logger "imapclient.imaplib", offering no switch. imaplib then writes repr() of every
    untagged response before it calls that logger, whatever the logger's level: for a
    1 MiB literal of an attachment, 2.6 ms on pyenv's Python 3.11.7 and 5 ms on Debian's
    3.11.2, twice per chunk. A 100 MiB download spent more time there than anywhere else.
    Left as imapclient made it while that logger logs DEBUG."""
    if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
        client._imap.debug = 0


def uid_fetch(client, words):
    """The untagged FETCH lines of `UID <words>` (words: FETCH, the set, the items and
    any modifiers such as CHANGEDSINCE), as imaplib keeps them.

    Missing: imapclient's fetch() parses the answer itself and drops the lines about
    messages it did not ask for, which Heron must see (another client's changes)."""
    imap = client._imap
    typ, lines = imap._command_complete("FETCH", imap._command("UID", *words))
    if typ != "OK":
        raise exceptions.IMAPClientError(f"FETCH failed: {parse.to_text(lines[0])}")
    _typ, lines = imap._untagged_response(typ, lines, "FETCH")
    return lines


def append_buffer(client, mailbox, buffer, flags):
    """APPEND buffer (a message with CRLF line ends) to mailbox, sent from the buffer
    itself; the tagged answer's text.

    Missing: imaplib's append() copies the message through a regular expression to make
    its line ends CRLF (147 MB more at the peak for a 34 MB message); the literal it then
    sends is the attribute set here."""
    imap = client._imap
    imap.literal = memoryview(buffer)
    flag_list = "(" + " ".join(parse.to_text(flag) for flag in flags) + ")"
    typ, lines = imap._command_complete("APPEND", imap._command(
        "APPEND", client._normalise_folder(mailbox), flag_list))
    if typ != "OK":
        raise exceptions.IMAPClientError(
            f"APPEND failed: {parse.to_text(lines[0] if lines else b'')}")
    return lines[0] if lines else b""


@dataclass(frozen=True)
class Catenate:
    """The arguments of APPEND CATENATE (RFC 4469): a message made on the server of pieces,
    each bytes (a TEXT literal, data like APPEND's message) or an IMAP URL (str) of a part
    of a message the server keeps already."""

    mailbox: str
    flags: tuple[str, ...]
    pieces: tuple[bytes | memoryview | str, ...]

    def words(self):
        """What goes on the wire as command words, not as literals (for the wall)."""
        return [self.mailbox, *self.flags, *(p for p in self.pieces if isinstance(p, str))]


class FolderName(str):
    """A folder name among raw_untagged's arguments: sent encoded and quoted as imapclient
    sends folder names."""


def raw_untagged(client, command, args, response_name, uid=True):
    """The untagged `response_name` lines of a command imapclient has no method for
    (LIST … RETURN (STATUS …), ESEARCH, STORE with an answer, MYRIGHTS). args may be a
    Catenate (command APPEND): see append_catenate().

    Missing: a public way to send an arbitrary command and read its untagged answer."""
    if isinstance(args, Catenate):
        return append_catenate(client, args)
    args = [client._normalise_folder(str(arg)) if isinstance(arg, FolderName) else arg
            for arg in args]
    return client._raw_command_untagged(command, args, response_name=response_name, uid=uid)


def append_catenate(client, catenate):
    """APPEND CATENATE with each TEXT as a LITERAL+ literal, sent from its buffer; the
    tagged answer's text. The caller makes sure the server has CATENATE and LITERAL+.

    Missing: imaplib sends at most one literal a command, and imapclient's _raw_command(),
    which sends several, puts a space between a literal and what follows, so it cannot
    close CATENATE's parenthesised list after a literal."""
    imap = client._imap
    flag_list = "(" + " ".join(catenate.flags) + ")"
    tag = imap._new_tag()
    imap.send(b" ".join([tag, b"APPEND", client._normalise_folder(catenate.mailbox),
                         flag_list.encode("ascii"), b"CATENATE ("]))
    for index, piece in enumerate(catenate.pieces):
        if index:
            imap.send(b" ")
        if isinstance(piece, str):
            imap.send(b'URL "' + piece.encode("ascii") + b'"')
        else:
            imap.send(b"TEXT {%d+}\r\n" % len(piece))
            imap.send(piece)
    imap.send(b")\r\n")
    typ, lines = imap._command_complete("APPEND", tag)
    if typ != "OK":
        raise exceptions.IMAPClientError(
            f"APPEND failed: {parse.to_text(lines[0] if lines else b'')}")
    return lines[0] if lines else b""


def folder_list(client, lines):
    """LIST answer lines as list_folders() returns them: (flags, delimiter, name).

    Missing: imapclient parses LIST answers only inside list_folders()."""
    return client._proc_folder_list(lines)


def responses(client, name):
    """Every untagged NAME response (or response code) imaplib kept, then forgotten.

    response() is public on imaplib's connection, but imapclient keeps that connection in
    a private attribute (missing: imapclient returns no response codes from COPY, MOVE or
    APPEND, so UIDPLUS's COPYUID and APPENDUID are read here)."""
    _code, values = client._imap.response(name)
    return [value for value in values or () if value is not None]
