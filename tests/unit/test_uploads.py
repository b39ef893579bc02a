"""Compose uploads: stored as they arrive, limited per message, private to their owner."""
import hashlib
import io
import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from attachments import lifetime, storage
from attachments.models import Upload

pytestmark = pytest.mark.django_db
DRAFT = uuid.uuid4().hex
OTHER_DRAFT = uuid.uuid4().hex
MB = 1024 * 1024


class BrokenStorage(Storage):
    """A backend that never answers, to see how Heron tells the user."""

    def __init__(self, **options):
        pass

    def _save(self, name, content):
        raise ConnectionRefusedError("s3 at 10.0.0.9 refused; key AKIASECRETKEYID")

    def _open(self, name, mode="rb"):
        raise ConnectionRefusedError("refused")

    def delete(self, name):
        raise ConnectionRefusedError("refused")

    def exists(self, name):
        return False


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads go to local files under a fresh folder, whatever the environment says."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(root)}},
    }
    settings.HERON_MAX_MESSAGE_BYTES = 25 * MB
    return root


@pytest.fixture
def alice_user(django_user_model):
    return django_user_model.objects.create_user(username="alice@heron.test")


@pytest.fixture
def carol_user(django_user_model):
    return django_user_model.objects.create_user(username="carol@heron.test")


@pytest.fixture
def as_alice(alice_user):
    client = Client()
    client.force_login(alice_user)
    return client


@pytest.fixture
def as_carol(carol_user):
    client = Client()
    client.force_login(carol_user)
    return client


def a_file(name="notes.txt", content=b"hello\n", content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def upload(client, *files, draft=DRAFT, headers=None, **fields):
    return client.post("/attachments/upload/", {"draft": draft, "file": list(files), **fields},
                       headers=headers)


def stored_files(root):
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def sha(data):
    return hashlib.sha256(data).hexdigest()


# --- Uploading -------------------------------------------------------------------------

def test_it_uploads_several_files_at_once_with_their_checksums(as_alice, alice_user, media):
    big = os.urandom(300 * 1024)  # past FILE_UPLOAD_MAX_MEMORY_SIZE: spooled, then streamed
    small = b"%PDF-1.4 tiny\n"
    response = upload(as_alice, a_file("photo.raw", big, "application/octet-stream"),
                      a_file("report.pdf", small, "application/pdf"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(u["name"], u["type"], u["size"], u["sha256"]) for u in body["uploads"]] == [
        ("photo.raw", "application/octet-stream", len(big), sha(big)),
        ("report.pdf", "application/pdf", len(small), sha(small)),
    ]
    assert body["total"] == len(big) + len(small)
    assert body["limit"] == 25 * MB
    first = body["uploads"][0]
    assert first["url"] == f"/attachments/{first['id']}/"
    assert first["delete_url"] == f"/attachments/{first['id']}/delete/"
    assert first["content_id"] == ""

    rows = {str(u.id): u for u in Upload.objects.all()}
    assert set(rows) == {u["id"] for u in body["uploads"]}
    for row in rows.values():
        assert row.owner == alice_user and row.draft == DRAFT
        assert row.key == f"uploads/{alice_user.pk}/{DRAFT}/{row.id.hex}"
        assert sha((media / row.key).read_bytes()) == row.sha256
    assert len(stored_files(media)) == 2


def test_a_download_gives_back_the_same_bytes_as_an_attachment(as_alice):
    data = os.urandom(2000)
    listed = upload(as_alice, a_file("report.pdf", data, "application/pdf")).json()
    url = listed["uploads"][0]["url"]

    response = as_alice.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_a_non_ascii_filename_round_trips_in_content_disposition(as_alice):
    name = "Übersicht März €.pdf"
    listed = upload(as_alice, a_file(name, b"x", "application/pdf")).json()["uploads"][0]
    assert listed["name"] == name

    response = as_alice.get(listed["url"])

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%C3%9Cbersicht%20M%C3%A4rz%20%E2%82%AC.pdf")


def test_an_inline_image_gets_a_content_id_and_shows_in_place(as_alice):
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(64)
    listed = upload(as_alice, a_file("logo.png", png, "image/png"), inline="1").json()

    image = listed["uploads"][0]
    assert image["content_id"] == f"{uuid.UUID(image['id']).hex}@heron"
    assert image["url"].endswith("?inline=1")
    response = as_alice.get(image["url"])
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="logo.png"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name, content_type", [
    ("page.html", "text/html"),
    ("drawing.svg", "image/svg+xml"),
    ("notes.txt", "text/plain"),
])
def test_only_safe_images_are_ever_shown_inline(as_alice, name, content_type):
    listed = upload(as_alice, a_file(name, b"<script>x</script>", content_type),
                    inline="1").json()["uploads"][0]
    assert listed["content_id"] == ""

    response = as_alice.get(f"/attachments/{listed['id']}/?inline=1")

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_inline_0_is_an_ordinary_attachment(as_alice):
    listed = upload(as_alice, a_file("logo.png", b"png", "image/png"), inline="0").json()
    assert listed["uploads"][0]["content_id"] == ""


