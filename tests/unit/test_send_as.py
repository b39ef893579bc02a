"""Sending: only as an address the user may use, only with a login, only safe envelope
addresses, and the message streamed. SMTP is a fake server on loopback that records every
byte it receives; IMAP is a small recorder of what writing.send files."""
import dataclasses
import inspect
import io
import os
import random
import re
import smtplib
import socketserver
import threading
from base64 import b64decode
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.headerregistry import Address

import pytest

from accounts import identities
from accounts.domains import MailServers
from accounts.models import Domain, Identity
from tests.helpers import FakeMailServer, make_summaries
from webmail import smtp, writing
from webmail.imap.session import MailSession
from webmail.imap.types import Address as ImapAddress
from webmail.imap.types import ServerConfig
from webmail.mime import compose, spool

ALICE = "alice@heron.test"


class RecordingSmtp(socketserver.ThreadingTCPServer):
    """A fake submission server on loopback: AUTH PLAIN when offers_auth, accepts every
    recipient, and keeps every line it was sent (commands) and every message (messages,
    with the dot-stuffing undone)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, offers_auth=True):
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.offers_auth = offers_auth
        self.connections, self.commands, self.messages = 0, [], []
        self.received = bytearray()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def config(self):
        return ServerConfig("127.0.0.1", self.server_address[1], "none")


class _SmtpSession(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        server = self.server
        server.connections += 1
        self.reply("220 fake ESMTP")
        envelope = {}
        while line := self.rfile.readline():
            server.received += line
            server.commands.append(line)
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-fake\r\n" + ("250-AUTH PLAIN\r\n" if server.offers_auth else "")
                           + "250 8BITMIME")
            elif verb == b"AUTH":
                self.reply("235 2.7.0 ok")
            elif verb == b"MAIL":
                envelope = {"from": line, "rcpt": []}
                self.reply("250 ok")
            elif verb == b"RCPT":
                envelope["rcpt"].append(line)
                self.reply("250 ok")
            elif verb == b"DATA":
                self.reply("354 go on")
                lines = []
                while (data := self.rfile.readline()) != b".\r\n":
                    if not data:
                        return  # the client hung up in the middle: no message
                    server.received += data
                    lines.append(data[1:] if data.startswith(b".") else data)
                server.messages.append({**envelope, "data": b"".join(lines)})
                self.reply("250 queued")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def smtp_server():
    servers = []

    def start(offers_auth=True):
        servers.append(RecordingSmtp(offers_auth))
        return servers[-1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# The SMTP wall


@pytest.mark.parametrize("sender, recipient", [
    ("alice@heron.test\r\nRCPT TO:<eve@evil.test>", "bob@heron.test"),
    ("alice@heron.test", "bob@heron.test\r\nDATA"),
    ("alice@heron.test\nRSET", "bob@heron.test"),
    ("alice@heron.test\rRSET", "bob@heron.test"),
    ("alice@heron.test", "bob@heron.test\x00"),
    ("alice@heron.test", "bob@heron.test\x1b"),
    ("alice@heron.test", "bob@heron.test\x7f"),
    ("alice@heron.test", "bob@heron.test\x85x"),
    ("alice@heron.test", "bob@heron.test\u2028RCPT TO:<eve@evil.test>"),
    ("alice@heron.test", "bob @heron.test"),
    ("alice@heron.test", "bob@heron.test\tx"),
    ("alice@heron.test> SIZE=1", "bob@heron.test"),
    ("alice@heron.test", "<bob@heron.test>"),
    ("", "bob@heron.test"),
    ("alice@heron.test", "bob"),
])
def test_an_unsafe_envelope_address_never_reaches_the_server(smtp_server, sender, recipient):
    server = smtp_server()
    with pytest.raises(smtp.SmtpBadAddress) as refused:
        smtp.send(server.config, ALICE, "pw", smtp.Envelope(sender, (recipient,)), b"x\r\n")
    assert "cannot be used as a mail address" in refused.value.user_message
    assert "Nothing was sent." in refused.value.user_message
    assert "\r" not in refused.value.user_message and "\n" not in refused.value.user_message
    assert server.connections == 0 and server.received == b"", "no byte reached the socket"


def test_a_server_without_auth_is_refused_unless_a_trusted_relay(smtp_server):
    server = smtp_server(offers_auth=False)
    envelope = smtp.Envelope(ALICE, ("bob@heron.test",))
    with pytest.raises(smtp.SmtpNoAuth) as refused:
        smtp.send(server.config, ALICE, "pw", envelope, b"Subject: x\r\n\r\nhi\r\n")
    assert "does not ask for a login (SMTP AUTH)" in refused.value.user_message
    assert "kept as a draft" in refused.value.user_message
    assert [c[:4] for c in server.commands] == [b"ehlo", b"quit"], "no MAIL was sent"
    smtp.send(server.config, ALICE, "pw", envelope, b"Subject: x\r\n\r\nhi\r\n",
              trusted_relay=True)
    assert [m["data"] for m in server.messages] == [b"Subject: x\r\n\r\nhi\r\n"]
    assert not any(c.upper().startswith(b"AUTH") for c in server.commands)


def test_it_logs_in_and_uses_the_envelope_it_was_given(smtp_server):
    server = smtp_server()
    smtp.send(server.config, ALICE, "pw", smtp.Envelope("sales@heron.test", ("b@heron.test",
                                                                             "c@heron.test")),
              b"Subject: x\r\n\r\nhi\r\n")
    assert b"".join(server.commands).upper().count(b"AUTH PLAIN") == 1
    [message] = server.messages
    assert message["from"] == b"mail FROM:<sales@heron.test>\r\n"
    assert message["rcpt"] == [b"rcpt TO:<b@heron.test>\r\n", b"rcpt TO:<c@heron.test>\r\n"]


# Streaming DATA


def reference_data(message):
    """What smtplib's data() would send before the final ".": line ends made CRLF, leading
    dots doubled, the last line ended (an empty message stays empty)."""
    fixed = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", message)
    fixed = re.sub(rb"(?m)^\.", b"..", fixed)
    return fixed if not fixed or fixed.endswith(b"\r\n") else fixed + b"\r\n"


@pytest.mark.parametrize("message", [
    b"", b".", b"..\r\n", b"a\r\n.\r\nb", b".start\r\n.\r\n..two\r\nend", b"bare\nlf\n.dot\n",
    b"bare\rcr\r.dot\r", b"mixed\r\n\n\r.x\r\r\n.", b"no end", b"\r\n\r\n.\r\n",
    b"x" * 50 + b"\r\n." + b"y" * 30 + b"\r",
])
@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1 << 20])
def test_data_chunks_match_what_smtplib_would_send(message, size):
    chunks = list(smtp.data_chunks(io.BytesIO(message), size))
    assert b"".join(chunks) == reference_data(message)
    assert all(chunk for chunk in chunks)


def test_a_large_message_streams_in_chunks_and_arrives_whole(smtp_server):
    server = smtp_server()
    lines = [random.choice([b".", b"..", b"", b"x", b"From "]) + os.urandom(30).hex().encode()
             for _ in range(60_000)]
    message = b"Subject: big\r\n\r\n" + b"\r\n".join(lines) + b"\r\n"
    sizes = [len(chunk) for chunk in smtp.data_chunks(io.BytesIO(message))]
    assert len(sizes) > 1 and max(sizes) < 2 * smtp.CHUNK
    smtp.send(server.config, ALICE, "pw", smtp.Envelope(ALICE, (ALICE,)), io.BytesIO(message))
    assert server.messages[0]["data"] == message


# The message written once into a file


def outgoing(files=(), html=None, **fields):
    return compose.Outgoing(**{
        "sender": Address("Alice", addr_spec=ALICE), "to": (Address(addr_spec="b@heron.test"),),
        "bcc": (Address(addr_spec="c@heron.test"),), "subject": "Files", "text": "Hi\n.dot\n",
        "html": html, "files": files, "message_id": "<1@heron.test>",
        "date": datetime(2026, 1, 1, tzinfo=timezone.utc), **fields})


def as_file(name, data, content_id=None, content_type="application/pdf"):
    return compose.OutgoingFile(name=name, content_type=content_type,
                                open=lambda: io.BytesIO(data), content_id=content_id)


SIZES = [0, 1, 56, 57, 58, 57 * 16384 - 1, 57 * 16384, 57 * 16384 + 1, 2_500_000]


@pytest.mark.parametrize("html", [None, '<p>Look <img src="cid:dot@x" alt=""></p>'])
def test_the_written_message_is_the_built_one_byte_for_byte(html):
    files = tuple(as_file(f"f{size}.pdf", os.urandom(size)) for size in SIZES) + (
        as_file("dot.png", b"\x89PNG", content_id="dot@x", content_type="image/png"),)
    out = outgoing(files, html, attached_messages=(b"Subject: inner\r\n\r\nhello\r\n",))
    random.seed(7)  # the same MIME boundaries for both
    built = compose.build_message(out, include_bcc=True)
    filed = compose.message_bytes(built)
    del built["Bcc"]
    sent = compose.message_bytes(built)
    random.seed(7)
    target = io.BytesIO()
    written = spool.write_message(out, target)
    assert target.getvalue() == sent
    assert bytes(spool.filed_copy(written, target)) == filed
    assert b"\r\nBcc: c@heron.test\r\n" in filed and b"\r\nBcc:" not in sent


def test_each_file_is_read_in_blocks_and_closed():
    reads = []

    class Recorded(io.BytesIO):
        def read(self, size=-1):
            reads.append(size)
            return super().read(min(size, 100_000))  # a stream that gives less than asked

    opened = []
    data = os.urandom(3_000_000)

    def open_file():
        opened.append(Recorded(data))
        return opened[-1]

    target = io.BytesIO()
    spool.write_message(outgoing((compose.OutgoingFile("a.bin", "application/pdf",
                                                         open_file),)), target)
    assert reads and all(0 < size <= 57 * 16384 for size in reads), "never the whole file"
    assert len(opened) == 1 and opened[0].closed
    [part] = message_from_bytes(target.getvalue(), policy=policy.default).iter_attachments()
    assert part.get_content() == data


# writing.send: the identity checked at send time, the envelope sender, the Sent copy


class SentRecorder:
    """The mail session methods writing.send calls after the message went out."""

    def __init__(self):
        self.filed, self.discarded = [], []

    def file_sent(self, raw):
        self.filed.append(bytes(raw))

    def discard_draft(self, draft_key):
        self.discarded.append(draft_key)

    def set_flag(self, mailbox, uids, flag, on=True):
        raise AssertionError("no original to flag")


def test_the_fakes_keep_up_with_what_they_stand_for():
    for name in ("file_sent", "discard_draft", "set_flag"):
        assert inspect.signature(getattr(SentRecorder, name)) == inspect.signature(
            getattr(MailSession, name)), name
    # The outbox fake of test_identities.py is written to this signature.
    assert str(inspect.signature(smtp.send)) == (
        "(config, username, password, envelope, message, *, trusted_relay=False, "
        "act_as=None, on_chunk=None, before_end=None)")


@pytest.fixture
def alice_user(django_user_model):
    return django_user_model.objects.create_user(ALICE, email=ALICE)


def send(user, server, identity, **fields):
    mail = SentRecorder()
    servers = MailServers(imap=server.config, smtp=server.config)
    data = {"draft": "a" * 32, "identity": identity.id, "to": "Bob <bob@heron.test>",
            "cc": "", "bcc": "carol@heron.test", "subject": "Hello", "body": "Hi Bob",
            "format": "text", **fields}
    return writing.send(mail, user, "pw", servers, data), mail


@pytest.mark.django_db
def test_a_confirmed_alias_sends_as_itself_and_is_filed_with_bcc(alice_user, smtp_server):
    server = smtp_server()
    alias = identities.save(alice_user, Identity(name="Alice", email="alias@elsewhere.test"))
    Identity.objects.filter(pk=alias.pk).update(confirmed_email="alias@elsewhere.test")
    alias.refresh_from_db()
    notice, mail = send(alice_user, server, alias)
    assert notice == "Message sent."
    [message] = server.messages
    assert message["from"] == b"mail FROM:<alias@elsewhere.test>\r\n"
    got = message_from_bytes(message["data"], policy=policy.default)
    assert got["From"] == "Alice <alias@elsewhere.test>" and "Bcc" not in got
    [filed] = mail.filed
    assert filed.replace(b"Bcc: carol@heron.test\r\n", b"") == message["data"]
    assert mail.discarded == ["a" * 32]


@pytest.mark.django_db
def test_an_unconfirmed_alias_does_not_send(alice_user, smtp_server):
    server = smtp_server()
    alias = identities.save(alice_user, Identity(email="alias@elsewhere.test"))
    with pytest.raises(identities.SenderRefused) as refused:
        send(alice_user, server, alias)
    assert "You have not confirmed that you send as alias@elsewhere.test" in (
        refused.value.user_message)
    assert server.connections == 0


@pytest.mark.django_db
def test_the_domain_list_is_read_again_when_sending(alice_user, smtp_server):
    server = smtp_server()
    alias = identities.save(alice_user, Identity(email="sales@heron.test"))
    domain = Domain.objects.create(name="heron.test", imap_host="h", smtp_host="h",
                                   allowed_senders="sales@heron.test")
    send(alice_user, server, alias)
    domain.allowed_senders = ""
    domain.save()
    with pytest.raises(identities.SenderRefused):
        send(alice_user, server, alias)
    assert len(server.messages) == 1


@pytest.mark.django_db
def test_the_domain_says_whether_a_server_without_auth_may_be_used(alice_user, smtp_server):
    server = smtp_server(offers_auth=False)
    login = identities.default_identity(alice_user)
    domain = Domain.objects.create(name="heron.test", imap_host="h", smtp_host="h")
    with pytest.raises(smtp.SmtpNoAuth):
        send(alice_user, server, login)
    domain.trusted_relay = True
    domain.save()
    assert send(alice_user, server, login)[0] == "Message sent."
    assert server.messages[0]["from"] == b"mail FROM:<alice@heron.test>\r\n"


def test_the_fake_speaks_enough_smtp_for_smtplib(smtp_server):
    # The fake answers as smtplib expects, so the tests above test Heron, not the fake.
    server = smtp_server()
    with smtplib.SMTP(*server.server_address) as client:
        client.login(ALICE, "pw")
        client.sendmail(ALICE, ["b@heron.test"], b"Subject: x\r\n\r\n.dot\r\n")
    assert server.messages[0]["data"] == b"Subject: x\r\n\r\n.dot\r\n"
    assert b64decode(server.commands[1].split()[2]) == b"\0" + ALICE.encode() + b"\0pw"


def test_a_message_that_cannot_be_read_to_its_end_is_not_sent(smtp_server):
    server = smtp_server()

    class Broken(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 1000:
                raise OSError("disk gone")
            return super().read(min(size, 500))

    with pytest.raises(smtp.SmtpUnavailable):
        smtp.send(server.config, ALICE, "pw", smtp.Envelope(ALICE, (ALICE,)),
                  Broken(b"Subject: x\r\n\r\n" + b"line\r\n" * 1000))
    assert server.messages == [], "the server got half a message and no end of it"


@pytest.mark.django_db
@pytest.mark.parametrize("confirmed, replies_as", [(True, "alias@elsewhere.test"),
                                                   (False, ALICE)])
def test_a_reply_goes_out_from_the_alias_it_was_sent_to_once_confirmed(
        alice_user, confirmed, replies_as):
    alias = identities.save(alice_user, Identity(email="alias@elsewhere.test"))
    if confirmed:
        Identity.objects.filter(pk=alias.pk).update(confirmed_email=alias.email)
    original = dataclasses.replace(make_summaries(1)[0], to=(ImapAddress("", alias.email),))
    server = FakeMailServer({ALICE: {"password": "pw", "folders": {"INBOX": [original]}}})
    mail = server.factory(None)
    mail.login(ALICE, "pw")
    reply = writing.reply(mail, alice_user, "INBOX", original.uid)
    assert Identity.objects.get(pk=reply["identity"]).email == replies_as
