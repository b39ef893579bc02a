"""The mail core reports through webmail/imap/hooks.py; metrics listens, installed from
WebmailConfig.ready(), so the core never imports it."""
import pytest
from prometheus_client import REGISTRY

from webmail import mail, metrics
from webmail.imap import hooks
from webmail.imap.state import MailboxCache


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def listening():
    """The reports as a list, for one test; then metrics' counters listen again."""
    heard = []
    hooks.install(on_command=lambda name, seconds: heard.append(("command", name)),
                  on_cache_lookups=lambda use, hits, misses: heard.append((use, hits, misses)))
    yield heard
    metrics.install(pool_size=mail.POOL.size)


def test_a_lookup_of_the_core_cache_reaches_the_metrics():
    misses = sample("heron_cache_lookups_total", use="folder-list", result="miss")
    MailboxCache("imap.hooks.test", 993, "nobody@hooks.test").folders()
    assert sample("heron_cache_lookups_total", use="folder-list",
                  result="miss") == misses + 1


def test_an_imap_command_reaches_the_metrics():
    count = sample("heron_imap_command_duration_seconds_count", command="hooks-test")
    hooks.imap_command("hooks-test", 0.002)
    assert sample("heron_imap_command_duration_seconds_count",
                  command="hooks-test") == count + 1


def test_one_lookup_is_a_hit_or_a_miss(listening):
    hooks.cache_lookup("folder-list", True)
    hooks.cache_lookup("folder-list", False)
    hooks.cache_lookups("mailbox-summary", 3, 1)
    assert listening == [("folder-list", 1, 0), ("folder-list", 0, 1),
                         ("mailbox-summary", 3, 1)]


def test_without_a_listener_the_reports_go_nowhere():
    hooks.install()
    try:
        hooks.imap_command("select", 0.001)
        hooks.cache_lookup("folder-list", False)
    finally:
        metrics.install(pool_size=mail.POOL.size)
