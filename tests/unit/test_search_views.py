"""The search box's query words, the active filters above the results, the Filters popover
and the sort order remembered per folder, through the in-memory mail server."""
import html
import re
from pathlib import Path

import pytest
from django.test import Client

from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
CAROL_MAIL = (b"From: Carol Smith <carol@heron.test>\r\nTo: alice@heron.test\r\n"
              b"Subject: Lunch on Friday\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
              b"Message-ID: <lunch@heron.test>\r\n\r\nShall we?\r\n")


def rows(page):
    return [int(uid) for uid in re.findall(r'data-uid="(\d+)"', page)]


def get(client, **params):
    return client.get("/mail/", params).content.decode()


@pytest.fixture
def carol_wrote(alice, fake_server):
    return fake_server.folder(ALICE, "INBOX").append(CAROL_MAIL)


def test_from_finds_the_senders_mail(alice, carol_wrote):
    assert rows(get(alice, q="from:carol")) == [carol_wrote]
    assert rows(get(alice, q='from:"Carol Smith" lunch')) == [carol_wrote]
    assert rows(get(alice, q="from:carol subject:invoice")) == []


def test_query_words_mix_with_the_filters_and_with_flags(alice, fake_server, carol_wrote):
    assert rows(get(alice, q="from:carol is:unread")) == [carol_wrote]
    fake_server.folder(ALICE, "INBOX").messages[carol_wrote].flags.add("\\Seen")
    assert rows(get(alice, q="from:carol is:unread")) == []
    assert rows(get(alice, q="from:carol is:read")) == [carol_wrote]
    assert rows(get(alice, q="from:s7@x.test")) == [7]


def test_has_attachment_keeps_only_mail_with_attachments(alice):
    found = rows(get(alice, q="has:attachment"))
    assert found and all(uid % 5 == 0 for uid in found)


def test_dates_in_the_box_limit_the_results(alice, carol_wrote):
    assert rows(get(alice, q="from:carol after:2026-03-02")) == [carol_wrote]
    assert rows(get(alice, q="from:carol before:2026-03-02")) == []


@pytest.mark.parametrize("params, problem", [
    ({"q": "after:2026-03-05 before:2026-03-01"}, "the dates are the wrong way round"),
    ({"q": "before:2026-02-30"}, '"before:2026-02-30" does not name a day'),
    ({"q": "after:1066-10-14"}, "Choose a date between 1900 and 2999."),
    ({"since": "2026-03-05", "until": "2026-03-01"}, "The dates are the wrong way round"),
    ({"q": "after:2026-03-05", "until": "2026-03-01"}, "The dates are the wrong way round"),
])
def test_an_impossible_date_range_is_said_on_the_page(alice, params, problem):
    page = get(alice, **params)
    alert = page.split('id="search-problems"')[1].split("</div>")[0]
    assert problem in html.unescape(alert)
    assert 'aria-invalid="true"' in page
    assert "No messages match your search." not in page
    assert html.escape(params.get("q", "")) in page, "what was typed stays in the box"


def test_active_filters_are_chips_that_each_remove_one(alice, carol_wrote):
    page = html.unescape(get(alice, mailbox="INBOX", q='from:"Carol Smith" lunch',
                             unread="on", sort="from"))
    chips = re.findall(r'<li class="chip"><span>([^<]*)</span> <a class="chip-remove" '
                       r'href="([^"]*)"', page)
    assert [label for label, _ in chips] == ["From: Carol Smith", "Contains: lunch", "Unread"]
    without_from = dict(chips)["From: Carol Smith"]
    assert "q=lunch" in without_from and "unread=on" in without_from
    assert "sort=from" in without_from, "removing a filter keeps the order"
    assert "unread" not in dict(chips)["Unread"]
    assert rows(alice.get(without_from).content.decode()) == [carol_wrote]
    assert 'class="clear-all" href="/mail/?mailbox=INBOX">Clear all</a>' in page


