"""Attachments, the zip of all of them and the message source, streamed from the
in-memory mail server: always downloads under a sandbox, inline only for images and PDF."""
import base64
import io
import zipfile

import pytest
from django.test import Client

from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n%fake\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def attached(content_type, name, data):
    encoded = base64.encodebytes(data)
    return (f"--b\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n\r\n').encode() + encoded


MESSAGE = (b"From: Bob <bob@x.test>\r\nTo: alice@heron.test\r\nSubject: Files for you\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere they are.\r\n"
           + attached("image/png", "photo.png", PNG) + attached("application/pdf", "a.pdf", PDF)
           + attached("image/svg+xml", "logo.svg", SVG)
           + attached("text/html", "page.html", b"<script>alert(1)</script>")
           + b"--b--\r\n")


@pytest.fixture
def files_uid(fake_server, alice):
    return fake_server.folder(ALICE, "INBOX").append(MESSAGE)


def body(response):
    return b"".join(response.streaming_content)


def part(client, uid, section, **query):
    return client.get(f"/mail/message/{uid}/part/{section}/", {"mailbox": "INBOX", **query})


def assert_sandboxed_download(response, filename):
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))


def test_an_attachment_downloads_its_decoded_bytes_under_a_sandbox(alice, files_uid):
    response = part(alice, files_uid, "2")
    assert response.status_code == 200 and body(response) == PNG
    assert response["Content-Type"] == "application/octet-stream"
    assert_sandboxed_download(response, "photo.png")


@pytest.mark.parametrize("section, content_type", [("2", "image/png"),
                                                   ("3", "application/pdf")])
def test_an_image_or_pdf_shows_inline_when_asked(alice, files_uid, section, content_type):
    response = part(alice, files_uid, section, inline=1)
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize("section, filename", [("4", "logo.svg"), ("5", "page.html")])
def test_svg_and_html_never_show_inline(alice, files_uid, section, filename):
    response = part(alice, files_uid, section, inline=1)
    assert response["Content-Type"] == "application/octet-stream"
    assert_sandboxed_download(response, filename)


def test_a_part_without_a_name_gets_one_from_its_type(alice, fake_server):
    uid = fake_server.folder(ALICE, "INBOX").append(
        b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        b"--b\r\nContent-Type: image/png\r\n\r\npng\r\n--b--\r\n")
    assert part(alice, uid, "2")["Content-Disposition"] == 'attachment; filename="part-2.png"'


def test_a_missing_part_or_message_is_a_404(alice, files_uid):
    assert part(alice, files_uid, "9").status_code == 404
    assert part(alice, 9999, "2").status_code == 404


def test_all_attachments_come_as_one_zip_and_the_message_stays_unread(
        alice, fake_server, files_uid):
    response = alice.get(f"/mail/message/{files_uid}/attachments.zip", {"mailbox": "INBOX"})
    assert response["Content-Type"] == "application/zip"
    assert_sandboxed_download(response, "Files for you.zip")
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert archive.namelist() == ["photo.png", "a.pdf", "logo.svg", "page.html"]
    assert archive.read("photo.png") == PNG
    assert "\\Seen" not in fake_server.folder(ALICE, "INBOX").messages[files_uid].flags


def test_a_message_without_attachments_has_no_zip(alice):
    assert alice.get("/mail/message/1/attachments.zip").status_code == 404


def test_the_source_reads_as_text_or_downloads_as_eml(alice, files_uid):
    shown = alice.get(f"/mail/message/{files_uid}/source/", {"mailbox": "INBOX"})
    assert shown["Content-Type"] == "text/plain; charset=utf-8" and body(shown) == MESSAGE
    assert shown["Content-Disposition"].startswith("inline")
    assert shown["Content-Security-Policy"] == "default-src 'none'; sandbox"
    saved = alice.get(f"/mail/message/{files_uid}/source/", {"mailbox": "INBOX",
                                                             "download": "1"})
    assert saved["Content-Type"] == "message/rfc822" and body(saved) == MESSAGE
    assert_sandboxed_download(saved, "Files for you.eml")


def test_the_source_of_a_message_gone_is_a_404(alice):
    assert alice.get("/mail/message/9999/source/").status_code == 404


@pytest.mark.parametrize("path", ["part/2/", "attachments.zip", "source/"])
def test_downloads_need_get_and_login(alice, client, files_uid, path):
    url = f"/mail/message/{files_uid}/{path}"
    assert alice.post(url).status_code == 405
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", ["part/2/", "attachments.zip", "source/"])
def test_carol_gets_404_for_alices_attachments_and_source(alice, files_uid, path):
    carol = Client()
    log_in(carol, "carol@heron.test")
    assert carol.get(f"/mail/message/{files_uid}/{path}").status_code == 404
    assert carol.get(f"/mail/message/700/{path}", {"mailbox": "Projects"}).status_code == 404
