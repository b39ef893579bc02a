"""imaplib formats no debug line for a response nobody logs (webmail/imap/adapter.quiet).

imapclient sets imaplib's debug level to 5, and imaplib then writes repr() of every
untagged response before handing it to a logger that drops it: 2.6 to 5 ms per 1 MiB
literal, most of a 100 MiB download's time (1.9 s, and 0.5 s without it)."""
import logging

import pytest

from tests.integration import mailfactory as mf
from webmail.imap.connection import Connection

from .conftest import stack_account

pytestmark = pytest.mark.integration


@pytest.fixture
def big_message(account, scratch):
    """(Heron's connection with the scratch folder selected, the UID of a 2 MiB message)."""
    _direct, folder, append = scratch
    uid = append(mf.message(subject="Big", text="0123456789abcdef\n" * (2 << 16)))
    conn = Connection(account.config, timeout=30)
    conn.login(account.username, account.password)
    try:
        conn.call("select_folder", folder)
        yield conn, uid
    finally:
        conn.close()


def debug_lines_of(conn, monkeypatch):
    """The debug lines imaplib hands to its logger from now on."""
    made = []
    imap = conn._wire()._imap
    monkeypatch.setattr(imap, "_mesg", lambda line, *args: made.append(line))
    return made


@pytest.mark.parametrize("account", ["dovecot"], indirect=True)
def test_a_fetched_body_is_not_formatted_for_the_debug_log(big_message, monkeypatch):
    conn, uid = big_message
    made = debug_lines_of(conn, monkeypatch)
    answer = conn.call("fetch", [uid], ["BODY.PEEK[TEXT]"])
    assert len(answer[uid][b"BODY[TEXT]"]) > 2_000_000
    assert made == []


@pytest.fixture
def imaplib_logged():
    logger = logging.getLogger("imapclient.imaplib")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    yield
    logger.setLevel(level)


def test_with_imapclients_logger_on_debug_the_lines_still_come(stack_users, monkeypatch,
                                                               imaplib_logged):
    account = stack_account("dovecot", stack_users)
    conn = Connection(account.config, timeout=30)
    conn.login(account.username, account.password)
    try:
        made = debug_lines_of(conn, monkeypatch)
        conn.call("noop")
        assert made, "the debug log asked for is written"
    finally:
        conn.close()
