"""The change watcher against real servers: Dovecot (NOTIFY) and Cyrus (IDLE, no NOTIFY).

While a watcher listens and has heard of no change, a warm page of the folder costs no
IMAP command at all; a change made by another client reaches the watcher, which moves its
vouch on, and the next page shows the change; a watcher that stops vouches for nothing.
"""
import os
import threading
import time

import pytest
from django.core.cache import cache

from tests.helpers import reads_of, spy_on_redis
from tests.integration import mailfactory as mf
from tests.integration.conftest import log_in, stack_account
from webmail import events, mail
from webmail.imap import pagememo
from webmail.imap.state import MailboxCache
from webmail.imap.vouch import record_key
from webmail.push import Watcher

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def imap_commands(response):
    return int(response["Server-Timing"].split('"')[1].split()[0])


def subjects(client, folder):
    data = client.get(f"/api/messages/?mailbox={folder}").json()
    return {m["subject"]: m for m in data["messages"]}


@pytest.fixture(params=["dovecot", "cyrus"])
def watched(request, stack_users, client, use_imap_server, settings):
    """(Heron client, the account, a direct connection, the scratch folder, the record key)
    with a watcher listening for the account; the watcher stops afterwards."""
    import uuid

    settings.HERON_SERVICE_USER = os.environ["HERON_SERVICE_USER"]
    settings.HERON_SERVICE_PASSWORD = os.environ["HERON_SERVICE_PASSWORD"]
    # These tests count commands across several pages: a slow machine must not reach the
    # age at which a vouched state is asked again (tested on its own in test_vouch.py).
    settings.HERON_VOUCH_TRUST_SECONDS = 3600
    account = stack_account(request.param, stack_users)
    use_imap_server(account.config)
    answer = log_in(client, account.username, account.password)
    assert answer.status_code == 302, answer.content.decode()[-3000:]
    conn = account.connect()
    folder = f"HeronWatch-{uuid.uuid4().hex[:10]}"
    conn.create_folder(folder)
    conn.append(folder, mf.message(subject="First").as_bytes(), [b"\\Seen"])
    key = record_key(MailboxCache(account.config.host, account.config.port,
                                  account.username).account)
    events.present(account.username, folder)
    stopping = threading.Event()
    watcher = Watcher()
    thread = threading.Thread(target=watcher.run, args=(stopping,), kwargs={"pulse": 0.1})
    thread.start()

    def stop():
        stopping.set()
        thread.join(10)
        assert not thread.is_alive()

    try:
        wait_for(lambda: cache.get(key) is not None, "the watcher to listen")
        yield client, account, conn, folder, key, stop
    finally:
        stop()
        mail.POOL.clear()
        conn.select_folder("INBOX")
        conn.delete_folder(folder)
        conn.logout()
        if account.kind == "cyrus":
            time.sleep(1.1)  # Cyrus stamps a deleted folder's kept name to the second


