"""A CardDAV server that is slow or answers garbage: a clear message, a bounded wait, and
nothing already saved lost. The servers are real sockets on loopback, each answering
every request with the same bytes (or drip-feeding them)."""
import re
import socket
import threading
import time

import pytest
from django.contrib.auth import get_user_model

from contacts import cards, vcards
from contacts.models import AddressBook, Card
from contacts.sync import sync_book

pytestmark = pytest.mark.django_db

BUDGET = 2  # seconds: HERON_CARDDAV_TIMEOUT for these tests


class CannedServer:
    """Answers every request on 127.0.0.1 with `answer` (bytes), sent in pieces of
    `piece` bytes with `pause` seconds between them; hold: then say nothing until closed."""

    def __init__(self, answer, piece=1 << 16, pause=0.0, hold=False):
        self.answer, self.piece, self.pause, self.hold = answer, piece, pause, hold
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/book/"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                connection, _address = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection):
        with connection:
            connection.settimeout(5)
            try:
                request = b""
                while not self._whole(request):
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    request += chunk
                for start in range(0, len(self.answer), self.piece):
                    if self.stop.is_set():
                        return
                    connection.sendall(self.answer[start:start + self.piece])
                    if self.pause:
                        time.sleep(self.pause)
                if self.hold:
                    self.stop.wait(30)
            except OSError:
                return

    @staticmethod
    def _whole(request):
        """The request's head and body are in (a close with unread bytes would reset)."""
        head, found, body = request.partition(b"\r\n\r\n")
        if not found:
            return False
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        return len(body) >= (int(length.group(1)) if length else 0)

    def close(self):
        self.stop.set()
        self.thread.join()
        self.listener.close()


def http(status, body, content_type="application/xml; charset=utf-8", length=True, extra=""):
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}"
    if length:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


@pytest.fixture
def serve():
    started = []

    def start(*args, **kwargs):
        server = CannedServer(*args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def book_at(settings):
    settings.HERON_CARDDAV_TIMEOUT = BUDGET

    def make(url):
        user = get_user_model().objects.create(username="alice@heron.test")
        book = AddressBook.objects.create(user=user, name="Contacts", remote_url=url,
                                          ctag="old", sync_token="")
        card = cards.save(book, vcards.CardData(full_name="Ada Lovelace",
                                                emails=[("ada@example.org", "")]))
        return book, card
    return make


def assert_nothing_lost(book, card):
    kept = Card.objects.get(pk=card.pk)
    assert (kept.full_name, kept.vcard, kept.dirty) == (card.full_name, card.vcard, True)
    assert [e.email for e in kept.emails.all()] == ["ada@example.org"]
    book.refresh_from_db()
    assert book.ctag == "old" and book.synced_at is None


def sync_timed(book):
    started = time.monotonic()
    report = sync_book(book, "alice@heron.test", "alice-pw-1")
    return report, time.monotonic() - started


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">'.encode()
                   if n > 1 else b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;">'
                   for n in range(1, 10))
        + b']><multistatus xmlns="DAV:"><response><href>&lol9;</href></response></multistatus>')


@pytest.mark.parametrize("answer, message", [
    (http("207 Multi-Status", BOMB), "cannot read"),
    (http("207 Multi-Status", b"<multistatus xmlns='DAV:'><response>"), "cannot read"),
    (http("207 Multi-Status", b"<html><body>Welcome</body></html>", "text/html"),
     "cannot read"),
    (http("207 Multi-Status", b"\x00\xff" * 1000), "cannot read"),
    (http("207 Multi-Status", b"<a/>" * 1_000_000), "more than Heron accepts"),
    (http("207 Multi-Status", b"<a/>" * 1_000_000, length=False), "more than Heron accepts"),
    (http("500 Internal Server Error", b"oops", "text/plain"), "HTTP 500"),
    (http("302 Found", b"", extra="Location: http://198.51.100.1/steal/\r\n"),
     "another server"),
    (b"this is not HTTP at all\r\n\r\n", "cannot be reached"),
], ids=["xml-bomb", "cut-xml", "html", "binary", "huge", "huge-unannounced", "500",
        "redirect-away", "not-http"])
def test_a_server_answering_garbage_gives_a_clear_message_and_loses_nothing(
        serve, book_at, answer, message):
    server = serve(answer)
    book, card = book_at(server.url)
    report, _seconds = sync_timed(book)
    assert message in report.error
    assert message in book.last_error
    assert_nothing_lost(book, card)


SLOW = http("207 Multi-Status", b"<multistatus xmlns='DAV:'/>" * 50)


@pytest.mark.parametrize("answer, piece, pause, hold", [
    (SLOW, 1, 0.3, False),
    (b"", 1, 0, True),
    (SLOW[:SLOW.index(b"\r\n\r\n") + 4], 1 << 16, 0, True),
], ids=["drip", "silent", "head-only"])
def test_a_slow_server_is_given_up_in_bounded_time(serve, book_at, answer, piece, pause, hold):
    """A server that trickles its answer a byte at a time (each read on its own would be
    quick), says nothing, or stops after the head: the sync ends at its budget, not at the
    server's pleasure."""
    server = serve(answer, piece=piece, pause=pause, hold=hold)
    book, card = book_at(server.url)
    report, seconds = sync_timed(book)
    assert "did not answer in time" in report.error
    assert seconds < BUDGET + 3
    assert_nothing_lost(book, card)


def test_a_server_that_is_down_gives_a_clear_message(book_at):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    book, card = book_at(f"http://127.0.0.1:{port}/book/")
    report, _seconds = sync_timed(book)
    assert "cannot be reached" in report.error
    assert_nothing_lost(book, card)
