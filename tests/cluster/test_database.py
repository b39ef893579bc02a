"""The primary and its streaming replica behind the cluster: a user never misses their own
write because the replica lags, and a replica that is gone costs nothing."""
import os
import secrets
from contextlib import contextmanager

import psycopg
import pytest
from imapclient import IMAPClient

from tests.cluster.conftest import (
    ROOT,
    Browser,
    add_identity,
    delete_identity,
    eventually,
    taken_away,
)

pytestmark = pytest.mark.cluster


@contextmanager
def replica_sql():
    url = os.environ["DATABASE_REPLICA_URLS"].split(",")[0]
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        yield conn


@contextmanager
def replay_paused():
    """WAL replay on the replica stops inside the block: it shows nothing newer."""
    with replica_sql() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        try:
            eventually(lambda: conn.execute("SELECT pg_get_wal_replay_pause_state()")
                       .fetchone()[0] == "paused", "the replica pauses replay", timeout=10)
            yield conn
        finally:
            conn.execute("SELECT pg_wal_replay_resume()")


def test_a_saved_setting_shows_at_once_on_every_frontend_while_the_replica_lags(
        all_frontends, alice, token):
    name = f"Alice {token}"
    try:
        with replay_paused() as replica:
            add_identity(alice, name)
            pages = [alice.get("/accounts/settings/") for _ in all_frontends]

            assert sorted(alice.frontends[-len(all_frontends):]) == all_frontends
            for page in pages:
                assert page.status_code == 200, page.text[:300]
                assert name in page.text, f"{page.headers.get('X-Heron-Frontend')} shows it"
            assert replica.execute("SELECT count(*) FROM accounts_identity WHERE name = %s",
                                   [name]).fetchone()[0] == 0, "the replica has not seen it yet"
    finally:
        delete_identity(alice, name)


def test_reads_fall_back_to_the_primary_when_the_replica_stops(
        all_frontends, alice, saved_identity):
    with taken_away("replica"):
        for _ in range(2 * len(all_frontends)):
            for path in ("/accounts/settings/", "/mail/", "/api/messages/"):
                # Past the recent-write window every read would go to the replica.
                alice.forget_primary_pin()
                page = alice.get(path)
                assert page.status_code == 200, (
                    f"{path} on {alice.frontends[-1]}: {page.status_code} {page.text[:300]}")
                if path == "/accounts/settings/":
                    assert saved_identity in page.text, "the identity is read from the primary"


def test_a_saved_contact_and_preference_show_on_every_frontend_while_the_replica_lags(
        all_frontends, alice, token):
    name = f"Dana {token}"
    try:
        with replay_paused() as replica:
            made = alice.post("/contacts/new/", {"full_name": name, "email": f"{token}@x.test",
                                                 "email_label": "", "phone": "",
                                                 "phone_label": ""})
            assert made.status_code == 302, f"{made.status_code}: {made.text[:500]}"
            saved = alice.post("/accounts/settings/preferences/mailbox/",
                               {"per_page": "25", "sort": "date", "order": "desc",
                                "layout": "right", "density": "compact",
                                "check_seconds": "30"})
            assert saved.status_code == 302, f"{saved.status_code}: {saved.text[:500]}"
            contacts = [alice.get(f"/contacts/?q={token}") for _ in all_frontends]
            mailboxes = [alice.get("/mail/") for _ in all_frontends]

            assert sorted(alice.frontends[-len(all_frontends):]) == all_frontends
            for page in contacts:
                assert page.status_code == 200 and name in page.text, (
                    f"{page.headers.get('X-Heron-Frontend')} shows the contact")
            for page in mailboxes:
                assert 'data-density="compact"' in page.text, (
                    f"{page.headers.get('X-Heron-Frontend')} applies the preference")
            assert replica.execute("SELECT count(*) FROM contacts_card WHERE full_name = %s",
                                   [name]).fetchone()[0] == 0, "the replica has not seen it yet"
    finally:
        alice.post("/accounts/settings/preferences/mailbox/",
                   {"per_page": "50", "sort": "date", "order": "desc",
                    "layout": "right", "density": "comfortable", "check_seconds": "30"})


@contextmanager
def newcomer(token):
    """A mail account Heron has never seen, in the stack Dovecot's passwd-file (which it
    reads again on change) for the block."""
    users = ROOT / ".stack" / "dovecot" / "users"
    before = users.read_text()
    address, password = f"{token}@heron.test", secrets.token_urlsafe(12)
    stat = users.stat()
    users.write_text(before + f"{address}:{{PLAIN}}{password}::::::\n")
    os.chown(users, stat.st_uid, stat.st_gid)
    try:
        # Dovecot looks at the file again at most once a second (passwd_file_sync): a
        # login in the second of the last look fails. Wait until it takes this one.
        eventually(lambda: _imap_login(address, password), "Dovecot reads the new account")
        yield address, password
    finally:
        users.write_text(before)


def _imap_login(address, password):
    try:
        with IMAPClient(os.environ["IMAP_HOST"], port=int(os.environ["IMAP_PORT"]),
                        ssl=False, timeout=10) as conn:
            conn.login(address, password)
            return True
    except IMAPClient.Error:
        return False


def test_a_first_login_from_two_browsers_while_the_replica_lags_is_one_user(
        all_frontends, cluster_url, token):
    """The second browser's login must find the user the first one made on the primary,
    not miss it on the lagging replica and make it again (that answered 503)."""
    first, second = Browser(cluster_url), Browser(cluster_url)
    with newcomer(token) as (address, password):
        try:
            with replay_paused() as replica:
                first.log_in(address, password)
                second.log_in(address, password)
                for browser in (first, second):
                    page = browser.get("/mail/")
                    assert page.status_code == 200 and address in page.text
                assert replica.execute("SELECT count(*) FROM auth_user WHERE username = %s",
                                       [address]).fetchone()[0] == 0, "the replica lags"
        finally:
            for browser in (first, second):  # the watcher lets the user go
                browser.post("/accounts/logout/")