def wait_for(condition, what, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def vouched_page(client, path):
    """The page once it is served under the watcher's vouch: the first view confirms the
    state with the server, the next ones take it from the shared cache."""
    client.get(path)
    return client.get(path)


def test_a_warm_list_page_and_a_warm_open_cost_no_imap_command(watched):
    client, account, conn, folder, _key, _stop = watched
    page = vouched_page(client, f"/api/messages/?mailbox={folder}")
    assert imap_commands(page) == 0
    assert set(m["subject"] for m in page.json()["messages"]) == {"First"}
    html = vouched_page(client, f"/mail/?mailbox={folder}")
    assert html.status_code == 200 and imap_commands(html) == 0
    uid = page.json()["messages"][0]["uid"]
    opened = vouched_page(client, f"/mail/message/{uid}/?mailbox={folder}")
    assert opened.status_code == 200 and b"First" in opened.content
    assert imap_commands(opened) == 0
    frame = vouched_page(client, f"/mail/message/{uid}/body/?mailbox={folder}")
    assert frame.status_code == 200 and imap_commands(frame) == 0


def test_a_warm_open_reads_the_shared_cache_for_the_vouch_once(watched, monkeypatch):
    """The session, its user, the watcher's record and the folder's confirmed state come
    in the request's one first read; the vouched page then asks Redis for none of them."""
    client, account, conn, folder, key, _stop = watched
    uid = client.get(f"/api/messages/?mailbox={folder}").json()["messages"][0]["uid"]
    path = f"/mail/message/{uid}/?mailbox={folder}"
    vouched_page(client, path)
    sent = spy_on_redis(monkeypatch)
    opened = client.get(path)
    assert opened.status_code == 200 and imap_commands(opened) == 0
    record = cache.make_key(key)
    command, keys = sent[0]
    assert command == "MGET" and record in keys
    assert any(":heron:confirmed:" in each for each in keys)
    assert reads_of(sent, record) == ["MGET"]


def as_a_new_worker():
    """This process's IMAP connections and what it kept of pages dropped: the next request
    is served as a worker that just started serves it, by a connection that has not
    talked to the server yet."""
    mail.POOL.clear()
    pagememo.forget_everything()


def reads_of_kept_lists(sent):
    return [keys for command, keys in sent
            if command in ("GET", "MGET") and any(":heron:sorted:" in each for each in keys)]


def test_a_new_worker_keeps_a_vouched_open_in_the_process(watched, monkeypatch):
    """Under a vouch a new worker's connection never selects the folder. It knows from the
    account's last login that the server has CONDSTORE, so the message's place in the
    list, read once from the blocks around it, is kept in the process for the folder's
    state like any worker's: the next open reads no kept list. (It read the folder's
    whole kept order on every open until its connection first selected the folder: 9 ms
    a page at 100,000 messages.)"""
    client, account, conn, folder, key, _stop = watched
    path = vouched_page(client, f"/api/messages/?mailbox={folder}").json()["messages"][0]["url"]
    assert "at=0" in path
    vouched_page(client, path)
    as_a_new_worker()
    first = client.get(path)
    assert first.status_code == 200 and imap_commands(first) == 0
    sent = spy_on_redis(monkeypatch)
    again = client.get(path)
    assert again.status_code == 200 and imap_commands(again) == 0 and b"First" in again.content
    assert reads_of_kept_lists(sent) == []


def test_a_new_worker_keeps_a_vouched_list_page_in_the_process(watched, monkeypatch):
    """The same for a list page: the page made once under the vouch is kept for the
    folder's state, and the next one reads neither the kept order nor the rows."""
    client, account, conn, folder, key, _stop = watched
    path = f"/api/messages/?mailbox={folder}"
    vouched_page(client, path)
    as_a_new_worker()
    assert imap_commands(client.get(path)) == 0
    sent = spy_on_redis(monkeypatch)
    again = client.get(path)
    assert imap_commands(again) == 0
    assert [m["subject"] for m in again.json()["messages"]] == ["First"]
    assert reads_of_kept_lists(sent) == []
    assert not [keys for command, keys in sent if any(":heron:summary:" in each for each in keys)]


def test_a_message_expunged_elsewhere_is_gone_from_its_frame(watched):
    client, account, conn, folder, key, _stop = watched
    uid = client.get(f"/api/messages/?mailbox={folder}").json()["messages"][0]["uid"]
    body = f"/mail/message/{uid}/body/?mailbox={folder}"
    assert vouched_page(client, body).status_code == 200
    before = cache.get(key)
    conn.select_folder(folder)
    conn.delete_messages([uid])
    conn.expunge()
    wait_for(lambda: cache.get(key) != before, "the watcher to hear of the expunge")
    assert client.get(body).status_code == 404


def test_another_clients_changes_show_on_the_next_page(watched):
    client, account, conn, folder, key, _stop = watched
    assert imap_commands(vouched_page(client, f"/api/messages/?mailbox={folder}")) == 0

    before = cache.get(key)
    conn.append(folder, mf.message(subject="Second").as_bytes())
    wait_for(lambda: cache.get(key) != before, "the watcher to hear of the new message")
    assert set(subjects(client, folder)) == {"First", "Second"}

    before = cache.get(key)
    conn.select_folder(folder)
    first = min(conn.search(["ALL"]))
    conn.add_flags([first], [b"\\Flagged"])
    wait_for(lambda: cache.get(key) != before, "the watcher to hear of the flag")
    assert "\\Flagged" in subjects(client, folder)["First"]["flags"]

    before = cache.get(key)
    conn.delete_messages([first])
    conn.expunge()
    wait_for(lambda: cache.get(key) != before, "the watcher to hear of the expunge")
    assert set(subjects(client, folder)) == {"Second"}


def test_herons_own_change_shows_at_once_without_waiting_for_the_watcher(watched):
    client, account, conn, folder, _key, _stop = watched
    page = vouched_page(client, f"/api/messages/?mailbox={folder}")
    uid = page.json()["messages"][0]["uid"]
    response = client.post("/mail/actions/", {"mailbox": folder, "uids": [uid],
                                              "action": "flag"})
    assert response.status_code in (200, 302, 303)
    assert "\\Flagged" in subjects(client, folder)["First"]["flags"]


def test_a_stopped_watcher_vouches_for_nothing(watched):
    client, account, conn, folder, key, stop = watched
    assert imap_commands(vouched_page(client, f"/api/messages/?mailbox={folder}")) == 0
    stop()
    assert cache.get(key) is None
    conn.append(folder, mf.message(subject="Unheard").as_bytes())
    page = client.get(f"/api/messages/?mailbox={folder}")
    assert imap_commands(page) >= 1
    assert "Unheard" in {m["subject"] for m in page.json()["messages"]}

