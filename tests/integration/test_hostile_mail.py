"""Broken, hostile and odd mail opens with a page, never a 5xx (on the stack's Dovecot)."""
import html
import re
import sysconfig
from pathlib import Path
from urllib.parse import quote

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
# In the interpreter's standard library, or where deploy/email-corpus.sh unpacked it from
# Debian's libpython3.11-testsuite (Debian's own Python leaves it out).
CORPUS = Path(sysconfig.get_path("stdlib")) / "test" / "test_email" / "data"
UNPACKED = Path(__file__).resolve().parents[2] / ".stack" / "email-corpus"


def _corpus():
    if CORPUS.is_dir():
        return sorted(CORPUS.glob("*.txt"))
    return sorted(UNPACKED.glob("*.txt"))


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
        pytest.fail(f"CPython's email test corpus is missing at {CORPUS} and in {UNPACKED}: "
                    "bash deploy/email-corpus.sh")
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
    yield "8-bit headers", (b"From: J\xfcrgen <j@b.example>\r\n"
                            b"Subject: Gr\xfc\xdfe \xe6\x97\xa5\r\n"
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


def _shapes():
    """(name, raw, text the page or frame shows, notice the page shows or ""); built by the
    unit tests' builders, so both levels try the same shapes."""
    from tests.unit import test_hostile_structure as shapes

    top = shapes.top
    yield ("30,000 Content-Type parameters", top("params") + b"Content-Type: text/plain; "
           b"charset=utf-8" + shapes.many_params(30_000) + b"\r\n\r\nhello params\r\n",
           "hello params", "")
    yield ("text/enriched", top("enriched") + b"Content-Type: text/enriched\r\n\r\n"
           b"<bold>Hello</bold> <italic>world</italic>\r\n", "Hello world", "")
    for name, (raw, text) in shapes.BROKEN.items():
        if name != "bare CR line ends":  # a server stores bare CRs as line ends of its own
            yield name, raw, text.split("\n")[0], ""
    yield ("text, html, text in multipart/mixed", top("sandwich") + b"Content-Type: "
           b"multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
           b"first text\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>second html</p>\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nthird text\r\n--b--\r\n", "third text", "")
    yield ("empty multipart", top("empty") + b"Content-Type: multipart/mixed; boundary=b"
           b"\r\n\r\n--b--\r\n", "This message has no text to show.", "")
    yield "headers only", top("headers only"), "This message has no text to show.", ""
    yield ("10,000 sibling parts", shapes.siblings(10_000), "part 0",
           "This message has more parts than Heron shows")
    yield ("a 1 MB header line", top("x" * 1_000_000) + b"Content-Type: text/plain\r\n\r\n"
           b"under a big header\r\n", "under a big header", "")
    yield ("a 1 MB encoded Subject", b"From: a@b.example\r\n" + shapes.encoded_subject(45_000)
           + b"\r\nContent-Type: text/plain\r\n\r\nencoded\r\n", "café café café", "")
    yield ("5,000 RFC 2231 segments", top("2231") + b"Content-Type: multipart/mixed; "
           b"boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b\r\n"
           + shapes.rfc2231_segments(5000) + b"\r\n\r\nQUJD\r\n--b--\r\n", "café0-1-2", "")
    yield ("invalid charset", top("charset") + b"Content-Type: text/plain; charset=x-nope"
           b"\r\n\r\ncaf\xe9 au lait\r\n", "au lait", "")
    yield ("base64 garbage", top("b64") + b"Content-Type: text/plain\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n!!!*&^%$\r\nQUJD\r\n", "ABC", "")


@pytest.mark.parametrize("account", ["dovecot", "cyrus"], indirect=True)
def test_hostile_mail_shows_what_fits_and_names_the_rest(heron, scratch, account):
    conn, folder, append = scratch
    base = f"?mailbox={quote(folder)}"
    failures = {}
    for name, raw, text, notice in _shapes():
        if account.kind == "cyrus" and name == "nested 1,000 deep":
            continue  # Cyrus drops its innermost text: see test_a_structure_a_thousand_deep_opens
        uid = append(raw)
        page = heron.get(f"/mail/message/{uid}/{base}")
        frame = heron.get(f"/mail/message/{uid}/body/{base}")
        shown = page.content.decode() + re.sub(r"<[^>]*>", "", frame.content.decode())
        if page.status_code != 200 or frame.status_code != 200:
            failures[name] = (page.status_code, frame.status_code)
        elif html.escape(text, quote=False) not in shown or notice not in shown:
            failures[name] = "text or notice missing"
        elif "<script" in frame.content.decode():
            failures[name] = "a script in the frame"
    assert not failures, failures
    assert heron.get(f"/mail/{base}").status_code == 200


@pytest.mark.parametrize("account", ["dovecot", "cyrus"], indirect=True)
def test_a_structure_a_thousand_deep_opens(heron, scratch, account):
    """Dovecot cuts a structure at its own depth limit. Cyrus sends all 1,000 levels, which
    would end imapclient's recursive parser (structure.fetch_response cuts them first),
    and stores the 1,000-deep multipart without its innermost text: there the page says
    how deep it went instead."""
    from tests.unit import test_hostile_structure as shapes

    conn, folder, append = scratch
    base = f"?mailbox={quote(folder)}"
    for name in ("nested 1,000 deep", "message/rfc822 1,000 deep"):
        raw, text = shapes.BROKEN[name]
        uid = append(raw)
        page = heron.get(f"/mail/message/{uid}/{base}")
        assert page.status_code == 200
        if account.kind == "cyrus" and name == "nested 1,000 deep":
            shown = page.content.decode()
            assert ("nested too deeply to follow" in shown
                    or "nested deeper than Heron follows" in shown)
        else:
            assert text in page.content.decode()
    assert heron.get(f"/mail/{base}").status_code == 200
