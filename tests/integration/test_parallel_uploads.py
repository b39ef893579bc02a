"""Uploads fired at once, as from several tabs or frontends: the limits hold, on the stack's
PostgreSQL primary and S3 bucket, and nothing refused is left in the bucket."""
import os
import threading
import uuid

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client

from attachments.models import Upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
KB = 1024
PARALLEL = 8


@pytest.fixture
def bucket():
    if not os.environ.get("S3_BUCKET") or not os.environ.get("DATABASE_URL"):
        pytest.fail("the stack is not set: run `make test` or source .stack/env")
    assert django_settings.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert connections["default"].vendor == "postgresql"
    s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"],
                      region_name=os.environ.get("S3_REGION", "us-east-1"))
    return s3, os.environ["S3_BUCKET"]


@pytest.fixture
def dave(django_user_model, bucket):
    user = django_user_model.objects.create_user(username=f"dave-{uuid.uuid4().hex[:8]}@heron.test")
    yield user
    s3, name = bucket
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=name, Prefix=f"uploads/{user.pk}/"):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])


def fire_at_once(user, drafts, size):
    """One browser per upload, each in its own thread (and database connection), released
    together; returns the status codes."""
    clients = []
    for _ in drafts:
        client = Client()
        client.force_login(user)
        clients.append(client)
    start = threading.Barrier(len(drafts))
    statuses = [None] * len(drafts)

    def send(index):
        try:
            start.wait()
            response = clients[index].post("/attachments/upload/", {
                "draft": drafts[index],
                "file": SimpleUploadedFile(f"part-{index}.bin", os.urandom(size))})
            statuses[index] = response.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(drafts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def keys_in_bucket(bucket, user):
    s3, name = bucket
    listed = s3.list_objects_v2(Bucket=name, Prefix=f"uploads/{user.pk}/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_parallel_uploads_to_one_draft_stay_within_the_message_limit(dave, bucket, settings):
    settings.HERON_MAX_MESSAGE_BYTES = 1000 * KB
    draft = uuid.uuid4().hex

    statuses = fire_at_once(dave, [draft] * PARALLEL, 300 * KB)

    assert sorted(statuses) == [200] * 3 + [413] * (PARALLEL - 3), statuses
    kept = Upload.objects.filter(owner=dave, draft=draft)
    assert sum(upload.size for upload in kept) == 900 * KB
    assert all(upload.stored for upload in kept)
    assert keys_in_bucket(bucket, dave) == sorted(upload.key for upload in kept)


def test_parallel_uploads_to_many_drafts_stay_within_the_quota(dave, bucket, settings):
    settings.HERON_UPLOAD_QUOTA_BYTES = 1000 * KB
    drafts = [uuid.uuid4().hex for _ in range(PARALLEL)]

    statuses = fire_at_once(dave, drafts, 300 * KB)

    assert sorted(statuses) == [200] * 3 + [413] * (PARALLEL - 3), statuses
    kept = Upload.objects.filter(owner=dave)
    assert sum(upload.size for upload in kept) == 900 * KB
    assert keys_in_bucket(bucket, dave) == sorted(upload.key for upload in kept)
