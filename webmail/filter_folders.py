"""Folder names in Sieve scripts, as the server wants them written.

RFC 5228 has fileinto name folders in UTF-8, and Dovecot does. Cyrus, unless its
imapd.conf says `sieve_utf8fileinto: yes`, reads them in IMAP's modified UTF-7 (RFC 3501,
5.1.3) and files mail for a UTF-8 name into INBOX. A domain says which its server wants
(Domain.sieve_folder_encoding, MANAGESIEVE_FOLDER_ENCODING); Heron shows and takes
folder names as the IMAP layer gives them (Unicode) and writes them in that encoding.
"""
import base64
import re
from dataclasses import replace

from .sieve.rules import Rule

UTF8, UTF7 = "utf-8", "utf-7"
FOLDER_ACTIONS = ("move", "copy")
_SHIFTED = re.compile(r"&([A-Za-z0-9+,]*)-")


def encode_utf7(name):
    """name in modified UTF-7: printable ASCII as itself ("&" as "&-"), other runs as
    "&" + base64 of their UTF-16 (with "," for "/", no padding) + "-"."""
    out, run = [], []

    def flush():
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=")
                       .replace("/", ",") + "-")
            run.clear()
    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    return "".join(out)


def decode_utf7(name):
    """The Unicode name of a modified UTF-7 one; a malformed run is left as it is."""
    def shifted(match):
        if not match.group(1):
            return "&"
        data = match.group(1).replace(",", "/")
        try:
            return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            return match.group(0)
    return _SHIFTED.sub(shifted, name)


def recode(items, convert):
    """items with each rule's move and copy folder passed through convert."""
    return tuple(
        replace(item, actions=tuple(
            replace(action, value=convert(action.value)) if action.kind in FOLDER_ACTIONS
            else action for action in item.actions)) if isinstance(item, Rule) else item
        for item in items)


def for_server(encoding):
    """(to show, to write): the functions between a script's folder names and Unicode."""
    if encoding == UTF7:
        return decode_utf7, encode_utf7
    return str, str
