import pytest

from tests.helpers import FakeMailServer, make_summaries
from webmail import mail

PASSWORDS = {"alice@heron.test": "alice-secret-pw", "carol@heron.test": "carol-secret-pw"}


@pytest.fixture
def fake_server(monkeypatch):
    server = FakeMailServer({
        "alice@heron.test": {"password": PASSWORDS["alice@heron.test"], "folders": {
            "INBOX": make_summaries(120),
            "Sent": make_summaries(3, start_uid=500),
            "Trash": [],
            "Projects": make_summaries(2, start_uid=700),
            "Projects/Heron": make_summaries(4, start_uid=800),
        }},
        "carol@heron.test": {"password": PASSWORDS["carol@heron.test"], "folders": {
            "INBOX": make_summaries(2, start_uid=900),
        }},
    })
    monkeypatch.setattr(mail.POOL, "factory", server.factory)
    return server


def log_in(client, username="alice@heron.test", password=None):
    return client.post("/accounts/login/", {
        "username": username, "password": password or PASSWORDS[username]})


@pytest.fixture
def alice(client, fake_server, db):
    response = log_in(client)
    assert response.status_code == 302, response.content[:500]
    return client


SERVICE, SERVICE_PW = "heron-service", "service-secret"


@pytest.fixture
def service_server(fake_server, settings):
    """The fake server with a service login that may act for any of its users (as a
    Dovecot master passdb), and Heron set to log in with it: what its workers use."""
    settings.HERON_SERVICE_USER, settings.HERON_SERVICE_PASSWORD = SERVICE, SERVICE_PW
    fake_server.services = {SERVICE: SERVICE_PW}
    return fake_server