def test_no_chips_without_a_search(alice):
    assert 'class="filter-chips"' not in get(alice)


def test_the_filters_are_a_popover_that_works_without_javascript(alice):
    page = get(alice, q="x")
    form = page.split('<form class="search"')[1].split("</form>")[0]
    assert '<details class="filters search-popover" id="search-filters">' in form
    for name in ("scope", "where", "unread", "flagged", "attachment", "since", "until"):
        assert f'name="{name}"' in form, "the filters are fields of the search form itself"
    assert "<script>" not in page and " on" + "click=" not in page, "no inline script (CSP)"
    assert '/static/js/search.js" defer></script>' in page
    script = (Path(__file__).parents[2] / "static/js/search.js").read_text()
    assert "search-filters" in script and "sort-form" in script


def test_the_sort_form_applies_on_change_and_keeps_its_button_for_no_javascript(alice):
    page = get(alice, q="from:carol", unread="on")
    form = page.split('class="sort-form"')[1].split("</form>")[0]
    assert '<noscript><button type="submit" class="button secondary">Apply</button></noscript>' \
        in form
    assert '<input type="hidden" name="q" value="from:carol">' in form
    assert '<input type="hidden" name="unread" value="on">' in form


def _selected_sort(page):
    """(sort, order, conversations) as the list's sort form shows them."""
    form = page.split('class="sort-form"')[1].split("</form>")[0]
    sort = re.search(r'<option value="(\w+)" selected>', form.split('id="order"')[0])
    return (sort.group(1), "asc" if '<option value="asc" selected>' in form else "desc",
            'name="threads" value="on" checked' in form)


def test_the_sort_order_is_remembered_per_folder(alice):
    assert _selected_sort(get(alice, mailbox="Projects", sort="subject", order="asc")) == (
        "subject", "asc", False)
    assert _selected_sort(get(alice, mailbox="INBOX")) == ("date", "desc", False)
    page = get(alice, mailbox="Projects")
    assert _selected_sort(page) == ("subject", "asc", False)
    assert rows(page) == [700, 701], "Message 700 before Message 701"
    # An explicit order wins, and is the one remembered from then on.
    get(alice, mailbox="Projects", sort="date", order="desc", threads="on")
    assert _selected_sort(get(alice, mailbox="Projects")) == ("date", "desc", True)


def test_a_remembered_order_is_the_users_own(alice, fake_server):
    get(alice, mailbox="INBOX", sort="size", order="asc")
    carol = Client()
    log_in(carol, "carol@heron.test")
    assert _selected_sort(carol.get("/mail/").content.decode()) == ("date", "desc", False)


def test_a_remembered_order_that_is_no_longer_offered_falls_back_to_date(alice):
    session = alice.session
    session["heron_sort"] = {"INBOX": {"sort": "nonsense", "order": "up", "threads": "x"}}
    session.save()
    assert _selected_sort(get(alice, mailbox="INBOX")) == ("date", "desc", False)


def test_sender_sort_goes_by_the_name_shown_not_the_address(alice, fake_server):
    folder = fake_server.folder(ALICE, "Projects/Heron")
    folder.messages.clear()
    for sender in ("Zoe <aaron@x.test>", "Adam <zed@x.test>", "mila@x.test"):
        folder.append(f"From: {sender}\r\nSubject: s\r\n\r\nb\r\n".encode())
    zoe, adam, mila = 804, 805, 806  # (the folder's next UIDs)
    page = get(alice, mailbox="Projects/Heron", sort="from", order="asc")
    assert rows(page) == [adam, mila, zoe], "Adam, mila@x.test, Zoe; not aaron, mila, zed"


def test_a_nul_in_the_search_is_refused_on_the_page(alice, carol_wrote):
    page = get(alice, q="from:carol\x00")
    alert = page.split('id="search-problems"')[1].split("</div>")[0]
    assert "Null characters are not allowed." in alert
