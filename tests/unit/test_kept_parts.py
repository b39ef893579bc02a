"""Parts of a page are drawn once per process and kept (webmail/templatetags/kept.py): a kept
part must follow every value it shows, carry the request's own CSRF token, and never show
up on another user's page."""
import re

import pytest
from django.contrib.auth import get_user_model as user_model
from django.test import Client

from accounts.preferences import choose
from contacts.known import sender_card
from contacts.models import Card
from tests.unit.conftest import log_in
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
    assert kept._kept.cache_info().currsize


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
