"""No request value becomes an IMAP command: proven on the wire, on Dovecot and Cyrus.

A recording proxy sits between Heron and the real server. Each payload tries to end the
command it rides in and start another (DELETE of a canary folder, or a NOOP with a tag
of its own); every parameter that reaches IMAP, and the login form, gets each payload.
Then every line Heron sent must be a command with imaplib's tag, the canary must still
be there and the account's folders and INBOX must be as they were.
"""
import uuid

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from webmail.imap.types import ServerConfig

from .conftest import log_in, stack_account
from .wire import RecordingProxy, stray_lines

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CANARY = f"HeronCanary-{uuid.uuid4().hex[:8]}"
# The account's own folders, which must survive every payload like the canary.
KEPT = ("INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive")
PAYLOADS = [
    f'x"\r\nZ1 DELETE {CANARY}\r\nZ2 NOOP "',
    f"x\r\nZ1 DELETE {CANARY}\r\n",
    f"x\nZ1 DELETE {CANARY}\n",
    f"x\rZ1 DELETE {CANARY}\r",
    f'INBOX"\x00Z1 DELETE {CANARY}',
    f"{{5}}\r\nZ1 DELETE {CANARY}\r\n",
    f'x" Z1 DELETE {CANARY} "\r\n',
]


@pytest.fixture(params=["dovecot", "cyrus"])
def account(request, stack_users):
    """bob's account on each real server (the contract suite's, without demo)."""
    return stack_account(request.param, stack_users)


@pytest.fixture(scope="module", autouse=True)
def canary_removed_at_the_end(stack_users):
    """The canary is made once per server and removed after the module's last test: Cyrus
    refuses to delete a folder twice within one second (its delayed delete renames it to
    a name with the time in seconds)."""
    yield
    for kind in ("dovecot", "cyrus"):
        conn = stack_account(kind, stack_users).connect()
        if conn.folder_exists(CANARY):
            conn.delete_folder(CANARY)
        conn.logout()


@pytest.fixture
def wired(account, client, use_imap_server, settings):
    """Heron logged in as bob through a recording proxy; yields (client, proxy, uid) with
    the UID of a message in INBOX; afterwards the canary and the account are checked."""
    conn = account.connect()
    if not conn.folder_exists(CANARY):
        conn.create_folder(CANARY)
    folders_before = sorted(name for _f, _d, name in conn.list_folders())
    conn.select_folder("INBOX")
    inbox_before = sorted(conn.search(["ALL"]))
    assert inbox_before, "the stack seeds bob's INBOX"
    proxy = RecordingProxy(account.config.host, account.config.port)
    use_imap_server(ServerConfig("127.0.0.1", proxy.port, "none"))
    try:
        assert log_in(client, account.username, account.password).status_code == 302
        yield client, proxy, inbox_before[-1]
        strays = stray_lines(proxy)
        assert not strays, strays[:5]
        # No folder went; one may have come: a payload without a line break (after the
        # form's stripping) is a strange but harmless folder name, safely quoted.
        folders_after = sorted(name for _f, _d, name in conn.list_folders())
        assert {CANARY, *KEPT} <= set(folders_after)
        conn.select_folder("INBOX")
        assert sorted(conn.search(["ALL"])) == inbox_before
    finally:
        proxy.stop()
        # (Folders named Heron… are other tests' scratch folders, which come and go.)
        extra = {n for _f, _d, n in conn.list_folders()
                 if not n.startswith("Heron")} - set(folders_before)
        for name in sorted(extra, key=len, reverse=True):  # children first
            try:
                conn.delete_folder(name)
            except IMAPClientError:
                pass  # a parent the server listed only for its child, gone with it
        conn.logout()


def _gets(uid):
    """(path, {param: payload}) for every GET whose parameters reach IMAP."""
    return [
        ("/mail/", "mailbox"), ("/mail/", "q"), ("/api/messages/", "mailbox"),
        ("/api/messages/", "q"), ("/api/poll/", "mailbox"),
        (f"/mail/message/{uid}/", "mailbox"), (f"/mail/message/{uid}/body/", "mailbox"),
        (f"/mail/message/{uid}/source/", "mailbox"), (f"/mail/message/{uid}/part/1/", "mailbox"),
        (f"/mail/message/{uid}/attachments.zip", "mailbox"), (f"/mail/thread/{uid}/", "mailbox"),
        ("/mail/compose/", "mailbox"), ("/mail/compose/reload/", "key"),
    ]


def _posts(uid):
    """(path, fixed fields, the field that gets the payload) for every such POST."""
    draft = uuid.uuid4().hex
    return [
        ("/mail/actions/", {"action": "read", "uids": [uid]}, "mailbox"),
        ("/mail/actions/", {"action": "move", "uids": [uid], "mailbox": "INBOX"}, "target"),
        ("/mail/actions/", {"action": "delete"}, "picks"),
        ("/mail/folders/create/", {"parent": ""}, "name"),
        ("/mail/folders/create/", {"name": "x"}, "parent"),
        ("/mail/folders/rename/", {"name": "Renamed"}, "mailbox"),
        ("/mail/folders/rename/", {"mailbox": CANARY}, "name"),
        ("/mail/folders/delete/", {}, "mailbox"),
        ("/mail/folders/subscribe/", {"subscribed": "0"}, "mailbox"),
        ("/mail/folders/empty/", {}, "mailbox"),
        ("/mail/compose/forward/", {"uid": uid}, "mailbox"),
        ("/mail/compose/discard/", {}, "draft"),
        ("/mail/compose/save/", {"draft": draft, "to": "a@b.example"}, "answers"),
        ("/mail/compose/save/", {"draft": draft, "to": "a@b.example"}, "subject"),
    ]


