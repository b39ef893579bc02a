"""A request opens the vault and resolves the user's servers once, however often it speaks
to the mail servers (the send view: IMAP for the draft and Sent, SMTP for the message) and
with the middleware's check that the user's domain is active."""
import re
import uuid

import pytest

from accounts import domains, vault
from webmail import mail, smtp

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(monkeypatch):
    calls = {"vault": 0, "servers": 0}
    open_vault, servers_for = vault.open_vault, domains.servers_for

    def counting_vault(request):
        calls["vault"] += 1
        return open_vault(request)

    def counting_servers(address, user=None):
        calls["servers"] += 1
        return servers_for(address, user)

    monkeypatch.setattr(vault, "open_vault", counting_vault)
    monkeypatch.setattr(domains, "servers_for", counting_servers)
    return calls


def test_sending_opens_the_vault_and_resolves_the_servers_once(alice, monkeypatch, counted):
    sent = []
    monkeypatch.setattr(smtp, "send", lambda config, username, password, envelope, message,
                        **options: sent.append((config, username, password)))
    page = alice.get("/mail/compose/").content.decode()
    identity = re.search(r'<option value="(\d+)"[^>]*selected', page).group(1)
    counted.update(vault=0, servers=0)
    response = alice.post("/mail/compose/send/", {
        "draft": uuid.uuid4().hex, "identity": identity, "to": "bob@x.test",
        "subject": "Once", "body": "Hello"})
    assert response.status_code == 302
    assert len(sent) == 1 and sent[0][2] == "alice-secret-pw"
    assert counted == {"vault": 1, "servers": 1}


def test_the_account_keeps_the_password_out_of_its_repr():
    account = mail.Account("alice@heron.test", "alice-secret-pw", None)
    assert "alice-secret-pw" not in repr(account)
