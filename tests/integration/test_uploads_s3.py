"""Compose uploads against the stack's S3 server: streamed in, read back, removed."""
import hashlib
import os
import uuid
from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from attachments import lifetime, storage
from attachments.models import Upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
MB = 1024 * 1024


@pytest.fixture
def s3():
    if not os.environ.get("S3_BUCKET") or not os.environ.get("S3_ENDPOINT_URL"):
        pytest.fail("S3_BUCKET is not set: run `make test` or source .stack/env")
    assert django_settings.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"],
                        region_name=os.environ.get("S3_REGION", "us-east-1"))


@pytest.fixture
def draft(s3):
    """A fresh compose id; whatever a test leaves under it in the bucket is cleared after."""
    draft = uuid.uuid4().hex
    yield draft
    bucket = os.environ["S3_BUCKET"]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="uploads/"):
        for item in page.get("Contents", []):
            if f"/{draft}/" in item["Key"]:
                s3.delete_object(Bucket=bucket, Key=item["Key"])


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user(username="bob@heron.test")


@pytest.fixture
def as_bob(bob):
    client = Client()
    client.force_login(bob)
    return client


def _object_sha256(s3, key):
    body = s3.get_object(Bucket=os.environ["S3_BUCKET"], Key=key)["Body"]
    digest = hashlib.sha256()
    for chunk in iter(lambda: body.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _exists(s3, key):
    try:
        s3.head_object(Bucket=os.environ["S3_BUCKET"], Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


# 5 MB goes up in one PUT; 12 MB passes boto3's 8 MB threshold and goes up in parts.
@pytest.mark.parametrize("size", [5 * MB, 12 * MB])
def test_an_upload_streams_into_the_bucket_reads_back_and_is_removed(as_bob, s3, draft, size):
    data = os.urandom(size)
    expected = hashlib.sha256(data).hexdigest()

    response = as_bob.post("/attachments/upload/", {
        "draft": draft, "file": SimpleUploadedFile("scan.pdf", data, "application/pdf")})

    assert response.status_code == 200, response.content
    listed = response.json()["uploads"][0]
    assert (listed["size"], listed["sha256"]) == (size, expected)
    key = Upload.objects.get(id=listed["id"]).key
    assert key.startswith("uploads/") and f"/{draft}/" in key and "scan" not in key
    assert _object_sha256(s3, key) == expected

    download = as_bob.get(listed["url"])
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == expected

    deleted = as_bob.post(listed["delete_url"])
    assert deleted.status_code == 200 and deleted.json()["total"] == 0
    assert not _exists(s3, key)
    assert not Upload.objects.filter(id=listed["id"]).exists()


def test_a_file_growing_past_the_limit_leaves_nothing_in_the_bucket(bob, s3, draft, settings):
    settings.HERON_MAX_MESSAGE_BYTES = 10 * MB
    liar = SimpleUploadedFile("huge.bin", os.urandom(20 * MB))
    liar.size = 1  # the declared size passes; the bytes read do not

    with pytest.raises(storage.TooLarge):
        storage.save_upload(bob, draft, liar)

    bucket = os.environ["S3_BUCKET"]
    prefix = f"uploads/{bob.pk}/{draft}/"
    assert s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0) == 0
    unfinished = s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
    assert unfinished == [], "the abandoned multipart upload was not aborted"
    assert not Upload.objects.exists()


def test_purge_removes_abandoned_uploads_from_the_bucket(bob, s3, draft):
    old = storage.save_upload(bob, draft, SimpleUploadedFile("old.txt", b"old"))
    Upload.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(hours=100))
    assert _exists(s3, old.key)

    assert lifetime.purge(timedelta(hours=72)) == [old]

    assert not _exists(s3, old.key)
