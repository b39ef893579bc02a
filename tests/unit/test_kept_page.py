"""The message page and the reading pane are kept whole per process for the values they
show (webmail/views/kept_page.py): a kept page must be, byte for byte, the page drawn
afresh, carry the request's own CSRF token and style nonce, tell notices once, follow
every value it shows, and never reach another user."""
import re

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from accounts.preferences import choose
from tests.unit.conftest import log_in
from tests.unit.test_inline_frame import ALICE, HOSTILE
from webmail import kept_page
from webmail.templatetags import kept

pytestmark = pytest.mark.django_db
TOKENS = re.compile(r'(?:csrfmiddlewaretoken" value="|"X-CSRFToken": ")([^"]+)"')
NONCE = re.compile(r'<meta name="heron-style-nonce" content="([^"]+)">')
PANE = {"HTTP_HX_REQUEST": "true", "HTTP_X_HERON_STYLE_NONCE": "paneNonce0123456789abcdef"}


@pytest.fixture
def styled(fake_server):
    return fake_server.folder(ALICE, "INBOX").append(HOSTILE)


def without_tokens(page):
    """The page without what each request draws anew: its CSRF tokens and style nonce."""
    for nonce in NONCE.findall(page) + [PANE["HTTP_X_HERON_STYLE_NONCE"]]:
        page = page.replace(nonce, "NONCE")
    return TOKENS.sub("TOKEN", page)


@pytest.mark.parametrize("query", [{}, {"view": "text"}, {"images": "1"}, {"at": "0"}])
@pytest.mark.parametrize("pane", [False, True])
def test_the_kept_page_is_the_page_drawn_afresh(alice, styled, query, pane):
    headers = PANE if pane else {}
    path = f"/mail/message/{styled}/"
    alice.get(path, {"mailbox": "INBOX", **query}, **headers)  # marks it read: not kept
    assert kept_page.kept_count() == 0
    first = alice.get(path, {"mailbox": "INBOX", **query}, **headers).content.decode()
    held = kept_page.kept_count()
    again = alice.get(path, {"mailbox": "INBOX", **query}, **headers).content.decode()
    assert kept_page.kept_count() == held == 1, "the second open is the kept page"
    kept_page.forget_everything()
    kept.forget_everything()
    afresh = alice.get(path, {"mailbox": "INBOX", **query}, **headers).content.decode()
    assert without_tokens(first) == without_tokens(again) == without_tokens(afresh)
    assert "Styled" in again


def test_a_kept_page_carries_the_requests_own_token_and_nonce(alice, styled):
    pages = [alice.get(f"/mail/message/{styled}/", {"mailbox": "INBOX"}) for _ in range(2)]
    secret = alice.cookies["csrftoken"].value
    tokens = []
    for response in pages:
        page = response.content.decode()
        for stand_in in (kept_page.CSRF_STAND_IN, kept_page.NONCE_STAND_IN,
                         kept_page.NOTICES_STAND_IN, kept.TOKEN_STAND_IN):
            assert stand_in not in page
        found = set(TOKENS.findall(page))
        assert len(found) == 1 and _unmask_cipher_token(found.pop()) == secret
        tokens.append(TOKENS.search(page).group(1))
        nonce = NONCE.search(page).group(1)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        assert f"nonce=&quot;{nonce}&quot;" in page  # the srcdoc document's stylesheets
    assert tokens[0] != tokens[1]
    pane = alice.get(f"/mail/message/{styled}/", {"mailbox": "INBOX"}, **PANE).content.decode()
    assert "nonce=&quot;paneNonce0123456789abcdef&quot;" in pane


def test_notices_are_told_once_around_a_kept_page(alice, styled):
    path = f"/mail/message/{styled}/"
    alice.get(path, {"mailbox": "INBOX"})  # kept
    alice.post("/mail/trust-sender/", {"email": "news@shop.test", "next": path})
    told = alice.get(path, {"mailbox": "INBOX"}).content.decode()
    assert "Images from news@shop.test will always be shown." in told
    again = alice.get(path, {"mailbox": "INBOX"}).content.decode()
    assert "will always be shown" not in again
    assert 'class="notices"' not in again and "Styled" in again


def test_a_kept_page_follows_the_values_it_shows(alice, styled, django_user_model):
    path = f"/mail/message/{styled}/"
    assert 'data-density="comfortable"' in alice.get(path, {"mailbox": "INBOX"}).content.decode()
    choose(django_user_model.objects.get(username=ALICE), {"density": "compact"})
    page = alice.get(path, {"mailbox": "INBOX"}).content.decode()
    assert 'data-density="compact"' in page
    choose(django_user_model.objects.get(username=ALICE), {"language": "de"})
    page = alice.get(path, {"mailbox": "INBOX"}).content.decode()
    assert '<html lang="de"' in page and "/jsi18n/de/" in page


def test_another_user_never_gets_a_page_kept_for_alice(alice, styled):
    path = f"/mail/message/{styled}/"
    for _ in range(2):
        assert ALICE in alice.get(path, {"mailbox": "INBOX"}).content.decode()
    assert kept_page.kept_count() == 1
    carol = Client()
    log_in(carol, "carol@heron.test")
    page = carol.get(path, {"mailbox": "INBOX"}).content.decode()  # not in her INBOX
    assert "carol@heron.test" in page and ALICE not in page and "Styled" not in page


def test_a_mail_spelling_a_stand_in_shows_it_as_text(alice, fake_server):
    """The stand-ins were once fixed strings, which a mail could spell to have the token
    or the nonce drawn into its subject; each process now draws its own."""
    old = "keptcsrftokenstandinQx7Zr2Lw9Vb4"
    mail = HOSTILE.replace(b"Subject: Styled", f"Subject: Styled {old}".encode())
    uid = fake_server.folder(ALICE, "INBOX").append(mail)
    for _ in range(3):  # drawn, kept, and shown again from the memos
        page = alice.get(f"/mail/message/{uid}/", {"mailbox": "INBOX"}).content.decode()
        token = TOKENS.search(page).group(1)
        assert f"Styled {old}" in page and page.count(token) == len(TOKENS.findall(page))
    assert not {kept.TOKEN_STAND_IN, kept_page.CSRF_STAND_IN} & {old}


def test_a_value_that_cannot_be_read_draws_the_page_unkept(alice, styled, monkeypatch):
    from django.db import DatabaseError

    def down(user):
        raise DatabaseError("the database is down")
    monkeypatch.setattr(kept_page, "shown", down)
    path = f"/mail/message/{styled}/"
    for _ in range(2):
        response = alice.get(path, {"mailbox": "INBOX"})
        assert response.status_code == 200 and "Styled" in response.content.decode()
    assert kept_page.kept_count() == 0


def test_the_kept_json_list_follows_a_flag_change(alice):
    from webmail.views import api

    def listed():
        answer = alice.get("/api/messages/", {"mailbox": "INBOX"})
        assert answer["Content-Type"] == "application/json"
        return {m["uid"]: m["flags"] for m in answer.json()["messages"]}

    first = listed()
    assert listed() == first and len(api._answers) == 1
    uid = next(uid for uid, flags in first.items() if "\\Flagged" not in flags)
    alice.post("/mail/actions/", {"action": "flag", "mailbox": "INBOX", "uids": [uid]})
    assert "\\Flagged" in listed()[uid]
