"""The per-user upload quota, and the limits holding against uploads in parallel."""
import uuid
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from attachments import lifetime, limits, storage
from attachments.models import Upload
from tests.unit.test_uploads import (  # noqa: F401
    DRAFT,
    OTHER_DRAFT,
    a_file,
    alice_user,
    as_alice,
    carol_user,
    media,
    stored_files,
    upload,
)

pytestmark = pytest.mark.django_db
THIRD_DRAFT = uuid.uuid4().hex


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.HERON_MAX_MESSAGE_BYTES = 1000
    settings.HERON_UPLOAD_QUOTA_BYTES = 1500


def held(owner, draft, size, stored=True, name="earlier.bin"):
    """An upload of `owner` already recorded: stored, or reserved by one still on its way."""
    return Upload.objects.create(owner=owner, draft=draft, name=name, size=size, stored=stored,
                                 sha256="" if not stored else "0" * 64,
                                 key=f"uploads/{owner.pk}/{draft}/{uuid.uuid4().hex}")


def test_uploads_to_every_draft_count_against_the_quota_with_a_clear_413(
        as_alice, alice_user, media):
    assert upload(as_alice, a_file("a.bin", b"a" * 900)).status_code == 200
    assert upload(as_alice, a_file("b.bin", b"b" * 500), draft=OTHER_DRAFT).status_code == 200

    refused = upload(as_alice, a_file("c.bin", b"c" * 200), draft=THIRD_DRAFT)

    assert refused.status_code == 413
    assert refused.json() == {"error": (
        "Your attachments waiting to be sent are limited to 1.5 KB in all; c.bin (200 bytes) "
        "would make them 1.6 KB. Send or discard a draft with attachments to make room.")}
    assert sorted(Upload.objects.values_list("name", flat=True)) == ["a.bin", "b.bin"]
    assert len(stored_files(media)) == 2


def test_other_users_uploads_do_not_count_against_alices_quota(as_alice, carol_user):
    held(carol_user, DRAFT, 1400)
    assert upload(as_alice, a_file("a.bin", b"a" * 900)).status_code == 200


def test_a_file_only_a_saved_draft_holds_counts_in_its_draft_not_in_the_quota(
        as_alice, alice_user):
    evicted = held(alice_user, OTHER_DRAFT, 1000)
    Upload.objects.filter(pk=evicted.pk).update(evicted=True, saved_uid=3)
    assert upload(as_alice, a_file("a.bin", b"a" * 900)).status_code == 200, "storage has room"
    refused = upload(as_alice, a_file("b.bin", b"b" * 10), draft=OTHER_DRAFT)
    assert refused.status_code == 413, "the message would carry it"
    assert refused.json()["error"].startswith("Attachments are limited to 1000 bytes a message")


def test_the_message_limit_is_told_before_the_quota(as_alice, alice_user):
    held(alice_user, OTHER_DRAFT, 1000)
    refused = upload(as_alice, a_file("a.bin", b"a" * 1001))
    assert refused.status_code == 413
    assert refused.json()["error"].startswith("Attachments are limited to 1000 bytes a message")


def test_an_upload_still_on_its_way_counts_against_both_limits(alice_user, media):
    held(alice_user, DRAFT, 900, stored=False)
    with pytest.raises(storage.TooLarge, match="a message"):
        storage.save_upload(alice_user, DRAFT, a_file("b.bin", b"b" * 200))
    held(alice_user, OTHER_DRAFT, 500, stored=False)
    with pytest.raises(storage.TooLarge, match="in all"):
        storage.save_upload(alice_user, THIRD_DRAFT, a_file("c.bin", b"c" * 200))
    assert stored_files(media) == []


def test_an_upload_on_its_way_is_not_listed_downloaded_or_sent(as_alice, alice_user):
    pending = held(alice_user, DRAFT, 10, stored=False)
    assert storage.uploads_for(alice_user, DRAFT) == []
    assert storage.get_upload(alice_user, pending.id) is None
    assert as_alice.get(f"/attachments/{pending.id}/").status_code == 404
    assert as_alice.get(f"/attachments/?draft={DRAFT}").json()["uploads"] == []


def test_a_stored_upload_is_settled_at_its_real_size(alice_user, media):
    saved = storage.save_upload(alice_user, DRAFT, a_file("a.bin", b"a" * 300))
    row = Upload.objects.get()
    assert (row.stored, row.size, row.sha256) == (True, 300, saved.sha256)
    assert limits.draft_total(alice_user, DRAFT) == 300


def test_a_stream_over_the_quota_stops_while_read_and_leaves_nothing(alice_user, media):
    held(alice_user, OTHER_DRAFT, 1000)

    with pytest.raises(storage.TooLarge, match="in all"):
        storage.save_stream(alice_user, DRAFT, "forwarded.eml", "message/rfc822",
                            [b"x" * 400, b"y" * 400])

    assert list(Upload.objects.values_list("draft", flat=True)) == [OTHER_DRAFT]
    assert stored_files(media) == []


class RacedStorage(FileSystemStorage):
    """Local files; while one is being written, another upload of its owner lands."""

    def _save(self, name, content):
        owner = Upload.objects.get(key=name).owner
        held(owner, OTHER_DRAFT, 1000, name="parallel.bin")
        return super()._save(name, content)


def test_a_parallel_upload_that_got_in_first_is_counted_when_a_stream_settles(
        alice_user, media, settings):
    """A stream reserves nothing (its size is unknown), so another upload may be recorded
    while it is read; settling it checks again under the lock and refuses it."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "tests.unit.test_upload_quota.RacedStorage",
        "OPTIONS": {"location": str(media)}}}

    with pytest.raises(storage.TooLarge, match="in all"):
        storage.save_stream(alice_user, DRAFT, "forwarded.eml", "message/rfc822", [b"x" * 600])

    assert list(Upload.objects.values_list("name", flat=True)) == ["parallel.bin"]
    assert stored_files(media) == []


def test_a_failed_store_releases_its_reservation(alice_user, settings, media):
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "tests.unit.test_uploads.BrokenStorage"}}
    with pytest.raises(storage.StorageUnavailable):
        storage.save_upload(alice_user, DRAFT, a_file())
    assert not Upload.objects.exists()


def test_purge_removes_reservations_whose_upload_died(alice_user, media):
    dead = held(alice_user, DRAFT, 500, stored=False)
    Upload.objects.filter(pk=dead.pk).update(
        created=timezone.now() - lifetime.UNSTORED_AFTER - timedelta(minutes=1))
    alive = held(alice_user, DRAFT, 100, stored=False)

    assert lifetime.purge(timedelta(hours=72)) == [dead]
    assert list(Upload.objects.all()) == [alive]
