"""CardDAV through Heron's pages: alice logs in to Dovecot with her mail password, and her
domain's address book is her book on the stack's Radicale (a fresh one per test)."""
import os
import uuid

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.domains import forget_domain
from accounts.models import Domain
from contacts import cards, vcards
from contacts.davserver import CardDavServer, forget_server
from contacts.models import AddressBook, Card
from tests.integration.conftest import log_in
from tests.integration.test_carddav_bad_server import CannedServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ALICE, CAROL = "alice@heron.test", "carol@heron.test"
MKCOL = (b'<?xml version="1.0" encoding="utf-8"?>'
         b'<mkcol xmlns="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><set><prop>'
         b'<resourcetype><collection/><CR:addressbook/></resourcetype></prop></set></mkcol>')


def heron_test_domain(carddav_url):
    domain = Domain.objects.create(
        name="heron.test", imap_host=os.environ["IMAP_HOST"],
        imap_port=int(os.environ["IMAP_PORT"]), imap_security="none",
        smtp_host=os.environ["SMTP_HOST"], smtp_port=int(os.environ["SMTP_PORT"]),
        smtp_security="none")
    CardDavServer.objects.create(domain=domain, url=carddav_url)
    forget_domain("heron.test")
    forget_server("heron.test")
    return domain


@pytest.fixture
def book_name(stack_users):
    """A fresh book of the same name for alice and carol on Radicale, removed after."""
    base = os.environ.get("HERON_STACK_CARDDAV_URL")
    if not base:
        pytest.fail("HERON_STACK_CARDDAV_URL is not set: the stack has no Radicale")
    name = f"test-{uuid.uuid4().hex[:12]}"
    clients = {user: httpx.Client(auth=(user, stack_users[user]), timeout=10)
               for user in (ALICE, CAROL)}
    for user, client in clients.items():
        assert client.request("MKCOL", f"{base}{user}/{name}/", content=MKCOL).status_code == 201
    yield name
    for user, client in clients.items():
        client.request("DELETE", f"{base}{user}/{name}/")
        client.close()
    forget_domain("heron.test")


@pytest.fixture
def server(stack_users, book_name):
    """Alice's book on Radicale, spoken to with plain HTTP."""
    client = httpx.Client(auth=(ALICE, stack_users[ALICE]), timeout=10)
    client.book_url = f"{os.environ['HERON_STACK_CARDDAV_URL']}{ALICE}/{book_name}/"
    yield client
    client.close()


@pytest.fixture
def alice(stack_users, book_name, settings):
    heron_test_domain(f"{os.environ['HERON_STACK_CARDDAV_URL']}{{user}}/{book_name}/")
    client = Client()
    assert log_in(client, ALICE, stack_users[ALICE]).status_code == 302
    return client


@pytest.fixture
def carol(stack_users, alice):
    client = Client()
    assert log_in(client, CAROL, stack_users[CAROL]).status_code == 302
    return client


def put(server, uid, name, email, etag=None):
    text = (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\n"
            f"EMAIL:{email}\r\nEND:VCARD\r\n")
    headers = {"If-Match": etag} if etag else {"If-None-Match": "*"}
    answer = server.put(f"{server.book_url}{uid}.vcf", content=text.encode(), headers=headers)
    assert answer.status_code in (201, 204)
    return answer.headers["etag"]


def page(client, path="/contacts/"):
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_opening_contacts_brings_in_the_servers_cards(alice, server):
    put(server, "ada", "Ada Lovelace", "ada@example.org")
    assert "Ada Lovelace" in page(alice)
    book = AddressBook.objects.get(user__username=ALICE)
    assert book.remote_url == server.book_url and book.synced_at


def test_an_edit_in_heron_is_written_through_to_the_server_at_once(alice, server):
    put(server, "ada", "Ada Lovelace", "ada@example.org")
    page(alice)
    card = Card.objects.get(uid="ada")
    response = alice.post(f"/contacts/{card.pk}/edit/", {
        "full_name": "Ada King", "given_name": "", "family_name": "", "organisation": "",
        "birthday": "", "notes": "", "email": ["ada@example.org"], "email_label": [""],
        "phone": [""], "phone_label": [""]})
    assert response.status_code == 302
    assert "FN:Ada King" in server.get(f"{server.book_url}ada.vcf").text
    card.refresh_from_db()
    assert not card.dirty


