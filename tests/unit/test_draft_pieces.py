"""A draft cut into pieces where its files go (mime/spool.py draft_pieces): a file a saved
version holds stands as its place, unread; each file's section is where a server finds it."""
import base64
import io
from email.headerregistry import Address

import pytest

from tests.fakes.messages import Stored
from webmail.mime import spool
from webmail.mime.compose import Outgoing, OutgoingFile

EVERY_BYTE = bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n pretend"
EML = b"Subject: Minutes\r\nFrom: a@x.test\r\n\r\nWe met.\r\n"


def file(name, data, content_type="application/octet-stream", **more):
    return OutgoingFile(name=name, content_type=content_type,
                        open=lambda: io.BytesIO(data), **more)


def never_opened():
    pytest.fail("a placed file was read")


def outgoing(files, html=None, messages=()):
    return Outgoing(sender=Address("Alice", "alice", "heron.test"), subject="Plans",
                    text="" if html else "See the files.", html=html, files=tuple(files),
                    attached_messages=tuple(messages), message_id="<m@heron.test>",
                    extra_headers=(("X-Heron-Draft", "0" * 32),))


def joined(laid, contents):
    """The message's bytes, each place replaced by the content a server keeps for it."""
    return b"".join(contents[p] if isinstance(p, str) else p for p in laid.pieces)


def test_without_places_the_pieces_are_the_whole_message_and_say_where_each_file_is():
    laid = spool.draft_pieces(outgoing(
        [file("all.bin", EVERY_BYTE), file("dot.png", PNG, "image/png", content_id="d@h")],
        html='<p>Look <img src="cid:d@h"></p>', messages=[EML]))

    assert all(isinstance(piece, bytes) for piece in laid.pieces)
    stored = Stored(1, b"".join(laid.pieces))
    sections = {part.section: part for part in stored.parts}
    binary, image = laid.files
    [message] = laid.messages
    assert (binary, image, message) == (spool.Placed("2", "base64"),
                                        spool.Placed("1.2.2", "base64"),
                                        spool.Placed("3", "7bit"))
    assert sections["2"].filename == "all.bin"
    assert base64.b64decode(stored.section("2")) == EVERY_BYTE
    assert sections["1.2.2"].content_id == "d@h" and sections["1.2.2"].related
    assert sections["3"].content_type == "message/rfc822"
    # (The fake server writes a part out again with its own line ends.)
    assert stored.section("3").replace(b"\r\n", b"\n") == EML.replace(b"\r\n", b"\n")


def test_a_placed_file_is_its_place_and_the_rest_is_unchanged():
    encoded = base64.encodebytes(EVERY_BYTE).replace(b"\n", b"\r\n")
    placed = OutgoingFile(name="all.bin", content_type="application/octet-stream",
                          open=never_opened, place="kept-at-7-section-2")
    laid = spool.draft_pieces(outgoing([file("new.txt", b"new\n", "text/plain"), placed]))

    assert [p for p in laid.pieces if isinstance(p, str)] == ["kept-at-7-section-2"]
    assert sum(len(p) for p in laid.pieces if isinstance(p, bytes)) < 2000
    stored = Stored(2, joined(laid, {"kept-at-7-section-2": encoded}))
    assert laid.files == (spool.Placed("2", "base64"), spool.Placed("3", "base64"))
    assert base64.b64decode(stored.section("3")) == EVERY_BYTE
    assert base64.b64decode(stored.section("2")) == b"new\n"
    assert stored.header("X-Heron-Draft") == "0" * 32


def test_a_draft_without_files_is_one_piece():
    laid = spool.draft_pieces(outgoing([]))
    assert len(laid.pieces) == 1 and laid.files == () and laid.messages == ()
    assert b"See the files." in laid.pieces[0]
