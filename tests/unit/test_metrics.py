"""/metrics: what it counts, and who may read it."""
import os
import subprocess
import sys
from ipaddress import ip_network
from pathlib import Path

from prometheus_client import REGISTRY

from accounts.domains import servers_for
from tests.unit.conftest import log_in
from webmail import mail

ROOT = Path(__file__).resolve().parents[2]


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def requests_of(view, status="200", method="GET"):
    return sample("heron_requests_total", view=view, method=method, status=status)


def test_loopback_reads_the_metrics_in_prometheus_text_format(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "Cache-Control" in response and "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    assert 'heron_requests_total{method="GET",status="200",view="healthz"}' in text
    assert "# TYPE heron_request_duration_seconds histogram" in text


def test_other_addresses_get_404(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 404
    assert b"heron_" not in response.content


def test_other_addresses_get_404_for_other_methods_too(client):
    assert client.post("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 404


def test_a_bearer_of_the_metrics_token_reads_them_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    allowed = client.get("/metrics", REMOTE_ADDR="203.0.113.7",
                         HTTP_AUTHORIZATION="Bearer scrape-token-0123456789")
    assert allowed.status_code == 200
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.7",
                         HTTP_AUTHORIZATION="Bearer scrape-token-guessed")
    assert refused.status_code == 404


def test_allowed_networks_are_configurable(client, settings):
    settings.METRICS_ALLOWED_IPS = [ip_network("10.8.0.0/16")]
    assert client.get("/metrics", REMOTE_ADDR="10.8.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_a_request_relayed_by_an_untrusted_proxy_gets_404(client, settings):
    # nginx on the same host, TRUSTED_PROXIES not set: the peer is loopback, the asker is not.
    settings.TRUSTED_PROXIES = []
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1",
                          HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 404


def test_behind_a_trusted_proxy_the_client_address_decides(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    settings.METRICS_ALLOWED_IPS = [ip_network("192.0.2.0/24")]
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.2",
                      HTTP_X_FORWARDED_FOR="192.0.2.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.2",
                      HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 404


def test_requests_are_counted_by_view_name_not_by_path(alice):
    before = requests_of("webmail:message")
    seconds_before = sample("heron_request_duration_seconds_count", view="webmail:message")
    assert alice.get("/mail/message/7/?folder=INBOX").status_code == 200
    assert requests_of("webmail:message") == before + 1
    assert sample("heron_request_duration_seconds_count",
                  view="webmail:message") == seconds_before + 1
    text = alice.get("/metrics").content.decode()
    assert "/mail/message" not in text and "INBOX" not in text


def test_unknown_paths_share_one_label(client):
    before = requests_of("unmatched", status="404")
    client.get("/wp-login.php")
    client.get("/no/such/page-12345")
    assert requests_of("unmatched", status="404") == before + 2
    assert "page-12345" not in client.get("/metrics").content.decode()


def test_failed_logins_are_counted_by_outcome(client, fake_server, db):
    before = sample("heron_login_attempts_total", outcome="bad_credentials")
    successes = sample("heron_login_attempts_total", outcome="success")
    log_in(client, password="not-her-password")
    log_in(client)
    assert sample("heron_login_attempts_total", outcome="bad_credentials") == before + 1
    assert sample("heron_login_attempts_total", outcome="success") == successes + 1


def test_cache_reads_are_counted_as_hits_and_misses(db):
    hits = sample("heron_cache_lookups_total", use="domain-servers", result="hit")
    misses = sample("heron_cache_lookups_total", use="domain-servers", result="miss")
    servers_for("someone@metrics.example")
    servers_for("someone@metrics.example")
    assert sample("heron_cache_lookups_total", use="domain-servers", result="miss") == misses + 1
    assert sample("heron_cache_lookups_total", use="domain-servers", result="hit") == hits + 1


def test_the_pool_gauge_shows_the_pooled_connections(alice):
    alice.get("/mail/")
    assert mail.POOL.size() == 1
    assert sample("heron_imap_pool_connections") == 1


_COUNT_ONE_LOGIN = """
import django; django.setup()
from webmail import metrics
metrics.login_attempt("bad_credentials")
"""
_EXPOSE = """
import django; django.setup()
from webmail import metrics
print(metrics.exposition().decode())
"""


def test_in_multiprocess_mode_a_scrape_adds_up_every_worker(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET")}
    env.update(PROMETHEUS_MULTIPROC_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="webmail.settings")

    def run(code):
        return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True, timeout=60).stdout

    run(_COUNT_ONE_LOGIN)
    run(_COUNT_ONE_LOGIN)
    assert 'heron_login_attempts_total{outcome="bad_credentials"} 2.0' in run(_EXPOSE)


def test_the_queue_shows_its_jobs_its_oldest_due_one_and_failures(client, db):
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from webmail import tasks
    from webmail.models import HeldMessage
    owner = get_user_model().objects.create(username="alice@heron.test")
    now = timezone.now()
    for state in (HeldMessage.State.QUEUED, HeldMessage.State.FAILED, HeldMessage.State.SENT):
        HeldMessage.objects.create(owner=owner, kind="later", state=state, send_at=now,
                                   filed_headers=b"", draft_key="0" * 32)
    tasks.tick.using(run_after=now - timedelta(seconds=90)).enqueue("a")
    tasks.tick.using(run_after=now + timedelta(hours=1)).enqueue("b")
    text = client.get("/metrics").content.decode()
    figures = {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
               if line.startswith("heron_queue_")}
    assert figures["heron_queue_jobs_waiting"] == 2 and figures["heron_queue_jobs_due"] == 1
    assert 90 <= figures["heron_queue_oldest_due_seconds"] < 150
    assert figures["heron_queue_held_waiting"] == 1
    assert figures["heron_queue_held_failures"] == 1
    assert "# HELP heron_queue_oldest_due_seconds How long the oldest due job" in text
