"""The stack's PostgreSQL replica, Redis and S3 work as Heron relies on them."""
import os
import time
import uuid

import boto3
import psycopg
import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.integration


def _replica_url():
    urls = os.environ.get("DATABASE_REPLICA_URLS", "").split(",")
    if not urls[0]:
        pytest.fail("DATABASE_REPLICA_URLS is not set: run `make test` or source .stack/env")
    return urls[0]


@pytest.mark.django_db(transaction=True)
def test_a_write_on_the_primary_streams_to_the_replica():
    """A committed login record shows up on the replica: streaming replication is live."""
    from accounts.models import LoginEvent

    marker = f"replica-check-{uuid.uuid4().hex}@heron.test"
    LoginEvent.objects.create(username=marker, outcome=LoginEvent.Outcome.SUCCESS,
                              client_ip="127.0.0.1")
    test_db = django_settings.DATABASES["default"]["NAME"]
    url = _replica_url().rsplit("/", 1)[0] + "/" + test_db
    deadline = time.monotonic() + 10
    with psycopg.connect(url, connect_timeout=3, autocommit=True) as replica:
        in_recovery = replica.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        assert in_recovery, "the replica URL points at a server that is not a standby"
        while True:
            row = replica.execute("SELECT count(*) FROM accounts_loginevent WHERE username = %s",
                                  [marker]).fetchone()
            if row[0] == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert row[0] == 1


def test_the_replica_refuses_writes():
    with psycopg.connect(_replica_url(), connect_timeout=3, autocommit=True) as replica:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            replica.execute("CREATE TABLE should_not_exist (id int)")


def test_sessions_and_cache_live_in_redis(settings):
    """Two frontends share sessions only if the session engine really is the Redis cache."""
    from django.core.cache import caches
    from django_redis import get_redis_connection

    assert settings.SESSION_ENGINE == "webmail.session_store"
    caches["sessions"].set("probe", "shared", 30)
    raw = get_redis_connection("sessions")
    assert any(b"probe" in key for key in raw.keys("*probe*"))


def test_the_storage_backend_is_the_stack_s3_bucket(client):
    from attachments.storage import check

    check()  # raises if the bucket cannot be written, read and cleaned
    s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"],
                      region_name=os.environ.get("S3_REGION", "us-east-1"))
    listed = s3.list_objects_v2(Bucket=os.environ["S3_BUCKET"], Prefix="health/")
    assert listed.get("KeyCount", 0) == 0, "the readiness probe left an object behind"


@pytest.mark.django_db
def test_readyz_reports_every_part_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "storage": "ok"}