def _status_ok(response):
    return response.status_code < 500


def test_no_parameter_puts_a_command_on_the_wire(wired):
    client, proxy, uid = wired
    answers = {}
    for payload in PAYLOADS:
        for path, name in _gets(uid):
            response = client.get(path, {name: payload})
            answers[(path, name, payload)] = response.status_code
        for path, fields, name in _posts(uid):
            value = [f"{uid} {payload}"] if name == "picks" else payload
            response = client.post(path, {**fields, name: value})
            answers[(path, name, payload)] = response.status_code
    assert all(status < 500 for status in answers.values()), {
        key: status for key, status in answers.items() if status >= 500}
    # The payloads that name a folder or a draft key are refused at the door with a 400.
    assert answers[("/mail/", "mailbox", PAYLOADS[0])] == 400
    assert answers[("/mail/compose/reload/", "key", PAYLOADS[0])] == 400
    assert answers[("/mail/folders/delete/", "mailbox", PAYLOADS[0])] == 400
    # A search with a pasted line break is a search for the words, not an error.
    assert answers[("/mail/", "q", PAYLOADS[0])] == 200
    assert proxy.sent(), "the requests went through the proxy"


def test_the_login_form_puts_no_command_on_the_wire(wired, client):
    _client, proxy, _uid = wired
    client.logout()
    for payload in PAYLOADS:
        for username, password in ((f"bob@heron.test{payload}", "x"),
                                   (f"bob@heron.test {payload}", "x"),
                                   ("bob@heron.test", payload),
                                   ("bob@heron.test", f"pässwörd{payload}")):
            response = client.post("/accounts/login/", {"username": username,
                                                        "password": password})
            assert response.status_code == 200  # the form again, with the reason
            assert "_auth_user_id" not in client.session


def test_a_password_imaplib_cannot_send_goes_through_authenticate(wired, client, account):
    """A non-ASCII password goes as AUTHENTICATE PLAIN (base64) where the server offers
    it (Dovecot), and not at all where it does not (Cyrus, without TLS): wrong, so refused
    either way, and the wire holds only tagged commands and the base64 answer."""
    _client, proxy, _uid = wired
    client.logout()
    response = client.post("/accounts/login/", {"username": "bob@heron.test",
                                                "password": "pässwörd"})
    assert response.status_code == 200
    assert b"Wrong email address or password" in response.content
    sent = b"".join(proxy.sent()).upper()
    conn = IMAPClient(account.config.host, port=account.config.port, ssl=False, timeout=10)
    offered = conn.has_capability("AUTH=PLAIN")  # (before login: after it, AUTH= is gone)
    conn.shutdown()
    assert (b" AUTHENTICATE PLAIN" in sent) == offered
    assert sent.count(b" LOGIN ") == 1  # the fixture's own login only


def test_the_imap_layer_refuses_what_a_view_might_let_through(wired, account):
    """The wall below the views: called directly with each payload, the IMAP layer sends
    none of it (the views' own checks are not what holds here)."""
    from webmail.imap.errors import UnsafeInput
    from webmail.imap.session import MailSession

    _client, proxy, uid = wired
    session = MailSession(ServerConfig("127.0.0.1", proxy.port, "none"))
    session.login(account.username, account.password)
    calls = [
        lambda p: session.page(p),
        lambda p: session.search_uids(["TEXT", p]),
        lambda p: session.sorted_uids("INBOX", criteria=["SUBJECT", p]),
        lambda p: session.create_folder(p),
        lambda p: session.create_folder("x", parent=p),
        lambda p: session.rename_folder(CANARY, p),
        lambda p: session.delete_folder(p),
        lambda p: session.subscribe(p, False),
        lambda p: session.set_flag(p, [uid], "\\Seen"),
        lambda p: session.move("INBOX", [uid], p),
        lambda p: session.copy("INBOX", [uid], p),
        lambda p: session.message(p, uid),
        lambda p: session.discard_draft(p),
    ]
    try:
        for payload in PAYLOADS:
            if not any(ch in payload.strip() for ch in "\r\n\x00"):
                continue  # (folder names are stripped: only inner breaks remain)
            for call in calls:
                with pytest.raises(UnsafeInput):
                    call(payload)
        with pytest.raises(UnsafeInput):
            MailSession(account.config).login(f"{account.username}\r\nZ1 NOOP", "x")
        # A search word that is not an atom goes as a literal: found, and nothing stray.
        assert session.search_uids(["TEXT", "{5}"]) == []
        assert session.search_uids(["SUBJECT", "(*%]"]) == []
    finally:
        session.close()


def test_deleting_a_folder_named_by_a_wildcard_deletes_nothing_else(account):
    """LIST reads % and * as wildcards: delete_folder("%") must not take every
    second-level folder with it."""
    from webmail.imap.errors import MailError
    from webmail.imap.session import MailSession

    conn = account.connect()
    parent = f"HeronWild-{uuid.uuid4().hex[:8]}"
    delimiter = conn.list_folders()[0][1].decode()
    child = f"{parent}{delimiter}Child"
    conn.create_folder(parent)
    conn.create_folder(child)
    session = MailSession(account.config)
    session.login(account.username, account.password)
    try:
        for name in ("%", "*", f"{parent[:-1]}%"):
            with pytest.raises(MailError):
                session.delete_folder(name)
            assert conn.folder_exists(child), name
    finally:
        session.close()
        conn.delete_folder(child)
        conn.delete_folder(parent)
        conn.logout()
