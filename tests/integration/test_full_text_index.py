"""The stack's Dovecot keeps a full-text index (fts-xapian, deploy/stack/up.sh): mail is
indexed as it is delivered, Heron's word search is answered from the index through plain
SEARCH, and Heron's look-ups by header still find what the index does not
(webmail/imap/exact.py)."""
import datetime
import os
import smtplib
import subprocess
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from tests.helpers import wait_for
from tests.integration.conftest import stack_account
from webmail.imap.session import MailSession

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

DOVECOT = Path(__file__).resolve().parents[2] / ".stack" / "dovecot"
USER = "bob@heron.test"


def doveadm(*args):
    return subprocess.run(["doveadm", "-c", str(DOVECOT / "dovecot.conf"), *args],
                          check=True, capture_output=True, text=True, timeout=60).stdout


def index_of(user, folder):
    """The folder's Xapian database directory (fts-xapian names it by the folder's GUID)."""
    found = doveadm("mailbox", "status", "-u", user, "guid", folder).split()  # NAME guid=G
    assert found[-1].startswith("guid="), found
    local, domain = user.split("@")
    return DOVECOT / "mail" / domain / local / "xapian-indexes" / f"db_{found[-1][5:]}"


def decoder_runs():
    """How many times Dovecot started the attachment decoder since it last (re)started."""
    for line in doveadm("service", "status", "decode2text").splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "process_total":
            return int(value)
    raise AssertionError("doveadm names no process_total of decode2text")


def changed_at(path):
    return max((each.stat().st_mtime for each in path.iterdir()), default=0.0) \
        if path.is_dir() else 0.0


def message(subject, text):
    """A message from alice to bob (USER)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "alice@heron.test", USER, subject
    msg["Message-ID"] = make_msgid(domain="heron.test")
    msg.set_content(text)
    return msg


def deliver(stack_users, msg):
    """msg sent by alice through the stack's SMTP server, which delivers it to Dovecot."""
    with smtplib.SMTP("127.0.0.1", int(os.environ["SMTP_PORT"]), timeout=30) as smtp:
        smtp.login("alice@heron.test", stack_users["alice@heron.test"])
        smtp.send_message(msg)


def subjects(heron, q):
    """The subjects Heron's search of bob's Inbox for q lists."""
    page = heron.get(f"/api/messages/?mailbox=INBOX&q={q}").json()
    return [m["subject"] for m in page["messages"]]


def test_delivered_mail_is_indexed_before_anyone_searches_and_found_by_a_word_part(
        heron, stack_users):
    conf = (DOVECOT / "dovecot.conf").read_text()
    assert "fts_xapian" in conf, "the stack's Dovecot runs without its full-text index"
    index = index_of(USER, "INBOX")
    before = changed_at(index)
    tag = uuid.uuid4().hex[:12]
    subject = f"Fulltext {tag}"
    deliver(stack_users, message(subject, f"The quarterly invoices {tag}x are attached.\n"))
    # Indexed at delivery (fts_autoindex): the folder's database changes with no search.
    wait_for(lambda: changed_at(index) > before, "the index taking the delivered message", 20)

    # A word of the body, and a part of one ("invoic" of "invoices"), as a user types it.
    assert subject in wait_for(lambda: subjects(heron, f"{tag}x"), "the body word found", 20)
    assert subject in subjects(heron, f"invoic {tag}")
    # A word under 3 letters is not in the index: the index answered, not a scan of the
    # folder (which would find "qu" in "quarterly").
    assert subject not in subjects(heron, "qu")


def test_a_cell_of_an_attached_table_is_found(heron, stack_users):
    # The stack's Dovecot splits attached tables into cells before indexing them
    # (deploy/stack/fts-decode.sh): fts-xapian takes a line of a CSV for one long word.
    conf = (DOVECOT / "dovecot.conf").read_text()
    assert "fts_decoder = decode2text" in conf and "fts-decode.sh" in conf
    index = index_of(USER, "INBOX")
    before, runs = changed_at(index), decoder_runs()
    tag = uuid.uuid4().hex[:10]
    subject = f"Figures {tag}"
    msg = message(subject, "The figures are attached.\n")
    rows = [f"{n},{n * 7},region{n % 5},{n * 13}" for n in range(1, 400)]
    rows[200] = f'201,1407,"Miller, {tag}q",2613'
    msg.add_attachment("\n".join(rows).encode(), maintype="text", subtype="csv",
                       filename="figures.csv")
    deliver(stack_users, msg)
    wait_for(lambda: changed_at(index) > before, "the index taking the delivered message", 20)
    # Indexing the message ran the decoder (what it hands back is tests/unit/test_fts_decoder).
    assert decoder_runs() > runs

    # The cell, as a user types it, from the middle of the table.
    assert subject in wait_for(lambda: subjects(heron, f"{tag}q"), "the cell found", 20)


def test_look_ups_by_header_find_what_the_index_leaves_out(stack_users, scratch_dovecot):
    conn, folder, append = scratch_dovecot
    long_id = ("<CAHx=ZZ-a-very-long-message-identifier-0123456789abcdef"
               f"{uuid.uuid4().hex}@mail.example.com>")
    short_id = f"<{uuid.uuid4().hex[:4]}@x>"
    first = append(raw("A long id", f"Message-ID: {long_id}"))
    second = append(raw("A short id", f"Message-ID: {short_id}"))
    answer = append(raw("Re: long", f"Message-ID: <{uuid.uuid4().hex}@x.test>",
                        f"In-Reply-To: {long_id}", f"References: <other@x.test>\r\n {long_id}"))
    conn.select_folder(folder)
    conn.search(["TEXT", "message"])  # the index built for the folder, as a user's search does
    mail = MailSession(stack_account("dovecot", stack_users).config)
    mail.login(USER, stack_users[USER])
    try:
        assert mail.has_message_id(folder, long_id)
        assert mail.has_message_id(folder, short_id)
        assert not mail.has_message_id(folder, "<absent@x>")
        assert mail.locate(folder, [(None, long_id), (None, short_id)]) == [first, second]
        assert mail.answers_in(folder, [long_id]) == [answer]
        # Narrowed to what arrived since the answered message (appended today): found.
        today = datetime.date.today()
        assert mail.answers_in(folder, [long_id], since=today - datetime.timedelta(days=2)) \
            == [answer]
    finally:
        mail.close()


def raw(subject, *fields):
    """A message as another program writes it (the fields as given, none re-encoded)."""
    head = "\r\n".join(("From: Dana <dana@whitfield.example.com>", f"To: {USER}",
                         f"Subject: {subject}", "Date: Mon, 30 Nov 2026 09:00:00 +0000", *fields))
    return f"{head}\r\n\r\nA message about the plan.\r\n".encode()


@pytest.fixture
def account(stack_users):
    """bob on the stack's Dovecot, the server with the index (for the heron client)."""
    return stack_account("dovecot", stack_users)


@pytest.fixture
def scratch_dovecot(stack_users):
    """A fresh folder of bob's on the stack's Dovecot, deleted afterwards."""
    account = stack_account("dovecot", stack_users)
    conn = account.connect()
    name = f"HeronFts-{uuid.uuid4().hex[:10]}"
    conn.create_folder(name)

    def append(msg, flags=()):
        answer = conn.append(name, msg, flags)
        return int(answer.split(b"]")[0].split()[-1])

    try:
        yield conn, name, append
    finally:
        conn.select_folder("INBOX")
        conn.delete_folder(name)
        conn.logout()