# --- The size limit --------------------------------------------------------------------

def test_a_file_over_the_limit_answers_413_with_a_clear_message_and_stores_nothing(
        as_alice, settings, media):
    settings.HERON_MAX_MESSAGE_BYTES = 1000

    response = upload(as_alice, a_file("big.bin", b"x" * 1536))

    assert response.status_code == 413
    assert response.json() == {"error": "Attachments are limited to 1000 bytes a message; "
                                        "big.bin (1.5 KB) would make it 1.5 KB."}
    assert not Upload.objects.exists()
    assert stored_files(media) == []


def test_several_files_over_the_limit_together_store_none_of_them(as_alice, settings, media):
    settings.HERON_MAX_MESSAGE_BYTES = 1000

    response = upload(as_alice, a_file("a.txt", b"a" * 600), a_file("b.txt", b"b" * 600))

    assert response.status_code == 413
    assert response.json()["error"] == ("Attachments are limited to 1000 bytes a message; "
                                        "these 2 files (1.2 KB) would make it 1.2 KB.")
    assert not Upload.objects.exists()
    assert stored_files(media) == []


def test_the_limit_counts_what_the_draft_already_has(as_alice, settings):
    settings.HERON_MAX_MESSAGE_BYTES = 1000
    assert upload(as_alice, a_file("a.txt", b"a" * 600)).status_code == 200

    second = upload(as_alice, a_file("b.txt", b"b" * 600))
    elsewhere = upload(as_alice, a_file("b.txt", b"b" * 600), draft=OTHER_DRAFT)

    assert second.status_code == 413
    assert "would make it 1.2 KB" in second.json()["error"]
    assert elsewhere.status_code == 200
    assert Upload.objects.count() == 2


def test_the_limit_message_speaks_in_megabytes(alice_user):
    Upload.objects.create(owner=alice_user, draft=DRAFT, name="earlier.pdf", size=int(0.8 * MB),
                          sha256="0" * 64, key=f"uploads/x/{DRAFT}/earlier")
    report = a_file("report.pdf", b"%PDF")
    report.size = int(30.2 * MB)  # declared by the browser; checked before anything is read

    with pytest.raises(storage.TooLarge) as refused:
        storage.save_upload(alice_user, DRAFT, report)

    assert refused.value.message == ("Attachments are limited to 25 MB a message; "
                                     "report.pdf (30.2 MB) would make it 31 MB.")


def test_a_file_bigger_than_declared_is_stopped_while_streaming(alice_user, settings, media):
    settings.HERON_MAX_MESSAGE_BYTES = 100 * 1024
    liar = a_file("small.bin", os.urandom(300 * 1024))
    liar.size = 10

    with pytest.raises(storage.TooLarge) as refused:
        storage.save_upload(alice_user, DRAFT, liar)

    assert "small.bin (over 1" in refused.value.message
    assert not Upload.objects.exists()
    assert stored_files(media) == []


def test_a_request_far_over_the_limit_is_refused_before_it_is_read(as_alice, settings):
    settings.HERON_MAX_MESSAGE_BYTES = 1000

    response = as_alice.post("/attachments/upload/", data=b"", content_type="multipart/form-data;"
                             " boundary=x", CONTENT_LENGTH=str(5 * MB))

    assert response.status_code == 413
    assert response.json()["error"] == ("Attachments are limited to 1000 bytes a message; "
                                        "this upload is 5 MB.")


