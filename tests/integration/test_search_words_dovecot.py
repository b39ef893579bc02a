"""Query words in the search box (from:, is:unread…) and sorting by the sender's name
(DISPLAYFROM, RFC 5957) against the stack's Dovecot, which announces SORT=DISPLAY."""
from urllib.parse import quote, urlencode

import pytest

from tests.integration import mailfactory as mf
from tests.integration.conftest import stack_account
from webmail.imap.session import MailSession

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def account(stack_users):
    """The scratch folder and the logged-in client on the stack's Dovecot."""
    return stack_account("dovecot", stack_users)


def _subjects(heron, folder, **params):
    query = urlencode({"mailbox": folder, **params})
    return [m["subject"] for m in heron.get(f"/api/messages/?{query}").json()["messages"]]


@pytest.fixture
def senders(scratch):
    """Three messages whose senders' names sort otherwise than their addresses."""
    conn, folder, append = scratch
    zoe = append(mf.message(subject="by Zoe", sender="Zoe Quinn <aaron@people.example>",
                            days=1))
    adam = append(mf.message(subject="by Adam", sender="Adam Zed <zed@people.example>",
                             days=2))
    carol = append(mf.message(subject="by Carol", sender="Carol Smith <carol@heron.test>",
                              days=3))
    conn.select_folder(folder)
    conn.add_flags([carol], [b"\\Seen"])
    return folder, {"zoe": zoe, "adam": adam, "carol": carol}


def test_dovecot_announces_sort_display(account):
    conn = account.connect()
    try:
        assert b"SORT=DISPLAY" in conn.capabilities()
    finally:
        conn.logout()


@pytest.mark.parametrize("order, expected", [
    ("asc", ["by Adam", "by Carol", "by Zoe"]),
    ("desc", ["by Zoe", "by Carol", "by Adam"]),
])
def test_sender_sort_goes_by_the_name_shown(heron, senders, order, expected):
    folder, _uid = senders
    # By address it would be aaron (Zoe), carol, zed (Adam).
    assert _subjects(heron, folder, sort="from", order=order) == expected


def test_the_session_sorts_by_name_both_ways(account, senders):
    folder, uid = senders
    mail = MailSession(account.config)
    mail.login(account.username, account.password)
    try:
        assert mail.has("SORT=DISPLAY")
        assert mail.sorted_uids(folder, "from", reverse=False) == [
            uid["adam"], uid["carol"], uid["zoe"]]
        assert mail.sorted_uids(folder, "from", reverse=True) == [
            uid["zoe"], uid["carol"], uid["adam"]]
    finally:
        mail.close()


@pytest.mark.parametrize("query, expected", [
    ("from:carol", ["by Carol"]),
    ('from:"Carol Smith"', ["by Carol"]),
    ("from:zed", ["by Adam"]),
    ("from:people.example is:unread", ["by Adam", "by Zoe"]),
    ("from:carol is:unread", []),
    ("from:carol is:read", ["by Carol"]),
    ("subject:Adam", ["by Adam"]),
    ("from:nobody-at-all", []),
])
def test_from_and_other_words_search_dovecot(heron, senders, query, expected):
    folder, _uid = senders
    assert sorted(_subjects(heron, folder, q=query)) == expected


def test_hostile_query_words_reach_dovecot_as_plain_strings(heron, senders):
    folder, _uid = senders
    for query in ['from:"a" OR ALL', 'from:") (ALL', "from:" + "x" * 400, "is:unread\r\nX",
                  "from:\x00carol"]:  # (a NUL makes the form refuse the search)
        response = heron.get(f"/api/messages/?mailbox={quote(folder)}&q={quote(query)}")
        assert response.status_code == 200, query
        found = {m["subject"] for m in response.json()["messages"]}
        assert found <= {"by Adam", "by Carol", "by Zoe"}
