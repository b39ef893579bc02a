"""Broken, hostile and odd mail opens with a page, never a 5xx (on the stack's Dovecot)."""
import sysconfig
from pathlib import Path
from urllib.parse import quote

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
CORPUS = Path(sysconfig.get_path("stdlib")) / "test" / "test_email" / "data"


def _corpus():
    return sorted(CORPUS.glob("*.txt")) if CORPUS.is_dir() else []


def _open_everything(client, folder, uid):
    base = f"?mailbox={quote(folder)}"
    statuses = {"message": client.get(f"/mail/message/{uid}/{base}").status_code,
                "body": client.get(f"/mail/message/{uid}/body/{base}").status_code,
                "source": client.get(f"/mail/message/{uid}/source/{base}").status_code}
    return statuses


@pytest.mark.parametrize("account", ["dovecot"], indirect=True)
def test_every_message_of_the_python_email_corpus_opens(heron, scratch):
    files = _corpus()
    if not files:
        pytest.fail(f"CPython's email test corpus is missing at {CORPUS}")
    conn, folder, append = scratch
    failures = {}
    for path in files:
        uid = append(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        statuses = _open_everything(heron, folder, uid)
        if set(statuses.values()) != {200}:
            failures[path.name] = statuses
    assert not failures, failures
    listing = heron.get(f"/api/messages/?mailbox={quote(folder)}")
    assert listing.status_code == 200 and listing.json()["total"] == len(files)


def _hostile_messages():
    many_parts = b"".join(
        b"--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % n for n in range(5000))
    yield "5000 parts", (b"From: a@b.example\r\nSubject: many\r\nMIME-Version: 1.0\r\n"
                         b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + many_parts
                         + b"--b--\r\n")
    yield "20 MB text part", (b"From: a@b.example\r\nSubject: huge\r\n"
                              b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                              + (b"All work and no play. " * 50 + b"\r\n") * 19000)
    yield "lying charset", (b"From: a@b.example\r\nSubject: charset\r\n"
                            b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\n"
                            b"caf\xe9 \xff\xfe\r\n")
    yield "8-bit headers", (b"From: J\xfcrgen <j@b.example>\r\nSubject: Gr\xfc\xdfe \xe6\x97\xa5\r\n"
                            b"To: \xff\xfe@x\r\n\r\nbody\r\n")
    yield "broken multipart", (b"From: a@b.example\r\nSubject: broken\r\n"
                               b"Content-Type: multipart/mixed; boundary=\"never\"\r\n\r\n"
                               b"no boundary ever appears\r\n")
    yield "html bomb", (b"From: a@b.example\r\nSubject: html\r\n"
                        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
                        + b"<div>" * 20000 + b"<script>alert(1)</script>"
                        + b"<svg onload=alert(1)>" + b"</div>" * 100)
    yield "bad base64", (b"From: a@b.example\r\nSubject: b64\r\nMIME-Version: 1.0\r\n"
                         b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                         b"!!!not*base64===\r\nQUJD\r\n")
    yield "nested depth", (b"From: a@b.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
                           + b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n"
                                      b"--b%d\r\n" % (n, n) for n in range(60))
                           + b"Content-Type: text/plain\r\n\r\ndeep\r\n")


@pytest.mark.parametrize("account", ["dovecot"], indirect=True)
def test_hostile_and_broken_messages_open_without_a_server_error(heron, scratch):
    conn, folder, append = scratch
    failures = {}
    for name, raw in _hostile_messages():
        uid = append(raw)
        statuses = _open_everything(heron, folder, uid)
        if set(statuses.values()) != {200}:
            failures[name] = statuses
    assert not failures, failures