def test_too_many_files_at_once_is_a_clear_400(as_alice, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3

    response = upload(as_alice, *[a_file(f"{n}.txt") for n in range(4)])

    assert response.status_code == 400
    assert response.json() == {"error": "Attach at most 3 files at once."}
    assert not Upload.objects.exists()


# --- Bad requests ----------------------------------------------------------------------

@pytest.mark.parametrize("draft", ["", "../../etc", DRAFT.upper(), DRAFT + "0", DRAFT[:-1]])
def test_a_bad_draft_id_is_a_400_and_stores_nothing(as_alice, draft, media):
    response = upload(as_alice, a_file(), draft=draft)

    assert response.status_code == 400
    assert response.json() == {"error": "The draft id must be 32 lower-case hex digits."}
    assert stored_files(media) == []


def test_an_upload_without_a_file_is_a_400(as_alice):
    response = as_alice.post("/attachments/upload/", {"draft": DRAFT})

    assert response.status_code == 400
    assert response.json() == {"error": "Choose at least one file to attach."}


def test_a_filename_with_path_parts_and_control_characters_is_cleaned(as_alice, alice_user):
    body = (b"--b\r\nContent-Disposition: form-data; name=\"draft\"\r\n\r\n" + DRAFT.encode()
            + b"\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"..\\\\..\\\\Windows\\\\ev\x07il\xe2\x80\xaetxt.exe\"\r\n"
            b"Content-Type: application/x-msdownload\r\n\r\nMZ\r\n--b--\r\n")

    response = as_alice.post("/attachments/upload/", data=body,
                             content_type="multipart/form-data; boundary=b")

    assert response.status_code == 200, response.content
    assert response.json()["uploads"][0]["name"] == "eviltxt.exe"
    row = Upload.objects.get()
    assert row.key == f"uploads/{alice_user.pk}/{DRAFT}/{row.id.hex}"


@pytest.mark.parametrize("raw, cleaned", [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\alice\\report.pdf", "report.pdf"),
    ("bad\x00na\nme\t.txt", "badname.txt"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("  spaced out.txt  ", "spaced out.txt"),
    (".profile", ".profile"),
    ("Cafe\u0301.txt", "Café.txt"),
    ("", "attachment"),
    (None, "attachment"),
    ("..", "attachment"),
    ("dir/", "attachment"),
    ("\x01\x02", "attachment"),
])
def test_filenames_are_cleaned(raw, cleaned):
    assert storage.clean_name(raw) == cleaned


def test_a_long_filename_is_cut_to_255_keeping_its_extension():
    cleaned = storage.clean_name("a" * 300 + ".pdf")
    assert len(cleaned) == 255 and cleaned.endswith("aaa.pdf")
    assert len(storage.clean_name("b" * 300)) == 255


@pytest.mark.parametrize("raw, cleaned", [
    ("text/plain", "text/plain"),
    ("TEXT/HTML; charset=utf-8", "text/html"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("image/svg+xml", "image/svg+xml"),
    ("nonsense", "application/octet-stream"),
    ("", "application/octet-stream"),
    (None, "application/octet-stream"),
    ("text/html\r\nX-Injected: 1", "application/octet-stream"),
    ("a/b/c", "application/octet-stream"),
])
def test_content_types_are_validated(raw, cleaned):
    assert storage.clean_content_type(raw) == cleaned


@pytest.mark.parametrize("size, text", [
    (0, "0 bytes"), (1000, "1000 bytes"), (1536, "1.5 KB"), (25 * MB, "25 MB"),
    (int(30.2 * MB), "30.2 MB"),
])
def test_sizes_read_as_people_write_them(size, text):
    assert storage.human_size(size) == text


# --- Listing and removing --------------------------------------------------------------

def test_the_draft_lists_its_uploads_in_order(as_alice):
    upload(as_alice, a_file("first.txt", b"1"))
    upload(as_alice, a_file("second.txt", b"22"))
    upload(as_alice, a_file("other.txt", b"333"), draft=OTHER_DRAFT)

    body = as_alice.get(f"/attachments/?draft={DRAFT}").json()

    assert [u["name"] for u in body["uploads"]] == ["first.txt", "second.txt"]
    assert body["total"] == 3
    assert as_alice.get("/attachments/?draft=nope").status_code == 400


def test_deleting_removes_the_object_and_the_record(as_alice, media):
    kept = upload(as_alice, a_file("kept.txt", b"keep")).json()["uploads"][0]
    gone = upload(as_alice, a_file("gone.txt", b"remove me")).json()["uploads"][0]

    response = as_alice.post(gone["delete_url"])

    assert response.status_code == 200
    assert response.json() == {"deleted": gone["id"], "total": 4, "limit": 25 * MB}
    assert list(Upload.objects.values_list("name", flat=True)) == ["kept.txt"]
    assert [p.read_bytes() for p in stored_files(media)] == [b"keep"]
    assert as_alice.get(gone["url"]).status_code == 404
    assert as_alice.get(kept["url"]).status_code == 200


def test_deleting_a_drafts_uploads_leaves_other_drafts_and_users_alone(
        alice_user, carol_user, media):
    for owner, draft in [(alice_user, DRAFT), (alice_user, DRAFT), (alice_user, OTHER_DRAFT),
                         (carol_user, DRAFT)]:
        storage.save_upload(owner, draft, a_file())

    assert storage.delete_draft_uploads(alice_user, DRAFT) == 2

    assert sorted(Upload.objects.values_list("owner__username", "draft")) == sorted([
        ("alice@heron.test", OTHER_DRAFT), ("carol@heron.test", DRAFT)])
    assert len(stored_files(media)) == 2


# --- Privacy ---------------------------------------------------------------------------

def test_carol_gets_404_for_alices_upload_and_never_sees_it(as_alice, as_carol, media):
    alices = upload(as_alice, a_file("private.txt", b"alice only")).json()["uploads"][0]

    assert as_carol.get(alices["url"]).status_code == 404
    assert as_carol.get(alices["url"]).json() == {"error": "No such attachment."}
    assert as_carol.post(alices["delete_url"]).status_code == 404
    listing = as_carol.get(f"/attachments/?draft={DRAFT}").json()
    assert listing["uploads"] == [] and listing["total"] == 0
    assert Upload.objects.filter(id=alices["id"]).exists()
    assert [p.read_bytes() for p in stored_files(media)] == [b"alice only"]


def test_carols_uploads_to_the_same_draft_id_do_not_count_against_alice(as_alice, as_carol,
                                                                        settings):
    settings.HERON_MAX_MESSAGE_BYTES = 1000
    assert upload(as_carol, a_file("c.txt", b"c" * 900)).status_code == 200
    assert upload(as_alice, a_file("a.txt", b"a" * 900)).status_code == 200


def test_an_unknown_upload_is_a_404(as_alice):
    missing = uuid.uuid4()
    assert as_alice.get(f"/attachments/{missing}/").status_code == 404
    assert as_alice.post(f"/attachments/{missing}/delete/").status_code == 404
    assert as_alice.get("/attachments/not-a-uuid/").status_code == 404


def test_lookups_are_scoped_by_owner(alice_user, carol_user):
    mine = storage.save_upload(alice_user, DRAFT, a_file())

    assert storage.get_upload(alice_user, mine.id) == mine
    assert storage.get_upload(alice_user, str(mine.id)) == mine
    assert storage.get_upload(carol_user, mine.id) is None
    assert storage.get_upload(alice_user, "../../etc/passwd") is None
    assert storage.uploads_for(carol_user, DRAFT) == []


def test_an_upload_whose_object_vanished_is_a_404(as_alice, media):
    listed = upload(as_alice, a_file()).json()["uploads"][0]
    for path in stored_files(media):
        path.unlink()

    assert as_alice.get(listed["url"]).status_code == 404


# --- Login, methods, CSRF --------------------------------------------------------------

def test_uploads_need_login(client, db):
    assert client.post("/attachments/upload/", {"draft": DRAFT, "file": a_file()}).json() == {
        "error": "not authenticated"}
    assert client.get(f"/attachments/?draft={DRAFT}").status_code == 401
    assert client.post(f"/attachments/{uuid.uuid4()}/delete/").status_code == 401
    download = client.get(f"/attachments/{uuid.uuid4()}/")
    assert download.status_code == 302 and download["Location"].startswith("/accounts/login/")
    assert not Upload.objects.exists()


def test_each_view_answers_only_its_method(as_alice):
    some = uuid.uuid4()
    assert as_alice.get("/attachments/upload/").status_code == 405
    assert as_alice.get(f"/attachments/{some}/delete/").status_code == 405
    assert as_alice.post(f"/attachments/{some}/").status_code == 405
    assert as_alice.post(f"/attachments/?draft={DRAFT}").status_code == 405


def test_csrf_is_enforced_on_upload_and_delete(alice_user, media):
    browser = Client(enforce_csrf_checks=True)
    browser.get("/accounts/login/")  # the login form sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    browser.force_login(alice_user)

    refused = upload(browser, a_file())
    assert refused.status_code == 403
    assert not Upload.objects.exists() and stored_files(media) == []

    accepted = upload(browser, a_file(), headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    delete_url = accepted.json()["uploads"][0]["delete_url"]
    assert browser.post(delete_url).status_code == 403
    assert browser.post(delete_url, headers={"X-CSRFToken": token}).status_code == 200


# --- A storage backend that is down --------------------------------------------------------

def test_a_dead_storage_backend_is_a_clear_503_without_secrets(as_alice, settings, media):
    listed = upload(as_alice, a_file()).json()["uploads"][0]
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "tests.unit.test_uploads.BrokenStorage"}}

    responses = [upload(as_alice, a_file("new.txt")), as_alice.get(listed["url"]),
                 as_alice.post(listed["delete_url"])]

    for response in responses:
        assert response.status_code == 503
        assert response.json() == {"error": "Attachments cannot be stored or read right "
                                            "now; please try again in a moment."}
        assert b"AKIA" not in response.content and b"10.0.0.9" not in response.content
    assert list(Upload.objects.values_list("name", flat=True)) == ["notes.txt"]


def test_storage_failures_name_no_secret(alice_user, settings):
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "tests.unit.test_uploads.BrokenStorage"}}

    with pytest.raises(storage.StorageUnavailable) as failed:
        storage.save_upload(alice_user, DRAFT, a_file())

    assert str(failed.value) == "could not store an upload: ConnectionRefusedError"
    assert not Upload.objects.exists()


