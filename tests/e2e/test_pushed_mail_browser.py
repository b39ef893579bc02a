"""New mail is pushed into the open list: the change watcher (webmail/push.py) hears it from
Dovecot, the page listens to /mail/events, and the new message is in the list within two
seconds of its delivery, without a reload and without waiting for the 30 s poll."""
import os
import smtplib
import threading
import time
import uuid
from email.message import EmailMessage

import pytest
from imapclient import IMAPClient

from tests.e2e.conftest import log_in
from tests.e2e.test_login_browser import stack_password
from webmail.push import Watcher

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ALICE, BOB = "alice@heron.test", "bob@heron.test"


@pytest.fixture
def watcher(settings):
    """A change watcher in this process, on the test's cache, with the stack's service
    login; stopped afterwards."""
    settings.HERON_SERVICE_USER = os.environ["HERON_SERVICE_USER"]
    settings.HERON_SERVICE_PASSWORD = os.environ["HERON_SERVICE_PASSWORD"]
    stopping = threading.Event()
    thread = threading.Thread(target=Watcher().run, args=(stopping,), kwargs={"pulse": 0.1})
    thread.start()
    yield
    stopping.set()
    thread.join(10)


@pytest.fixture
def bob_inbox():
    """Bob's INBOX on the stack's Dovecot; what the test delivers there is removed after."""
    conn = IMAPClient(os.environ["IMAP_HOST"], port=int(os.environ["IMAP_PORT"]), ssl=False,
                      timeout=10)
    conn.login(BOB, stack_password(BOB))
    subjects = []
    yield conn, subjects
    conn.select_folder("INBOX")
    for subject in subjects:
        uids = conn.search(["SUBJECT", subject])
        if uids:
            conn.delete_messages(uids)
    conn.expunge()
    conn.logout()


def deliver(conn, subject):
    """alice sends bob a message through the stack's SMTP; returns once it is in his INBOX."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = ALICE, BOB, subject
    message.set_content("Pushed, not polled.\n")
    with smtplib.SMTP(os.environ["SMTP_HOST"], int(os.environ["SMTP_PORT"]), timeout=30) as smtp:
        smtp.login(ALICE, stack_password(ALICE))
        smtp.send_message(message)
    deadline = time.monotonic() + 30
    while True:
        conn.select_folder("INBOX", readonly=True)
        if conn.search(["SUBJECT", subject]):
            return
        assert time.monotonic() < deadline, "the message never reached Dovecot"
        time.sleep(0.2)


def test_new_mail_appears_in_the_open_list_within_2_s_of_delivery(live_server, page,
                                                                   bob_inbox, watcher):
    conn, subjects = bob_inbox
    subject = f"Pushed {uuid.uuid4().hex[:8]}"
    subjects.append(subject)
    log_in(page, live_server.url, BOB)
    with page.expect_response(lambda response: "/mail/events?" in response.url) as opened:
        page.goto(f"{live_server.url}/mail/")
    # The stream's headers come with its first frame, sent once it listens.
    assert opened.value.status == 200
    deliver(conn, subject)
    page.get_by_role("link", name=subject).wait_for(timeout=2000)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
