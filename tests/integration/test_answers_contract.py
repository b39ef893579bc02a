"""The user's own answers in another folder, found by the messages they answer (the
conversation view shows replies from Sent): one SEARCH on every kind of server."""
import pytest

from tests.integration import mailfactory as mf
from webmail.imap.session import MailSession

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_answers_are_found_by_in_reply_to_or_references_and_odd_ids_are_not_sent(
        account, scratch):
    conn, folder, append = scratch
    direct = append(mf.message(subject="Re: plan", in_reply_to="<plan-1@x.test>"))
    later = append(mf.message(subject="Re: Re: plan", in_reply_to="<other@x.test>",
                              references="<plan-1@x.test> <other@x.test>"))
    append(mf.message(subject="Unrelated", in_reply_to="<elsewhere@x.test>"))
    mail = MailSession(account.config)
    mail.login(account.username, account.password)
    try:
        found = mail.answers_in(folder, ["<plan-1@x.test>", "<nothing@x.test>",
                                         "<bad id\r\nA1 LOGOUT>", ""])
        assert found == sorted([direct, later])
        assert mail.answers_in(folder, ["not-an-id"]) == []
    finally:
        mail.close()
