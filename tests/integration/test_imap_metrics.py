"""Every IMAP command the layer sends is counted and timed in /metrics, by command."""
import pytest
from prometheus_client import REGISTRY

from webmail.imap.session import MailSession

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def commands_sent(command):
    return REGISTRY.get_sample_value(
        "heron_imap_command_duration_seconds_count", {"command": command}) or 0.0


def test_imap_commands_are_counted_by_command(demo_server):
    logins, listings = commands_sent("login"), commands_sent("list_folders")
    session = MailSession(demo_server, timeout=10)
    session.login("demo@heron.demo", "demopass")
    try:
        session.list_mailboxes()
    finally:
        session.close()
    assert commands_sent("login") == logins + 1
    assert commands_sent("list_folders") == listings + 1
    assert session.commands >= 2