def test_a_card_made_and_deleted_in_heron_comes_and_goes_on_the_server(alice, server):
    page(alice)
    response = alice.post("/contacts/new/", {
        "full_name": "Grace Hopper", "given_name": "", "family_name": "", "organisation": "",
        "birthday": "", "notes": "", "email": ["grace@example.org"], "email_label": [""],
        "phone": [""], "phone_label": [""]})
    assert response.status_code == 302
    card = Card.objects.get(full_name="Grace Hopper")
    url = os.environ["HERON_STACK_CARDDAV_URL"].rstrip("/") + card.href
    assert "grace@example.org" in server.get(url).text
    assert alice.post(f"/contacts/{card.pk}/delete/").status_code == 302
    assert server.get(url).status_code == 404
    assert not Card.objects.filter(full_name="Grace Hopper").exists()


def test_a_conflict_shows_both_versions_and_the_user_keeps_one(alice, server):
    etag = put(server, "ada", "Ada Lovelace", "ada@example.org")
    page(alice)
    card = Card.objects.get(uid="ada")
    # Heron's edit could not be written through (say the server was down): it is dirty.
    Card.objects.filter(pk=card.pk).update(dirty=True, vcard=card.vcard.replace(
        "FN:Ada Lovelace", "FN:Ada (mine)"), full_name="Ada (mine)")
    put(server, "ada", "Ada (theirs)", "ada@example.org", etag)
    listing = page(alice)
    assert "Ada (mine)" in listing and "Ada (theirs)" in listing
    assert "both versions are kept" in listing
    copy = Card.objects.get(conflict_of=card)
    shown = page(alice, f"/contacts/{copy.pk}/")
    assert "Keep this version" in shown and f"/contacts/{card.pk}/" in shown
    assert "your version of Ada (mine)" in page(alice, f"/contacts/{card.pk}/")
    response = alice.post(f"/contacts/{copy.pk}/resolve/", {"keep": "mine"})
    assert response.status_code == 302 and response["Location"] == f"/contacts/{card.pk}/"
    assert "FN:Ada (mine)" in server.get(f"{server.book_url}ada.vcf").text
    assert list(Card.objects.values_list("full_name", flat=True)) == ["Ada (mine)"]


def test_resolving_takes_a_post(alice, server):
    assert alice.get("/contacts/1/resolve/").status_code == 405


def test_resolving_needs_a_login(db):
    response = Client().post("/contacts/1/resolve/", {"keep": "mine"})
    assert response.status_code == 302 and "/login" in response["Location"]


def test_carol_gets_404_for_alices_conflict(alice, carol, server):
    etag = put(server, "ada", "Ada Lovelace", "ada@example.org")
    page(alice)
    card = Card.objects.get(uid="ada")
    Card.objects.filter(pk=card.pk).update(dirty=True, full_name="Mine", vcard=card.vcard.replace(
        "FN:Ada Lovelace", "FN:Mine"))
    put(server, "ada", "Theirs", "ada@example.org", etag)
    page(alice)
    copy = Card.objects.get(conflict_of=card)
    assert carol.post(f"/contacts/{copy.pk}/resolve/", {"keep": "mine"}).status_code == 404
    assert Card.objects.filter(pk=copy.pk).exists()


def test_suggestions_sync_at_most_every_so_often(alice, server, settings):
    settings.HERON_CARDDAV_SYNC_SECONDS = 3600
    put(server, "ada", "Ada Lovelace", "ada@example.org")
    found = alice.get("/accounts/contacts/?q=ada").json()["contacts"]
    assert [c["email"] for c in found] == ["ada@example.org"]
    put(server, "adam", "Adam Smith", "adam@example.org")
    found = alice.get("/accounts/contacts/?q=ada").json()["contacts"]
    assert [c["email"] for c in found] == ["ada@example.org"]  # not asked again yet
    assert "Adam Smith" in page(alice)  # opening Contacts always asks


def test_a_slow_server_gives_a_message_on_the_page_and_loses_nothing(stack_users, settings,
                                                                      db):
    settings.HERON_CARDDAV_TIMEOUT = 2
    slow = CannedServer(b"", hold=True)
    try:
        heron_test_domain(slow.url.replace("/book/", "/{user}/"))
        client = Client()
        assert log_in(client, ALICE, stack_users[ALICE]).status_code == 302
        user = get_user_model().objects.get(username=ALICE)
        book = AddressBook.objects.create(user=user, name="Contacts",
                                          remote_url=slow.url.replace("/book/", f"/{ALICE}/"))
        cards.save(book, vcards.CardData(full_name="Ada Lovelace"))
        shown = page(client)
        assert "did not answer in time" in shown and "Ada Lovelace" in shown
        card = Card.objects.get(book=book)
        assert card.dirty and card.full_name == "Ada Lovelace"
    finally:
        slow.close()
