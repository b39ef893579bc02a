"""Two-way sync with the stack's Radicale (deploy/stack/radicale.sh).

Each test gets an address book of its own on the server (MKCOL before, DELETE after), and
changes the server's side with plain HTTP, as another CardDAV client would.
"""
import os
import uuid

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from contacts import cards, davcards, groups, vcards
from contacts.carddav import CardDavClient, discover
from contacts.models import AddressBook, Card, Group
from contacts.sync import Report, push_card, resolve, sync_book

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

USER = "alice@heron.test"

MKCOL = (b'<?xml version="1.0" encoding="utf-8"?>'
         b'<mkcol xmlns="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><set><prop>'
         b'<resourcetype><collection/><CR:addressbook/></resourcetype></prop></set></mkcol>')


@pytest.fixture
def password(stack_users):
    if not os.environ.get("HERON_STACK_CARDDAV_URL"):
        pytest.fail("HERON_STACK_CARDDAV_URL is not set: the stack has no Radicale "
                    "(bash deploy/stack/radicale.sh up, then read .stack/env again)")
    return stack_users[USER]


@pytest.fixture
def server(password):
    """Plain HTTP to a fresh address book of alice's on Radicale."""
    base = os.environ["HERON_STACK_CARDDAV_URL"]
    url = f"{base}{USER}/test-{uuid.uuid4().hex[:12]}/"
    client = httpx.Client(auth=(USER, password), timeout=10)
    assert client.request("MKCOL", url, content=MKCOL).status_code == 201
    client.book_url = url
    yield client
    client.request("DELETE", url)
    client.close()


@pytest.fixture
def book(server):
    user = get_user_model().objects.create(username=USER)
    return AddressBook.objects.create(user=user, name="Contacts", remote_url=server.book_url)


def vcard(uid, name, email="", version="3.0"):
    lines = ["BEGIN:VCARD", f"VERSION:{version}", f"UID:{uid}", f"FN:{name}",
             f"N:{name.split()[-1]};{name.split()[0]};;;"]
    if email:
        lines.append(f"EMAIL;TYPE=work:{email}")
    return "\r\n".join(lines + ["END:VCARD", ""])


def put_on_server(server, uid, text, etag=None):
    headers = {"Content-Type": "text/vcard; charset=utf-8"}
    headers.update({"If-Match": etag} if etag else {"If-None-Match": "*"})
    answer = server.put(f"{server.book_url}{uid}.vcf", content=text.encode(), headers=headers)
    assert answer.status_code in (201, 204), answer.text
    return answer.headers["etag"]


def on_server(server, uid):
    answer = server.get(f"{server.book_url}{uid}.vcf")
    return answer.text if answer.status_code == 200 else None


def sync(book, password, **options):
    book.refresh_from_db()
    report = sync_book(book, USER, password, **options)
    assert not report.error, report.error
    return report


def edit_in_heron(card, **fields):
    data = cards.data_of(card)
    for name, value in fields.items():
        setattr(data, name, value)
    return cards.save(card.book, data, card)


@pytest.mark.parametrize("use_sync_collection", [True, False], ids=["sync-token", "ctag-etag"])
def test_a_card_added_on_the_server_appears_in_heron(server, book, password,
                                                     use_sync_collection):
    put_on_server(server, "ada", vcard("ada", "Ada Lovelace", "ada@example.org"))
    report = sync(book, password, use_sync_collection=use_sync_collection)
    card = Card.objects.get(book=book, uid="ada")
    assert (card.full_name, [e.email for e in card.emails.all()]) == (
        "Ada Lovelace", ["ada@example.org"])
    assert report.received == 1 and not card.dirty
    book.refresh_from_db()
    assert bool(book.sync_token) is use_sync_collection and book.ctag and book.synced_at


@pytest.mark.parametrize("use_sync_collection", [True, False], ids=["sync-token", "ctag-etag"])
def test_a_card_edited_on_the_server_is_edited_in_heron(server, book, password,
                                                        use_sync_collection):
    etag = put_on_server(server, "ada", vcard("ada", "Ada Lovelace"))
    sync(book, password, use_sync_collection=use_sync_collection)
    put_on_server(server, "ada", vcard("ada", "Ada King", "countess@example.org"), etag)
    sync(book, password, use_sync_collection=use_sync_collection)
    card = Card.objects.get(book=book, uid="ada")
    assert card.full_name == "Ada King"
    assert [e.email for e in card.emails.all()] == ["countess@example.org"]