# --- purge_uploads ---------------------------------------------------------------------

def _aged(owner, draft, name, hours, size=10):
    made = storage.save_upload(owner, draft, a_file(name, b"z" * size))
    Upload.objects.filter(pk=made.pk).update(created=timezone.now() - timedelta(hours=hours))
    return made


def purge_output(*args):
    out = io.StringIO()
    call_command("purge_uploads", *args, stdout=out)
    return out.getvalue()


def test_purge_uploads_removes_only_abandoned_drafts_and_says_what(alice_user, carol_user,
                                                                   media):
    _aged(alice_user, DRAFT, "old-report.pdf", hours=80, size=2048)
    _aged(carol_user, DRAFT, "fresh.txt", hours=1)
    busy = uuid.uuid4().hex  # an old upload, but its draft had one an hour ago: kept
    _aged(alice_user, busy, "early.txt", hours=100)
    _aged(alice_user, busy, "late.txt", hours=1)

    output = purge_output()

    assert output.splitlines() == [
        "alice@heron.test  old-report.pdf  2 KB  3d 8h old",
        "Removed 1 upload (2 KB) older than 72 hours.",
    ]
    assert sorted(Upload.objects.values_list("name", flat=True)) == [
        "early.txt", "fresh.txt", "late.txt"]
    assert len(stored_files(media)) == 3


