"""Reading mail through Heron, the same on Dovecot, Cyrus and the extension-less demo server."""
import io
import zipfile
from urllib.parse import quote

import pytest

from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def url(kind, uid, mailbox, extra=""):
    paths = {"message": f"/mail/message/{uid}/", "body": f"/mail/message/{uid}/body/",
             "source": f"/mail/message/{uid}/source/", "print": f"/mail/message/{uid}/print/",
             "zip": f"/mail/message/{uid}/attachments.zip"}
    return f"{paths[kind]}?mailbox={quote(mailbox)}{extra}"


def flags_of(conn, folder, uid):
    conn.select_folder(folder, readonly=True)
    return {f.decode() if isinstance(f, bytes) else f for f in conn.get_flags([uid])[uid]}


def test_it_shows_the_headers_and_a_text_body_with_links_and_collapsible_quotes(heron, scratch):
    conn, folder, append = scratch
    text = ("Hi Bob,\n\nthe plan is at https://example.org/plan?a=1&b=2 now.\n\n"
            "> You wrote:\n> can you send the <plan>?\n\n-- \nDana")
    uid = append(mf.message(subject="Plan für Köln", cc="Carol <carol@heron.test>",
                            reply_to="Team <team@example.org>", text=text))
    page = heron.get(url("message", uid, folder)).content.decode()
    assert "Plan für Köln" in page
    assert "dana@whitfield.example.com" in page and "carol@heron.test" in page
    assert "team@example.org" in page  # Reply-To differs from From, so it is shown
    assert 'href="https://example.org/plan?a=1&amp;b=2"' in page
    assert 'rel="noopener noreferrer"' in page
    assert "<details" in page and "&lt;plan&gt;" in page  # quoted text, escaped, collapsible
    assert "<plan>" not in page


def test_opening_marks_read_and_mark_unread_undoes_it(heron, scratch):
    conn, folder, append = scratch
    uid = append(mf.message(subject="Read me"))
    assert "\\Seen" not in flags_of(conn, folder, uid)
    heron.get(url("message", uid, folder))
    assert "\\Seen" in flags_of(conn, folder, uid)
    heron.post("/mail/actions/", {"mailbox": folder, "uids": [uid], "action": "unread"})
    assert "\\Seen" not in flags_of(conn, folder, uid)


def test_previous_and_next_links_follow_the_list_order(heron, scratch):
    conn, folder, append = scratch
    uids = [append(mf.message(subject=f"Number {n}", days=n)) for n in range(3)]
    page = heron.get(url("message", uids[1], folder)).content.decode()

    def link(rel):
        return page.split(f'rel="{rel}" href="', 1)[1].split('"', 1)[0]

    # Newest first: the previous (newer) one is Number 2, the next (older) is Number 0.
    assert link("prev").startswith(f"/mail/message/{uids[2]}/")
    assert link("next").startswith(f"/mail/message/{uids[0]}/")