def test_a_card_edited_in_heron_appears_edited_on_the_server(server, book, password):
    put_on_server(server, "ada", vcard("ada", "Ada Lovelace"))
    sync(book, password)
    card = edit_in_heron(Card.objects.get(book=book, uid="ada"), full_name="Ada King",
                         notes="Wrote the first program")
    assert card.dirty
    report = sync(book, password)
    assert report.sent == 1
    text = on_server(server, "ada")
    assert "FN:Ada King" in text and "NOTE:Wrote the first program" in text
    card.refresh_from_db()
    assert not card.dirty and card.etag


def test_a_card_made_in_heron_goes_to_the_server(server, book, password):
    data = vcards.CardData(full_name="Grace Hopper", emails=[("grace@example.org", "work")])
    card = cards.save(book, data)
    sync(book, password)
    card.refresh_from_db()
    assert card.href.startswith("/") and not card.dirty
    listed = server.request("PROPFIND", server.book_url, headers={"Depth": "1"}).text
    assert card.href.rsplit("/", 1)[1] in listed
    origin = os.environ["HERON_STACK_CARDDAV_URL"].rstrip("/")
    assert "grace@example.org" in server.get(origin + card.href).text


@pytest.mark.parametrize("use_sync_collection", [True, False], ids=["sync-token", "ctag-etag"])
def test_a_card_deleted_on_the_server_goes_from_heron(server, book, password,
                                                       use_sync_collection):
    put_on_server(server, "ada", vcard("ada", "Ada Lovelace"))
    put_on_server(server, "alan", vcard("alan", "Alan Turing"))
    sync(book, password, use_sync_collection=use_sync_collection)
    assert server.delete(f"{server.book_url}ada.vcf").status_code in (200, 204)
    report = sync(book, password, use_sync_collection=use_sync_collection)
    assert report.removed == 1
    assert list(Card.objects.filter(book=book).values_list("uid", flat=True)) == ["alan"]


def test_a_card_deleted_in_heron_goes_from_the_server(server, book, password):
    put_on_server(server, "ada", vcard("ada", "Ada Lovelace"))
    sync(book, password)
    cards.remove(Card.objects.get(book=book, uid="ada"))
    sync(book, password)
    assert on_server(server, "ada") is None
    assert not Card.objects.filter(book=book).exists()


def test_a_conflict_keeps_both_versions(server, book, password):
    etag = put_on_server(server, "ada", vcard("ada", "Ada Lovelace"))
    sync(book, password)
    edit_in_heron(Card.objects.get(book=book, uid="ada"), full_name="Ada (Heron)")
    put_on_server(server, "ada", vcard("ada", "Ada (server)"), etag)
    report = sync(book, password)
    assert report.conflicts == 1
    card = Card.objects.get(book=book, uid="ada")
    copy = Card.objects.get(book=book, conflict_of=card)
    assert (card.full_name, copy.full_name) == ("Ada (server)", "Ada (Heron)")
    assert not card.dirty and "Ada (server)" in on_server(server, "ada")
    # The user keeps their own version: it goes to the server, the copy goes.
    resolve(copy, keep_mine=True)
    sync(book, password)
    assert "FN:Ada (Heron)" in on_server(server, "ada")
    assert list(Card.objects.filter(book=book).values_list("full_name", flat=True)) == [
        "Ada (Heron)"]


def test_a_write_through_refused_as_stale_keeps_both_versions(server, book, password):
    """The 412 path: the edit goes up at once (no pull first) over a changed card."""
    etag = put_on_server(server, "ada", vcard("ada", "Ada Lovelace"))
    sync(book, password)
    put_on_server(server, "ada", vcard("ada", "Ada (server)"), etag)
    card = edit_in_heron(Card.objects.get(book=book, uid="ada"), full_name="Ada (Heron)")
    report = Report()
    with CardDavClient(book.remote_url, USER, password) as client:
        push_card(client, card, report)
    assert report.conflicts == 1 and report.sent == 0
    card.refresh_from_db()
    assert card.full_name == "Ada (server)"
    assert Card.objects.get(conflict_of=card).full_name == "Ada (Heron)"
    assert "Ada (server)" in on_server(server, "ada")


def test_a_card_the_server_cannot_give_is_counted_and_the_rest_comes(server, book, password):
    put_on_server(server, "ada", vcard("ada", "Ada Lovelace"))
    many = "".join(f"EMAIL:a{n}@example.org\r\n" for n in range(vcards.MAX_ADDRESSES + 5))
    put_on_server(server, "big", vcard("big", "Big List").replace("END:VCARD", many + "END:VCARD"))
    report = sync(book, password)
    assert (report.received, report.unreadable) == (1, 1)
    assert "could not be read" in report.message()
    assert list(Card.objects.filter(book=book).values_list("uid", flat=True)) == ["ada"]