def test_purge_uploads_takes_an_age_and_a_dry_run(alice_user, media):
    _aged(alice_user, DRAFT, "a.txt", hours=30, size=MB)
    _aged(alice_user, OTHER_DRAFT, "b.txt", hours=50, size=MB // 2)

    dry = purge_output("--older-than-hours", "24", "--dry-run")
    assert dry.splitlines()[-1] == "Would remove 2 uploads (1.5 MB) older than 24 hours."
    assert Upload.objects.count() == 2 and len(stored_files(media)) == 2

    real = purge_output("--older-than-hours", "24")
    assert [line.split("  ")[1] for line in real.splitlines()[:-1]] == ["b.txt", "a.txt"]
    assert real.splitlines()[-1] == "Removed 2 uploads (1.5 MB) older than 24 hours."
    assert not Upload.objects.exists() and stored_files(media) == []


def test_purge_uploads_says_when_there_is_nothing_to_remove(alice_user):
    _aged(alice_user, DRAFT, "recent.txt", hours=2)
    assert purge_output() == "Nothing to remove.\n"


def test_purge_returns_what_it_removed(alice_user, media):
    old = _aged(alice_user, DRAFT, "old.txt", hours=100)
    _aged(alice_user, OTHER_DRAFT, "new.txt", hours=1)

    assert lifetime.purge(timedelta(hours=72)) == [old]
    assert list(Upload.objects.values_list("name", flat=True)) == ["new.txt"]
    assert len(stored_files(media)) == 1


# --- purge_uploads and files that a saved draft holds (docs/architecture.md) -----------

def _in_saved_draft(upload, uid=7):
    storage.note_saved(upload, mailbox="Drafts", uidvalidity=1, uid=uid, section="2",
                       encoding="base64")
    return upload


def test_purge_never_takes_an_upload_in_no_saved_draft_while_its_window_may_work(
        alice_user, media):
    _aged(alice_user, DRAFT, "fresh.txt", hours=1)
    busy = uuid.uuid4().hex  # an old upload, but its window took one an hour ago
    _aged(alice_user, busy, "early.txt", hours=100)
    _aged(alice_user, busy, "late.txt", hours=1)

    assert purge_output() == "Nothing to remove.\n"
    assert lifetime.purge(timedelta(hours=72)) == []
    assert lifetime.evict_saved(timedelta(hours=72)) == []
    assert Upload.objects.filter(evicted=False).count() == 3
    assert len(stored_files(media)) == 3


def test_purge_evicts_only_the_stored_copy_of_an_upload_a_saved_draft_holds(
        alice_user, media):
    kept = _in_saved_draft(_aged(alice_user, DRAFT, "plan.pdf", hours=100, size=2048))
    busy = uuid.uuid4().hex  # in a saved draft too, but its window is at work
    _in_saved_draft(_aged(alice_user, busy, "early.pdf", hours=100), uid=8)
    _aged(alice_user, busy, "late.txt", hours=1)

    output = purge_output()

    assert output.splitlines() == [
        "alice@heron.test  plan.pdf  2 KB  4d 4h old  (kept in its saved draft)",
        "Evicted the stored copies of 1 upload (2 KB) that saved drafts hold, idle longer "
        "than 72 hours.",
    ]
    kept.refresh_from_db()
    assert kept.evicted and kept.saved_uid == 7, "the record stays, pointing at the draft"
    assert storage.get_upload(alice_user, kept.id) == kept
    assert storage.open_upload(kept) is None and not storage.has_bytes(kept)
    assert len(stored_files(media)) == 2
    assert purge_output() == "Nothing to remove.\n", "evicted once"
    assert Upload.objects.count() == 3


def test_purge_removes_uploads_of_a_window_abandoned_with_no_draft_saved(
        alice_user, media):
    _aged(alice_user, DRAFT, "never saved.txt", hours=100)
    in_draft = _in_saved_draft(_aged(alice_user, OTHER_DRAFT, "saved.txt", hours=100))

    dry = purge_output("--dry-run")
    assert dry.splitlines()[-2:] == [
        "Would remove 1 upload (10 bytes) older than 72 hours.",
        "Would evict the stored copies of 1 upload (10 bytes) that saved drafts hold, idle "
        "longer than 72 hours."]
    assert Upload.objects.count() == 2 and len(stored_files(media)) == 2

    purge_output()
    assert list(Upload.objects.all()) == [in_draft]
    assert stored_files(media) == []


def test_an_evicted_upload_comes_back_byte_for_byte_and_is_removed_with_its_draft(
        alice_user, media):
    data = bytes(range(256)) * 10
    made = _in_saved_draft(storage.save_upload(alice_user, DRAFT, a_file("all.bin", data)))
    storage.evict(made)
    assert stored_files(media) == []

    storage.restore(made, [data[:1000], data[1000:]])

    made.refresh_from_db()
    assert not made.evicted and made.size == len(data) and made.sha256 == sha(data)
    with storage.open_upload(made) as handle:
        assert handle.read() == data
    storage.evict(made)
    assert storage.delete_draft_uploads(alice_user, DRAFT) == 1
    assert not Upload.objects.exists()


def test_only_an_upload_a_saved_draft_holds_may_be_evicted(alice_user, media):
    made = storage.save_upload(alice_user, DRAFT, a_file())
    with pytest.raises(ValueError):
        storage.evict(made)
    assert len(stored_files(media)) == 1