def test_html_mail_is_framed_sanitized_and_its_remote_images_blocked(heron, scratch):
    conn, folder, append = scratch
    uid = append(mf.html_with_images(remote_images=4, trackers=2))
    page = heron.get(url("message", uid, folder)).content.decode()
    assert "4 remote images blocked, 2 of them trackers" in page
    assert 'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"' in page
    assert "parent.document.title" not in page  # the mail's HTML is not in the page itself
    frame_src = page.split('class="mail-frame"', 1)[1].split('src="', 1)[1].split('"', 1)[0]
    assert "images=" not in frame_src  # the frame asks for blocked images, not allowed ones

    frame = heron.get(url("body", uid, folder))
    csp = frame["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    assert "form-action 'none'" in csp and "https:" not in csp
    body = frame.content.decode()
    assert "<script" not in body and "onerror" not in body
    assert "images.example.net" not in body and "track.example.net" not in body
    assert 'rel="noopener noreferrer"' in body and 'target="_blank"' in body
    # The cid: logo is served from the message itself.
    cid_src = body.split('alt="logo"')[0].rsplit("<img", 1)[1]
    assert "/part/" in cid_src and "inline=1" in cid_src


def test_show_images_once_and_always_for_a_sender(heron, scratch):
    conn, folder, append = scratch
    uid = append(mf.html_with_images(remote_images=2, trackers=0))
    frame = heron.get(url("body", uid, folder, "&images=1"))
    assert "images.example.net/photo0.jpg" in frame.content.decode()
    assert "https:" in frame["Content-Security-Policy"]
    assert "images.example.net" not in heron.get(url("body", uid, folder)).content.decode()
    heron.post("/mail/trust-sender/", {"email": "dana@whitfield.example.com"})
    assert "images.example.net" in heron.get(url("body", uid, folder)).content.decode()


def test_a_cid_image_is_served_inline_from_the_message(heron, scratch):
    conn, folder, append = scratch
    uid = append(mf.html_with_images())
    body = heron.get(url("body", uid, folder)).content.decode()
    src = body.split('alt="logo"')[0].rsplit('src="', 1)[1].split('"')[0].replace("&amp;", "&")
    image = heron.get(src)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == mf.png_bytes()


def test_attachments_download_whole_with_safe_headers_and_any_language_name(heron, scratch):
    conn, folder, append = scratch
    big = bytes(range(256)) * 12_000  # ~3 MB: streamed in several partial fetches
    msg = mf.with_attachments(mf.message(subject="Files"), [
        ("Überweisung März 2026.pdf", "application", "pdf", b"%PDF-1.4 fake"),
        ("日本語の資料.bin", "application", "octet-stream", big),
        ("page.html", "text", "html", b"<script>alert(1)</script>"),
    ])
    uid = append(msg)
    page = heron.get(url("message", uid, folder)).content.decode()
    assert "Überweisung März 2026.pdf" in page and "日本語の資料.bin" in page
    conn.select_folder(folder, readonly=True)
    sections = {}
    for part_number in ("2", "3", "4"):
        response = heron.get(f"/mail/message/{uid}/part/{part_number}/?mailbox={quote(folder)}")
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Content-Type"] == "application/octet-stream"
        sections[part_number] = (response["Content-Disposition"],
                                 b"".join(response.streaming_content))
    assert "filename*=utf-8''%C3%9Cberweisung%20M%C3%A4rz%202026.pdf" in sections["2"][0]
    assert sections["3"][1] == big
    assert sections["4"][1] == b"<script>alert(1)</script>"  # downloaded, never rendered


def test_download_all_gives_a_zip_of_every_attachment(heron, scratch):
    conn, folder, append = scratch
    msg = mf.with_attachments(mf.message(subject="Two files"), [
        ("a.txt", "text", "plain", b"first"), ("a.txt", "text", "plain", b"second")])
    uid = append(msg)
    response = heron.get(url("zip", uid, folder))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["a (2).txt", "a.txt"]
    assert {archive.read(n) for n in archive.namelist()} == {b"first", b"second"}


def test_show_original_and_download_eml_give_the_exact_source(heron, scratch):
    conn, folder, append = scratch
    uid = append(mf.message(subject="Source"))
    conn.select_folder(folder, readonly=True)
    original = conn.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
    shown = heron.get(url("source", uid, folder))
    assert shown["Content-Type"].startswith("text/plain")
    assert b"".join(shown.streaming_content) == original
    download = heron.get(url("source", uid, folder, "&download=1"))
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Disposition"].endswith('.eml"') or ".eml" in download[
        "Content-Disposition"]


def test_the_print_view_shows_the_message_without_the_app_around_it(heron, scratch):
    conn, folder, append = scratch
    uid = append(mf.message(subject="Print me", text="Paper copy"))
    page = heron.get(url("print", uid, folder)).content.decode()
    assert "print-mode" in page and "Paper copy" in page


@pytest.mark.parametrize("account", ["dovecot", "cyrus"], indirect=True)
def test_another_user_cannot_open_bobs_message(heron, scratch, client):
    conn, folder, append = scratch
    uid = append(mf.message(subject="Private"))
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": "carol@heron.test", "password": "carol-pw-1"})
    assert client.get(url("message", uid, folder)).status_code == 404
    assert client.get(url("source", uid, folder)).status_code == 404
    assert client.get(f"/mail/message/{uid}/part/1/?mailbox={quote(folder)}").status_code == 404


def test_a_body_is_sanitized_once_for_the_page_and_its_frame(heron, scratch):
    from prometheus_client import REGISTRY

    def hits():
        return REGISTRY.get_sample_value(
            "heron_cache_lookups_total", {"use": "rendered-body", "result": "hit"}) or 0

    conn, folder, append = scratch
    uid = append(mf.html_with_images(remote_images=1, trackers=0))
    before = hits()
    page = heron.get(url("message", uid, folder)).content.decode()
    assert "1 remote image blocked" in page
    frame = heron.get(url("body", uid, folder)).content.decode()
    assert hits() == before + 1, "the frame reused what the page made"
    assert "images.example.net" not in frame
    # Allowing images is another rendering, not the cached blocked one.
    allowed = heron.get(url("body", uid, folder, "&images=1")).content.decode()
    assert "images.example.net" in allowed
