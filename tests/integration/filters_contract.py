"""Filters made in Heron run on the real mail server: the same tests against the stack's
Dovecot (Pigeonhole) and Cyrus (its sieve daemon), each file giving its server.

carol keeps the rules (other Sieve tests on the stack use alice's scripts), bob sends.
Each test puts back carol's scripts as they were: the active one, and no script left
that the test made.
"""
import os
import re
import smtplib
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core.cache import cache
from imapclient import IMAPClient

from tests.integration.conftest import log_in
from webmail import mail
from webmail.sieve.client import SieveServer, open_sieve

CAROL, BOB = "carol@heron.test", "bob@heron.test"
DELIVERY_SECONDS = 30
ROUNDCUBE = (
    'require ["fileinto"];\r\n'
    "# rule:[From the boss]\r\n"
    'if header :contains "from" "boss@example.org"\r\n'
    "{\r\n"
    '\tfileinto "INBOX";\r\n'
    "}\r\n"
)


@dataclass(frozen=True)
class Stack:
    imap_port: int
    sieve_port: int
    smtp_port: int


def port(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run `make services` and load .stack/env")
    return int(value)


def send(stack, stack_users, sender, recipient, subject):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, recipient, subject
    msg["Message-ID"] = make_msgid(domain="heron.test")
    msg.set_content("Hello.\n")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as smtp:
        smtp.login(sender, stack_users[sender])
        smtp.send_message(msg)


def matching(conn, folder, subject):
    conn.select_folder(folder, readonly=True)
    uids = conn.search(["SUBJECT", subject])
    conn.unselect_folder()
    return uids


def wait_for(conn, folder, subject, count=1):
    """Poll until folder holds count messages with subject (delivery is asynchronous)."""
    deadline = time.monotonic() + DELIVERY_SECONDS
    while True:
        uids = matching(conn, folder, subject)
        if len(uids) >= count or time.monotonic() > deadline:
            return uids
        time.sleep(0.2)


def version_in(page):
    return re.search(r'name="version" value="([0-9a-f]{64})"', page).group(1)


class FiltersContract:
    """Subclasses give the `stack` fixture, the quote their server allows in a folder name
    (Cyrus refuses the double quote) and how its scripts name folders."""

    quote = '"'
    folder_encoding = "utf-8"

    @pytest.fixture
    def carol_sieve(self, stack, stack_users):
        """Open carol's ManageSieve directly; afterwards her scripts are as before."""
        def session():
            return open_sieve(SieveServer("127.0.0.1", stack.sieve_port, "none"), CAROL,
                              stack_users[CAROL], seconds=10)
        with session() as sieve:
            before = {info.name: info.active for info in sieve.list_scripts()}
            sieve.activate("")
        yield session
        with session() as sieve:
            active = next((name for name, on in before.items() if on), "")
            sieve.activate(active)
            for info in sieve.list_scripts():
                if info.name not in before:
                    sieve.delete_script(info.name)

    @pytest.fixture
    def imap(self, stack, stack_users):
        opened = []

        def connect(user):
            conn = IMAPClient("127.0.0.1", port=stack.imap_port, ssl=False, timeout=10)
            conn.login(user, stack_users[user])
            opened.append(conn)
            return conn
        yield connect
        for conn in opened:
            conn.logout()

    @pytest.fixture
    def new_folder(self, imap):
        """make(name) creates a folder of carol's, deleted afterwards."""
        conn, made = imap(CAROL), []

        def make(name):
            conn.create_folder(name)
            made.append(name)
            return name
        yield make
        mail.POOL.clear()
        for name in made:
            conn.delete_folder(name)

    @pytest.fixture
    def folder(self, new_folder):
        """A new folder whose name holds quotes and non-ASCII letters."""
        return new_folder(f"Filtré {self.quote}Heron{self.quote} {uuid.uuid4().hex[:8]}")

    @pytest.fixture
    def plain_folder(self, new_folder):
        return new_folder(f"Filed-{uuid.uuid4().hex[:8]}")

    @pytest.fixture
    def heron(self, stack, stack_users, settings, client, db, carol_sieve):
        settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SECURITY = (
            "127.0.0.1", stack.imap_port, "none")
        settings.MANAGESIEVE_HOST, settings.MANAGESIEVE_PORT = "127.0.0.1", stack.sieve_port
        settings.MANAGESIEVE_SECURITY = "none"
        settings.MANAGESIEVE_FOLDER_ENCODING = self.folder_encoding
        cache.clear()
        assert log_in(client, CAROL, stack_users[CAROL]).status_code == 302
        return client

    def make_rule(self, heron, folder, token):
        page = heron.get("/mail/filters/new/").content.decode()
        response = heron.post("/mail/filters/new/", {
            "version": version_in(page), "name": f"File {token}", "enabled": "on",
            "match": "all", "cond_field": ["from", "subject"], "cond_header": ["", ""],
            "cond_op": ["contains", "contains"], "cond_value": [BOB, token],
            "action_kind": ["move"], "action_folder": [folder], "action_value": [""]})
        assert response.status_code == 302, response.content.decode()[:3000]

    def test_a_rule_made_in_heron_files_mail_into_a_folder_with_quotes_and_accents(
            self, heron, stack, stack_users, imap, folder):
        token = uuid.uuid4().hex
        self.make_rule(heron, folder, token)
        assert f"File {token}" in heron.get("/mail/filters/").content.decode()
        send(stack, stack_users, BOB, CAROL, f"Report {token}")
        send(stack, stack_users, BOB, CAROL, f"Unrelated {uuid.uuid4().hex}")
        conn = imap(CAROL)
        assert len(wait_for(conn, folder, token)) == 1
        assert matching(conn, "INBOX", token) == []

    def test_vacation_answers_two_messages_from_one_sender_once(
            self, heron, stack, stack_users, imap):
        # Each run's reply differs in subject and text: a server may tell replies apart by
        # either (RFC 5230's default :handle), and remembers whom it answered for days.
        token = uuid.uuid4().hex
        away = f"Away {token}"
        page = heron.get("/mail/filters/vacation/").content.decode()
        response = heron.post("/mail/filters/vacation/", {
            "version": version_in(page), "enabled": "on", "first_day": "", "last_day": "",
            "subject": away, "message": f"I am away until Monday ({token}).", "addresses": CAROL,
            "days": "1"})
        assert response.status_code == 302, response.content.decode()[:3000]
        assert "Your vacation reply is on" in heron.get("/mail/").content.decode()
        bob, carol = imap(BOB), imap(CAROL)
        send(stack, stack_users, BOB, CAROL, f"First {token}")
        assert len(wait_for(bob, "INBOX", away)) == 1, "no vacation reply reached bob"
        send(stack, stack_users, BOB, CAROL, f"Second {token}")
        assert len(wait_for(carol, "INBOX", f"Second {token}")) == 1
        # A marker from carol takes the path a second reply would, after it.
        send(stack, stack_users, CAROL, BOB, f"Marker {token}")
        assert len(wait_for(bob, "INBOX", f"Marker {token}")) == 1
        assert len(matching(bob, "INBOX", away)) == 1
        heron.post("/mail/filters/vacation/off/", {"next": "/mail/"})
        assert "Your vacation reply is on" not in heron.get("/mail/").content.decode()

    def test_a_script_with_an_error_is_refused_with_the_servers_words_and_the_old_one_works(
            self, heron, stack, stack_users, imap, plain_folder, carol_sieve):
        token = uuid.uuid4().hex
        folder = plain_folder
        self.make_rule(heron, folder, token)
        with carol_sieve() as sieve:
            active = next(info.name for info in sieve.list_scripts() if info.active)
            before = sieve.get_script(active)
        page = heron.get("/mail/filters/script/").content.decode()
        broken = before + 'if header :contains "subject" "x" {\n  fileinto "Elsewhere"\n}\n'
        response = heron.post(f"/mail/filters/script/?name={active}", {
            "version": version_in(page), "text": broken})
        assert response.status_code == 400
        shown = response.content.decode()
        assert "The filter server refused the script" in shown and "Line " in shown
        with carol_sieve() as sieve:
            assert sieve.get_script(active) == before
        send(stack, stack_users, BOB, CAROL, f"Still filed {token}")
        assert len(wait_for(imap(CAROL), folder, token)) == 1

    def test_a_roundcube_script_opened_and_saved_unchanged_stays_byte_for_byte(
            self, heron, carol_sieve):
        with carol_sieve() as sieve:
            sieve.put_script("roundcube", ROUNDCUBE)
            sieve.activate("roundcube")
        page = heron.get("/mail/filters/rule/0/").content.decode()
        assert 'value="boss@example.org"' in page
        response = heron.post("/mail/filters/rule/0/", {
            "version": version_in(page), "name": "From the boss", "enabled": "on",
            "match": "all", "cond_field": ["from"], "cond_header": [""],
            "cond_op": ["contains"], "cond_value": ["boss@example.org"],
            "action_kind": ["move"], "action_folder": ["INBOX"], "action_value": [""]})
        assert response.status_code == 302, response.content.decode()[:3000]
        with carol_sieve() as sieve:
            assert sieve.get_script("roundcube") == ROUNDCUBE
