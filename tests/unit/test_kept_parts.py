"""Parts of a page are drawn once per process and kept (webmail/templatetags/kept.py): a kept
part must follow every value it shows, carry the request's own CSRF token, and never show
up on another user's page."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model as user_model
from django.test import Client
from django.utils import timezone

from accounts.preferences import choose
from contacts.known import sender_card
from contacts.models import Card
from tests.unit.conftest import log_in
from webmail import kept_page
from webmail.templatetags import kept

pytestmark = pytest.mark.django_db
TOKENS = re.compile(r'csrfmiddlewaretoken" value="([^"]+)"')


def folder_link(page, name):
    start = page.index(f'data-folder="{name}"')
    return page[start:page.index(">", start)]


def test_the_kept_folder_list_marks_the_folder_shown(alice):
    page = alice.get("/mail/", {"mailbox": "Sent"}).content.decode()
    assert "aria-current" in folder_link(page, "Sent")
    assert "aria-current" not in folder_link(page, "INBOX")
    page = alice.get("/mail/", {"mailbox": "INBOX"}).content.decode()
    assert "aria-current" in folder_link(page, "INBOX")
    assert "aria-current" not in folder_link(page, "Sent")
    assert kept.kept_count()


def test_a_kept_part_follows_the_language(alice, django_user_model):
    assert '<script src="/jsi18n/en/' in alice.get("/mail/").content.decode()
    choose(django_user_model.objects.get(username="alice@heron.test"), {"language": "de"})
    page = alice.get("/mail/").content.decode()
    assert '<script src="/jsi18n/de/' in page and "/jsi18n/en/" not in page


def test_kept_parts_carry_the_requests_own_csrf_token(alice):
    page = alice.get("/mail/").content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    assert kept.TOKEN_STAND_IN not in page
    assert set(TOKENS.findall(page)) == {token}
    carol = Client()
    log_in(carol, "carol@heron.test")
    other = carol.get("/mail/").content.decode()
    assert kept.TOKEN_STAND_IN not in other and token not in other


def test_another_users_page_never_shows_parts_kept_for_alice(alice):
    alice_page = alice.get("/mail/").content.decode()
    assert "alice@heron.test" in alice_page and 'data-folder="Projects"' in alice_page
    carol = Client()
    log_in(carol, "carol@heron.test")
    page = carol.get("/mail/").content.decode()
    assert "alice@heron.test" not in page and 'data-folder="Projects"' not in page
    assert "carol@heron.test" in page


def test_the_kept_message_toolbar_follows_the_messages_flags(alice, fake_server):
    def toolbar():
        page = alice.get("/mail/message/119/", {"mailbox": "INBOX"}).content.decode()
        return page[page.index('class="message-actions'):page.index("</form>", page.index(
            'class="message-actions'))]
    assert 'value="flag"' in toolbar()
    fake_server.folder("alice@heron.test", "INBOX").messages[119].flags.add("\\Flagged")
    assert 'value="unflag"' in toolbar() and 'value="flag"' not in toolbar()


def test_the_kept_search_form_shows_each_requests_own_search(alice):
    page = alice.get("/mail/", {"q": "heron report", "unread": "on"}).content.decode()
    assert 'value="heron report"' in page and 'name="unread" value="on" checked' in page
    page = alice.get("/mail/", {"q": "other words"}).content.decode()
    assert 'value="other words"' in page and "heron report" not in page
    assert 'name="unread" value="on" checked' not in page
    carol = Client()
    log_in(carol, "carol@heron.test")
    assert "heron report" not in carol.get("/mail/").content.decode()


def test_the_kept_sender_card_follows_the_address_book(alice):
    def sender_part():
        page = alice.get("/mail/message/6/", {"mailbox": "INBOX"}).content.decode()
        return page[page.index("<dt>From</dt>"):page.index("</dd>", page.index("<dt>From"))]
    assert "Add to contacts" in sender_part()
    alice.post("/contacts/new/", {"full_name": "Sender 6", "email": ["s6@x.test"],
                                  "email_label": [""]})
    card = Card.objects.get()
    assert f'href="/contacts/{card.pk}/"' in sender_part()
    card.delete()
    assert "Add to contacts" in sender_part()
    carol = Client()
    log_in(carol, "carol@heron.test")
    assert not sender_card(user_model().objects.get(username="carol@heron.test"), "s6@x.test")


def without_tokens(page):
    """The page without what each request draws anew: its CSRF tokens and style nonce."""
    page = re.sub(r'<meta name="heron-style-nonce" content="[^"]+">', "", page)
    return TOKENS.sub("", re.sub(r'"X-CSRFToken": "[^"]+"', "", page))


@pytest.mark.parametrize("query", [
    {}, {"page": "2"}, {"mailbox": "Sent"}, {"mailbox": "Trash"}, {"threads": "on"},
    {"sort": "from", "order": "asc"}, {"q": "Message 7"},
    {"q": "Message", "where": "everywhere"}, {"mailbox": "INBOX", "page": "3"}])
@pytest.mark.parametrize("fragment", [False, True])
def test_the_page_kept_whole_is_the_page_drawn_afresh(alice, query, fragment):
    """The mail page keeps its top bar, folder list and message list whole: what it shows
    from memos must be, byte for byte, what drawing everything again shows."""
    headers = {"HTTP_HX_REQUEST": "true"} if fragment else {}
    first = alice.get("/mail/", query, **headers).content.decode()
    again = alice.get("/mail/", query, **headers).content.decode()  # from the memos
    assert kept_page.kept_count(), "the page is kept whole (webmail/kept_page.py)"
    kept_page.forget_everything()
    kept.forget_everything()
    from webmail.templatetags import rows
    rows._kept_row.cache_clear()
    afresh = alice.get("/mail/", query, **headers).content.decode()
    assert without_tokens(first) == without_tokens(again) == without_tokens(afresh)


def test_the_kept_list_offers_every_folder_to_move_to(alice):
    alice.get("/mail/")
    page = alice.get("/mail/").content.decode()
    mover = page[page.index('id="move-target"'):page.index("</select>", page.index(
        'id="move-target"'))]
    for folder in ("INBOX", "Sent", "Trash", "Projects", "Projects/Heron"):
        assert f'<option value="{folder}">' in mover


def test_the_kept_list_pages_keep_the_requests_own_query(alice):
    page = alice.get("/mail/", {"mailbox": "INBOX", "page": "2", "sort": "subject"}) \
        .content.decode()
    assert 'href="?mailbox=INBOX&amp;page=1&amp;sort=subject"' in page
    assert 'href="?mailbox=INBOX&amp;page=3&amp;sort=subject"' in page
    page = alice.get("/mail/", {"mailbox": "INBOX", "page": "2"}).content.decode()
    assert 'href="?mailbox=INBOX&amp;page=3"' in page
    assert 'href="?mailbox=INBOX&amp;page=3&amp;sort=subject"' not in page


def test_the_kept_lists_snooze_times_follow_the_clock(alice, service_server, monkeypatch):
    """The Snooze menu's times are worked out for each request, outside the kept list."""
    def bounds():
        page = alice.get("/mail/").content.decode()
        return re.search(r'id="list-snooze-at" name="until_local" min="([^"]+)"', page).group(1)
    before = bounds()
    assert bounds() == before
    now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: now() + timedelta(hours=5))
    assert bounds() != before


def test_a_kept_part_holds_no_requests_context(alice):
    """What is kept is each part's key and the text drawn: not the context of the request
    that drew it (its request, session, message body), which must not outlive it."""
    from django.http import HttpRequest
    from django.template import Context

    def within(value):
        yield value
        if isinstance(value, (tuple, list)):
            for item in value:
                yield from within(item)
        elif isinstance(value, dict):
            for item in value.values():
                yield from within(item)

    alice.get("/mail/message/6/", {"mailbox": "INBOX"})
    alice.get("/mail/")
    assert kept.kept_count()
    for key, part in list(kept._parts.items()):
        assert isinstance(part, str)
        assert not any(isinstance(thing, (HttpRequest, Context)) for thing in within(key))
