"""List rows are drawn once per process and kept (webmail/templatetags/rows.py): a kept row
must never outlive a change to what it shows, nor show up in another user's list."""
import pytest
from django.test import Client

from accounts.preferences import choose
from tests.unit.conftest import log_in
from webmail.templatetags import rows

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"


def row(page, uid):
    """The row of this UID, from its <tr> on."""
    start = page.index(f'data-uid="{uid}"')
    return page[page.rindex("<tr", 0, start):page.index("</tr>", start)]


def listed(client, **query):
    return client.get("/mail/", {"mailbox": "INBOX", **query}).content.decode()


def test_a_kept_row_shows_a_flag_set_after_it_was_drawn(alice, fake_server):
    assert "flagged" not in row(listed(alice), 119).split(">")[0]
    assert rows._kept_row.cache_info().currsize
    fake_server.folder(ALICE, "INBOX").messages[119].flags.add("\\Flagged")
    assert 'class="message-row flagged"' in row(listed(alice), 119)
    fake_server.folder(ALICE, "INBOX").messages[119].flags.discard("\\Seen")
    assert 'class="message-row unread flagged"' in row(listed(alice), 119)


def test_a_kept_row_follows_the_sort_and_the_language(alice, django_user_model):
    first = row(listed(alice), 119)
    assert "&amp;sort=date&amp;order=desc" in first and "Monday 5 January 2026" in first
    assert "&amp;sort=subject&amp;order=asc" in row(listed(alice, sort="subject", order="asc"),
                                                    119)
    choose(django_user_model.objects.get(username=ALICE), {"language": "de"})
    assert "Montag 5 Januar 2026" in row(listed(alice, sort="date", order="desc"), 119)


def test_another_users_list_never_shows_rows_kept_for_alice(alice, fake_server):
    listed(alice)
    carol = Client()
    log_in(carol, "carol@heron.test")
    page = listed(carol)
    assert 'data-uid="119"' not in page and "Message 119" not in page