def test_the_conflict_copy_keeps_its_own_uid(server, book, password):
    etag = put_on_server(server, "ada", vcard("ada", "Ada Lovelace"))
    sync(book, password)
    edit_in_heron(Card.objects.get(book=book, uid="ada"), full_name="Mine")
    put_on_server(server, "ada", vcard("ada", "Theirs"), etag)
    sync(book, password)
    copy = Card.objects.get(book=book, conflict_of__uid="ada")
    assert copy.uid != "ada" and f"UID:{copy.uid}" in copy.vcard
    assert davcards.parse(copy.vcard).full_name == "Mine"


def test_a_group_made_in_heron_goes_to_the_server_with_its_members(server, book, password):
    put_on_server(server, "ada", vcard("ada", "Ada Lovelace", "ada@example.org"))
    sync(book, password)
    group = groups.create(book, "Mathematicians")
    groups.set_members(group, [Card.objects.get(book=book, uid="ada")], add=True)
    sync(book, password)
    group.refresh_from_db()
    assert group.href and not group.dirty
    text = server.get(os.environ["HERON_STACK_CARDDAV_URL"].rstrip("/") + group.href).text
    assert "X-ADDRESSBOOKSERVER-KIND:group" in text
    assert "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:ada" in text and "FN:Mathematicians" in text


def test_a_group_made_on_the_server_comes_in_with_its_members(server, book, password):
    put_on_server(server, "ada", vcard("ada", "Ada Lovelace", "ada@example.org", "4.0"))
    put_on_server(server, "alan", vcard("alan", "Alan Turing", "alan@example.org", "4.0"))
    put_on_server(server, "team", "\r\n".join([
        "BEGIN:VCARD", "VERSION:4.0", "UID:team", "KIND:group", "FN:Team",
        "MEMBER:urn:uuid:ada", "MEMBER:urn:uuid:alan", "END:VCARD", ""]))
    sync(book, password)
    group = Group.objects.get(book=book)
    assert group.name == "Team" and not Card.objects.filter(uid="team").exists()
    assert sorted(group.members.values_list("uid", flat=True)) == ["ada", "alan"]
    assert groups.member_labels(group) == ["Ada Lovelace <ada@example.org>",
                                           "Alan Turing <alan@example.org>"]
    assert server.delete(f"{server.book_url}team.vcf").status_code in (200, 204)
    sync(book, password)
    assert not Group.objects.filter(book=book).exists()


def test_a_book_is_synced_by_one_request_at_a_time(server, book, password):
    put_on_server(server, "ada", vcard("ada", "Ada Lovelace"))
    lock = f"heron:carddav-lock:v1:{book.pk}"
    cache.add(lock, 1, 60)
    try:
        report = sync(book, password)
        assert report.received == 0 and not Card.objects.filter(book=book).exists()
    finally:
        cache.delete(lock)
    assert sync(book, password).received == 1


def test_a_sync_token_the_server_forgot_starts_the_listing_again(server, book, password):
    put_on_server(server, "ada", vcard("ada", "Ada Lovelace"))
    sync(book, password)
    put_on_server(server, "alan", vcard("alan", "Alan Turing"))
    AddressBook.objects.filter(pk=book.pk).update(
        sync_token="http://radicale.org/ns/sync/" + "0" * 64, ctag="")
    sync(book, password)
    assert sorted(Card.objects.filter(book=book).values_list("uid", flat=True)) == [
        "ada", "alan"]
    book.refresh_from_db()
    assert not book.sync_token.endswith("0" * 64)


def test_the_users_book_is_found_from_the_servers_root(password):
    found = discover(os.environ["HERON_STACK_CARDDAV_URL"], USER, password)
    assert found.startswith(os.environ["HERON_STACK_CARDDAV_URL"])
    with CardDavClient(found, USER, password) as client:
        assert client.state()[0]  # an address book, with a ctag


def test_a_wrong_password_says_so_and_saves_nothing(server, book):
    report = sync_book(book, USER, "not-the-password")
    assert "refused your login" in report.error
    book.refresh_from_db()
    assert book.last_error == report.error and book.synced_at is None


def test_cards_too_large_together_come_one_by_one_and_one_too_large_alone_stays(
        server, book, password, settings):
    settings.HERON_CARDDAV_MAX_BYTES = 300_000
    for uid in ("ada", "alan", "grace"):
        put_on_server(server, uid, vcard(uid, f"{uid.title()} Big").replace(
            "END:VCARD", "NOTE:" + "x" * 120_000 + "\r\nEND:VCARD"))
    put_on_server(server, "huge", vcard("huge", "Huge Card").replace(
        "END:VCARD", "NOTE:" + "x" * 400_000 + "\r\nEND:VCARD"))
    report = sync(book, password)
    assert (report.received, report.unreadable) == (3, 1)
    assert sorted(Card.objects.filter(book=book).values_list("uid", flat=True)) == [
        "ada", "alan", "grace"]
