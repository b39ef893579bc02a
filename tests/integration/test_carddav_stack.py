"""The stack's Radicale (deploy/stack/radicale.sh): the stack's users, one book each, each
user's books their own."""
import os

import httpx
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def base(stack_users):
    url = os.environ.get("HERON_STACK_CARDDAV_URL")
    if not url:
        pytest.fail("HERON_STACK_CARDDAV_URL is not set: the stack has no Radicale")
    return url


def propfind(base, path, user, password):
    return httpx.request("PROPFIND", f"{base}{path}", auth=(user, password),
                         headers={"Depth": "0"}, timeout=10)


def test_every_stack_user_logs_in_and_has_an_address_book(base, stack_users):
    for user, password in stack_users.items():
        answer = propfind(base, f"{user}/contacts/", user, password)
        assert answer.status_code == 207, user
        assert "addressbook" in answer.text


def test_a_wrong_password_is_refused(base, stack_users):
    assert propfind(base, "alice@heron.test/contacts/", "alice@heron.test",
                    "wrong").status_code == 401


def test_a_user_cannot_read_anothers_book(base, stack_users):
    answer = propfind(base, "alice@heron.test/contacts/", "bob@heron.test",
                      stack_users["bob@heron.test"])
    assert answer.status_code in (403, 404)


def test_it_listens_on_loopback_only(base):
    """The kernel's table of listening sockets (/proc/net/tcp*) has Radicale's port on
    127.0.0.1 alone: not on 0.0.0.0, nor on IPv6."""
    port = f"{int(base.rsplit(':', 1)[1].strip('/')):04X}"
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                if state == "0A" and local.endswith(f":{port}"):
                    listening.append(local.split(":")[0])
    assert listening == ["0100007F"]
