"""A rule made in Chromium runs on the real mail server: carol files bob's mail into a
folder whose name holds a quote and accents, bob sends through the stack's SMTP, and the
message arrives in that folder, on Dovecot (Pigeonhole) and on Cyrus (its sieve daemon)."""
import uuid

import pytest
from django.core.cache import cache
from imapclient import IMAPClient

from tests.e2e.conftest import log_in
from tests.e2e.test_login_browser import stack_password
from tests.integration.filters_contract import (
    BOB,
    CAROL,
    Stack,
    matching,
    port,
    send,
    wait_for,
)
from webmail import mail
from webmail.sieve.client import SieveServer, open_sieve

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SERVERS = {
    # name: (IMAP port, ManageSieve port, SMTP port, quote allowed in a folder name,
    #        how the server reads folder names in scripts)
    "dovecot": ("IMAP_PORT", "HERON_STACK_SIEVE_PORT", "SMTP_PORT", '"', "utf-8"),
    "cyrus": ("CYRUS_IMAP_PORT", "HERON_STACK_CYRUS_SIEVE_PORT",
              "HERON_STACK_CYRUS_SMTP_PORT", "'", "utf-7"),
}


@pytest.fixture(params=list(SERVERS))
def server(request, settings):
    """Heron pointed at one of the stack's servers; carol's scripts and the folder made
    for the test are as before afterwards."""
    imap_port, sieve_port, smtp_port, quote, encoding = SERVERS[request.param]
    stack = Stack(port(imap_port), port(sieve_port), port(smtp_port))
    settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SECURITY = (
        "127.0.0.1", stack.imap_port, "none")
    settings.MANAGESIEVE_HOST, settings.MANAGESIEVE_PORT = "127.0.0.1", stack.sieve_port
    settings.MANAGESIEVE_SECURITY, settings.MANAGESIEVE_FOLDER_ENCODING = "none", encoding
    cache.clear()
    sieve = SieveServer("127.0.0.1", stack.sieve_port, "none")
    with open_sieve(sieve, CAROL, stack_password(CAROL), seconds=10) as session:
        before = {info.name: info.active for info in session.list_scripts()}
        session.activate("")
    conn = IMAPClient("127.0.0.1", port=stack.imap_port, ssl=False, timeout=10)
    conn.login(CAROL, stack_password(CAROL))
    folder = f"Reçus {quote}Bob{quote} {uuid.uuid4().hex[:8]}"
    conn.create_folder(folder)
    try:
        yield stack, conn, folder
    finally:
        mail.POOL.clear()
        conn.delete_folder(folder)
        conn.logout()
        with open_sieve(sieve, CAROL, stack_password(CAROL), seconds=10) as session:
            session.activate(next((name for name, on in before.items() if on), ""))
            for info in session.list_scripts():
                if info.name not in before:
                    session.delete_script(info.name)


def test_a_rule_made_in_the_browser_files_mail_sent_through_the_stack(
        live_server, page, server):
    stack, conn, folder = server
    token = uuid.uuid4().hex[:12]
    base = live_server.url
    log_in(page, base, CAROL)
    page.goto(f"{base}/mail/filters/")
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Rule name").fill(f"Bob's reports {token}")
    page.get_by_label("Condition 1: field").select_option("from")
    page.get_by_label("Condition 1: comparison").select_option("contains")
    page.get_by_label("Condition 1: value").fill(BOB)
    page.get_by_role("button", name="Add a condition").click()
    page.get_by_label("Condition 2: field").select_option("subject")
    page.get_by_label("Condition 2: comparison").select_option("contains")
    page.get_by_label("Condition 2: value").fill(token)
    page.get_by_label("Action 1", exact=True).select_option("move")
    page.get_by_label("Action 1: folder").select_option(folder)
    page.get_by_role("button", name="Save rule").click()
    page.get_by_text(f"Saved the rule “Bob's reports {token}”.").wait_for()

    users = {BOB: stack_password(BOB)}
    send(stack, users, BOB, CAROL, f"Report {token}")
    send(stack, users, BOB, CAROL, "Not a report, stays in the inbox " + token[::-1])
    try:
        assert len(wait_for(conn, folder, f"Report {token}")) == 1, "filed into the folder"
        assert wait_for(conn, "INBOX", token[::-1]), "the other message stays in INBOX"
        assert not matching(conn, "INBOX", f"Report {token}"), "and the report is not there"
    finally:
        conn.select_folder("INBOX")
        stray = conn.search(["SUBJECT", token[::-1]])
        if stray:
            conn.delete_messages(stray)
            conn.expunge()
