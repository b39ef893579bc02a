"""/readyz: the per-dependency detail for operators only, and no writes for anyone."""
import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage

from attachments.storage import StorageUnavailable
from webmail import health

PUBLIC = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.fixture(autouse=True)
def fresh_probes(monkeypatch):
    monkeypatch.setattr(health, "_probed", {})


@pytest.fixture
def storage_down(monkeypatch):
    def refuse():
        raise StorageUnavailable("ConnectionError")
    monkeypatch.setitem(health.CHECKS, "storage", refuse)


@pytest.fixture
def no_writes(monkeypatch):
    """Fails the test on any write to storage or the cache."""
    def refuse(*args, **kwargs):
        raise AssertionError("a readiness probe wrote")
    for name in ("save", "delete"):
        monkeypatch.setattr(default_storage, name, refuse)
    for name in ("set", "add", "delete", "set_many"):
        monkeypatch.setattr(cache, name, refuse)


@pytest.mark.django_db
def test_an_operator_address_sees_every_dependency(client):
    response = client.get("/readyz")  # the test client's address is 127.0.0.1
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {
        "database": "ok", "cache": "ok", "storage": "ok"},
        "queue": {"jobs_waiting": 0, "jobs_due": 0, "oldest_due_seconds": 0.0,
                  "jobs_running": 0, "jobs_failed_last_day": 0, "held_waiting": 0,
                  "held_failures": 0}}


@pytest.mark.django_db
def test_a_public_address_gets_only_the_status(client):
    response = client.get("/readyz", **PUBLIC)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_a_failing_dependency_is_named_to_an_operator(client, storage_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "failing: StorageUnavailable"


@pytest.mark.django_db
def test_a_failing_dependency_is_a_bare_503_to_the_public(client, storage_down):
    response = client.get("/readyz", **PUBLIC)
    assert response.status_code == 503
    assert response.json() == {"status": "failing"}


@pytest.mark.django_db
def test_a_bearer_of_the_metrics_token_sees_the_detail_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    response = client.get("/readyz", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789",
                          **PUBLIC)
    assert set(response.json()["checks"]) == {"database", "cache", "storage"}
    wrong = client.get("/readyz", HTTP_AUTHORIZATION="Bearer guessed", **PUBLIC)
    assert wrong.json() == {"status": "ok"}


@pytest.mark.django_db
def test_a_visitor_behind_the_trusted_proxy_gets_only_the_status(client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    response = client.get("/readyz", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_probes_write_nothing_to_storage_or_the_cache(client, no_writes):
    for _ in range(3):
        assert client.get("/readyz", **PUBLIC).status_code == 200
        assert client.get("/readyz").json()["checks"]["storage"] == "ok"


@pytest.mark.django_db
def test_public_hits_in_a_burst_probe_storage_once(client, monkeypatch):
    probes = []
    monkeypatch.setitem(health.CHECKS, "storage", lambda: probes.append(1))
    for _ in range(20):
        client.get("/readyz", **PUBLIC)
    assert len(probes) == 1


@pytest.mark.django_db
def test_dead_storage_shows_to_the_public_within_the_probe_interval(client, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(health, "clock", lambda: now[0])
    assert client.get("/readyz", **PUBLIC).status_code == 200

    def refuse():
        raise StorageUnavailable("ConnectionError")
    monkeypatch.setitem(health.CHECKS, "storage", refuse)
    now[0] += health.PROBE_SECONDS
    assert client.get("/readyz", **PUBLIC).status_code == 503
    # An operator is never answered from memory.
    monkeypatch.setitem(health.CHECKS, "storage", lambda: None)
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_takes_only_get(client):
    assert client.post("/readyz").status_code == 405
