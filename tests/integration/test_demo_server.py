"""The IMAP layer against the demo server, which has no SORT and no SPECIAL-USE."""
import pytest

from tests.integration.conftest import log_in
from webmail.imap.session import MailSession

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def demo(demo_server):
    session = MailSession(demo_server)
    session.login("demo@heron.demo", "demopass")
    yield session
    session.close()


def test_the_demo_server_really_lacks_sort(demo):
    assert not demo.has("SORT")
    assert not demo.has("SPECIAL-USE")


def test_heron_sorts_by_date_itself_newest_first(demo):
    page = demo.page("INBOX")
    dates = [m.date for m in page.messages]
    assert page.total == len(page.messages) > 1
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("sort, key", [
    ("size", lambda m: m.size),
    ("subject", lambda m: m.subject.lower().removeprefix("re: ").removeprefix("re: ")),
    ("arrival", lambda m: m.uid),
])
def test_heron_sorts_by_other_keys_itself(demo, sort, key):
    ascending = demo.page("INBOX", sort=sort, reverse=False).messages
    values = [key(m) for m in ascending]
    assert values == sorted(values)


def test_special_folders_are_found_by_name(demo):
    roles = {box.name: box.role for box in demo.list_mailboxes()}
    assert roles["INBOX"] == "inbox"
    assert roles["Sent"] == "sent"
    assert roles["Trash"] == "trash"


def test_the_demo_login_reaches_the_inbox_through_heron(client, demo_server, use_imap_server):
    use_imap_server(demo_server)
    assert log_in(client, "demo@heron.demo", "demopass").status_code == 302
    page = client.get("/mail/").content.decode()
    assert "<h1>Inbox</h1>" in page and 'class="message-row' in page
