"""Folders other users share, in their own section of the tree, with what their rights allow;
and the tree of subscribed folders. alice shares folders with bob as a desktop client would
(SETACL), on the stack's Cyrus (other users' folders under "Other Users/alice/", rights in
the folder list's one LIST: LIST-MYRIGHTS) and on its Dovecot (the acl plugin, a shared
namespace "Shared/alice@heron.test/", rights asked with MYRIGHTS folder by folder).
"""
import os
import secrets

import pytest
from django.test import Client
from imapclient import IMAPClient

from accounts.models import Route
from tests.integration.conftest import log_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ALICE, BOB = "alice@heron.test", "bob@heron.test"


SERVERS = {"cyrus": ("CYRUS_IMAP_HOST", "CYRUS_IMAP_PORT", "Other Users/alice/"),
           "dovecot": ("IMAP_HOST", "IMAP_PORT", "Shared/alice@heron.test/")}


def imap(kind, user, password):
    host, port, _prefix = SERVERS[kind]
    client = IMAPClient(os.environ[host], port=int(os.environ[port]), ssl=False, timeout=10)
    client.login(user, password)
    return client


@pytest.fixture(params=sorted(SERVERS))
def shared(request, stack_users):
    """A folder of alice's that bob may read ("lrs") and one he may fill ("lrsi"), and bob's
    own unsubscribed folder; Heron sends alice and bob to that server. bob's name for each
    of alice's is under "seen_<key>"."""
    kind = request.param
    host, port, prefix = SERVERS[kind]
    for user in (ALICE, BOB):
        Route.objects.create(pattern=user, imap_host=os.environ[host],
                             imap_port=int(os.environ[port]), imap_security="none",
                             sieve_port=0)
    token = secrets.token_hex(4)
    names = {"read": f"Read-{token}", "drop": f"Drop-{token}", "own": f"Quiet-{token}"}
    names.update({f"seen_{key}": prefix + names[key] for key in ("read", "drop")}, kind=kind)
    alice = imap(kind, ALICE, stack_users[ALICE])
    for key, rights in (("read", "lrs"), ("drop", "lrsi")):
        alice.create_folder(names[key])
        alice.append(names[key], b"From: alice@heron.test\r\nSubject: Shared " + token.encode()
                     + b"\r\n\r\nFor bob.\r\n")
        alice.setacl(names[key], BOB, rights)
    bob = imap(kind, BOB, stack_users[BOB])
    bob.create_folder(names["own"])
    bob.unsubscribe_folder(names["own"])
    yield names
    bob.delete_folder(names["own"])
    bob.logout()
    for key in ("read", "drop"):
        alice.delete_folder(names[key])
    alice.logout()


def logged_in(user, password):
    client = Client()
    assert log_in(client, user, password).status_code == 302
    return client


def test_bob_sees_alices_shared_folders_in_their_own_section_and_reads_them(shared,
                                                                            stack_users):
    bob = logged_in(BOB, stack_users[BOB])
    page = bob.get("/mail/").content.decode()
    heading = page.index('id="folders-other">Other users</h2>')
    read_name = shared["seen_read"]
    assert page.index(f'data-folder="{read_name}"') > heading
    assert f">{shared['read']}<" in page or f">alice/{shared['read']}<" in page

    folder = bob.get("/mail/", {"mailbox": read_name})
    assert folder.status_code == 200
    text = folder.content.decode()
    assert "Shared " in text and 'name="action" value="read"' in text
    for action in ("delete", "move", "archive", "flag"):
        assert f'name="action" value="{action}"' not in text, action


def test_only_folders_bob_may_fill_are_offered_as_move_targets(shared, stack_users):
    bob = logged_in(BOB, stack_users[BOB])
    page = bob.get("/mail/").content.decode()
    targets = page[page.index('id="move-target"'):]
    targets = targets[:targets.index("</select>")]
    assert f'value="{shared["seen_drop"]}"' in targets
    assert f'value="{shared["seen_read"]}"' not in targets


def test_bob_copies_a_message_into_the_folder_he_may_fill(shared, stack_users):
    bob = logged_in(BOB, stack_users[BOB])
    inbox = bob.get("/api/messages/", {"mailbox": "INBOX"}).json()["messages"]
    target = shared["seen_drop"]
    answer = bob.post("/mail/actions/", {"action": "copy", "mailbox": "INBOX",
                                         "uids": [inbox[0]["uid"]], "target": target},
                      HTTP_ACCEPT="application/json")
    assert answer.status_code == 200, answer.content[:300]
    alice = imap(shared["kind"], ALICE, stack_users[ALICE])
    alice.select_folder(shared["drop"], readonly=True)
    assert len(alice.search(["ALL"])) == 2
    alice.logout()


def test_an_unsubscribed_folder_waits_behind_show_all_folders(shared, stack_users):
    bob = logged_in(BOB, stack_users[BOB])
    page = bob.get("/mail/").content.decode()
    at = page.index(f'data-folder="{shared["own"]}"')
    assert "unsubscribed" in page[:at].rsplit("<li", 1)[1]
    assert 'id="show-all-folders"' in page
    bob.post("/mail/folders/subscribe/", {"mailbox": shared["own"], "subscribed": "1"})
    page = bob.get("/mail/").content.decode()
    at = page.index(f'data-folder="{shared["own"]}"')
    assert "unsubscribed" not in page[:at].rsplit("<li", 1)[1]
