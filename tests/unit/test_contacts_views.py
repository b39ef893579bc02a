"""The Contacts page: cards, groups, photos, import and export, as each user sees them."""
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts import contacts as collected
from contacts import cards, groups, transfer, vcards
from contacts.books import personal_book
from contacts.models import Card, Group

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[1] / "data" / "vcards"
ALICE, CAROL = "alice@heron.test", "carol@heron.test"


@pytest.fixture
def alice_user(django_user_model):
    return django_user_model.objects.create_user(ALICE, email=ALICE)


@pytest.fixture
def carol_user(django_user_model):
    return django_user_model.objects.create_user(CAROL, email=CAROL)


@pytest.fixture
def alice(alice_user):
    client = Client()
    client.force_login(alice_user)
    return client


@pytest.fixture
def carol(carol_user):
    client = Client()
    client.force_login(carol_user)
    return client


def png(size=(400, 300), mode="RGB"):
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, "PNG")
    return out.getvalue()


def new_card(user, name="Bob Builder", *emails):
    return cards.save(personal_book(user), vcards.CardData(
        full_name=name, emails=[(e, "") for e in emails or ("bob@x.example",)]))


def test_creating_a_contact_with_two_addresses_a_phone_and_a_photo(alice, alice_user):
    response = alice.post("/contacts/new/", {
        "full_name": "Dana Scully", "given_name": "Dana", "family_name": "Scully",
        "organisation": "FBI", "birthday": "1964-02-23", "notes": "Partner: Mulder",
        "email": ["Dana@FBI.example", "dana@home.example", ""],
        "email_label": ["work", "home", ""], "phone": ["+1 202 555 0100"],
        "phone_label": ["cell"],
        "photo": SimpleUploadedFile("me.gif", png(), content_type="image/gif")})
    assert response.status_code == 302
    card = Card.objects.get(book__user=alice_user)
    assert [(e.email, e.label) for e in card.emails.order_by("id")] == [
        ("dana@fbi.example", "work"), ("dana@home.example", "home")]
    assert card.photo_type == "image/jpeg"  # scaled down and written again
    assert max(Image.open(io.BytesIO(bytes(card.photo))).size) == 256
    assert "EMAIL;TYPE=work:dana@fbi.example" in card.vcard
    page = alice.get(response["Location"])
    assert b"Dana Scully" in page.content and b"dana@home.example" in page.content


def test_a_contact_needs_a_name_or_an_address_and_bad_addresses_are_named(alice):
    response = alice.post("/contacts/new/", {"email": ["not an address"], "email_label": [""]})
    assert response.status_code == 400
    assert "is not an email address".encode() in response.content
    assert not Card.objects.exists()


@pytest.mark.parametrize("payload", [
    b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    b"GIF89a<script>alert(1)</script>", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_a_photo_that_is_not_a_picture_is_refused(alice, payload):
    response = alice.post("/contacts/new/", {
        "full_name": "X", "photo": SimpleUploadedFile("x.png", payload, "image/png")})
    assert response.status_code == 400
    assert b"must be a PNG, JPEG, GIF or WebP" in response.content
    assert not Card.objects.exists()


def test_a_photo_over_five_megabytes_is_refused_and_nothing_saved(alice):
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (6 * 1024 * 1024),
                             content_type="image/png")
    response = alice.post("/contacts/new/", {"full_name": "X", "photo": big})
    assert response.status_code == 400 and b"larger than 5 MB" in response.content
    assert not Card.objects.exists()


def test_the_photo_is_served_to_its_owner_only_with_a_fixed_type(alice, carol, alice_user):
    card = new_card(alice_user)
    card.photo, card.photo_type = b"<html><script>1</script>", "text/html"
    card.save()
    response = alice.get(f"/contacts/{card.pk}/photo/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert carol.get(f"/contacts/{card.pk}/photo/").status_code == 404


def test_editing_keeps_what_heron_does_not_show(alice, alice_user):
    text = (DATA / "apple-3.0.vcf").read_text()
    transfer.import_text(personal_book(alice_user), text)
    card = Card.objects.get()
    page = alice.get(f"/contacts/{card.pk}/edit/")
    assert b'value="johnny@orchard.example"' in page.content
    assert b'<option value="Work" selected>Work</option>' in page.content  # Apple's label
    response = alice.post(f"/contacts/{card.pk}/edit/", {
        "full_name": "Johnny Appleseed", "given_name": "Johnny", "family_name": "Appleseed",
        "email": ["johnny@orchard.example"], "email_label": ["Work"]})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.full_name == "Johnny Appleseed"
    assert "item1.EMAIL;TYPE=INTERNET,pref:Johnny@Orchard.example" in card.vcard
    assert "X-SOCIALPROFILE" in card.vcard and "1 Infinite Loop" in card.vcard
    assert card.photo  # the photo is kept when none is uploaded


def test_search_finds_by_name_address_and_organisation(alice, alice_user):
    new_card(alice_user, "Bob Builder", "bob@x.example")
    new_card(alice_user, "Wendy", "wendy@yard.example")
    assert b"Wendy" not in alice.get("/contacts/?q=builder").content
    assert b"Wendy" in alice.get("/contacts/?q=yard").content


def test_deleting_a_contact(alice, alice_user):
    card = new_card(alice_user)
    assert alice.post(f"/contacts/{card.pk}/delete/").status_code == 302
    assert not Card.objects.exists()


@pytest.mark.parametrize("url", ["/contacts/{card}/", "/contacts/{card}/edit/",
                                 "/contacts/{card}/photo/"])
def test_carol_gets_404_for_alices_contact(carol, alice_user, url):
    card = new_card(alice_user)
    assert carol.get(url.format(card=card.pk)).status_code == 404


@pytest.mark.parametrize("url", ["/contacts/{card}/delete/", "/contacts/{card}/edit/"])
def test_carol_cannot_change_alices_contact(carol, alice_user, url):
    card = new_card(alice_user)
    assert carol.post(url.format(card=card.pk), {"full_name": "Mine"}).status_code == 404
    card.refresh_from_db()
    assert card.full_name == "Bob Builder"


def test_carol_gets_404_for_alices_group_and_cannot_fill_it(carol, carol_user, alice_user):
    group = groups.create(personal_book(alice_user), "Team")
    carols = new_card(carol_user, "C", "c@x.example")
    for url in (f"/contacts/groups/{group.pk}/rename/", f"/contacts/groups/{group.pk}/delete/"):
        assert carol.post(url, {"name": "Mine"}).status_code == 404
    response = carol.post("/contacts/groups/members/",
                          {"group": group.pk, "card": carols.pk, "action": "add"})
    assert response.status_code == 404 and not group.members.exists()
    assert carol.get(f"/contacts/?group={group.pk}").status_code == 200
    assert b"Team" not in carol.get(f"/contacts/?group={group.pk}").content


def test_alice_cannot_put_carols_card_in_her_group(alice, alice_user, carol_user):
    group = groups.create(personal_book(alice_user), "Team")
    carols = new_card(carol_user, "C", "c@x.example")
    alice.post("/contacts/groups/members/", {"group": group.pk, "card": carols.pk,
                                             "action": "add"})
    assert not group.members.exists()


def test_carol_cannot_forget_alices_collected_address(carol, alice_user):
    collected.remember(alice_user, [("Bob", "bob@x.example")])
    row = alice_user.contacts.get()
    assert carol.post(f"/contacts/collected/{row.pk}/forget/").status_code == 404
    assert alice_user.contacts.exists()


@pytest.mark.parametrize("method, url", [
    ("post", "/contacts/"), ("post", "/contacts/1/"), ("get", "/contacts/1/delete/"),
    ("put", "/contacts/new/"), ("post", "/contacts/1/photo/"), ("get", "/contacts/import/"),
    ("post", "/contacts/export/"), ("get", "/contacts/groups/new/"),
    ("get", "/contacts/groups/1/rename/"), ("get", "/contacts/groups/1/delete/"),
    ("get", "/contacts/groups/members/"), ("post", "/contacts/groups/expand/"),
    ("get", "/contacts/collected/1/forget/")])
def test_wrong_method_is_refused(alice, method, url):
    assert getattr(alice, method)(url).status_code == 405


@pytest.mark.parametrize("url", ["/contacts/", "/contacts/new/", "/contacts/1/",
                                 "/contacts/1/photo/", "/contacts/export/?format=csv"])
def test_login_is_required(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_group_expansion_json_needs_a_login(client):
    assert client.get("/contacts/groups/expand/?name=x").status_code == 401


def test_posts_need_the_csrf_token(alice_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice_user)
    assert client.post("/contacts/new/", {"full_name": "X"}).status_code == 403
    assert client.post("/contacts/groups/new/", {"name": "X"}).status_code == 403
    upload = SimpleUploadedFile("a.vcf", b"BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n")
    assert client.post("/contacts/import/", {"file": upload}).status_code == 403
    assert not Card.objects.exists() and not Group.objects.exists()


def test_groups_are_created_renamed_filled_and_deleted(alice, alice_user):
    bob = new_card(alice_user, "Bob", "bob@x.example")
    assert alice.post("/contacts/groups/new/", {"name": "Team"}).status_code == 302
    group = Group.objects.get()
    alice.post("/contacts/groups/members/", {"group": group.pk, "card": bob.pk,
                                             "action": "add"})
    assert list(group.members.all()) == [bob]
    listed = alice.get(f"/contacts/?group={group.pk}").content.decode()
    assert f'href="/contacts/{bob.pk}/"' in listed
    assert "/mail/compose/?to=Team" in listed
    alice.post(f"/contacts/groups/{group.pk}/rename/", {"name": "Crew"})
    group.refresh_from_db()
    assert group.name == "Crew"
    assert alice.get("/contacts/groups/expand/?name=crew").json() == {
        "addresses": ["Bob <bob@x.example>"]}
    alice.post("/contacts/groups/members/", {"group": group.pk, "card": bob.pk,
                                             "action": "remove"})
    assert not group.members.exists()
    alice.post(f"/contacts/groups/{group.pk}/delete/")
    assert not Group.objects.exists() and Card.objects.filter(pk=bob.pk).exists()


def test_a_group_name_with_an_at_sign_is_refused(alice):
    response = alice.post("/contacts/groups/new/", {"name": "x@y.example"})
    assert response.status_code == 400 and not Group.objects.exists()


def test_autocomplete_offers_the_book_and_groups_before_collected(alice, alice_user):
    new_card(alice_user, "Bob Builder", "bob@x.example", "builder@work.example")
    group = groups.create(personal_book(alice_user), "Bobsleigh team")
    collected.remember(alice_user, [("Bobby Collected", "bobby@c.example"),
                                    ("Bob Builder", "bob@x.example")], weight=9)
    found = alice.get("/accounts/contacts/?q=bob").json()["contacts"]
    assert [c["label"] for c in found] == [
        "Bob Builder <bob@x.example>", "Bob Builder <builder@work.example>",
        group.name, "Bobby Collected <bobby@c.example>"]
    assert found[2]["group"] is True


def test_autocomplete_is_bounded_in_queries(alice, alice_user, django_assert_max_num_queries):
    for i in range(30):
        new_card(alice_user, f"Bob {i}", f"bob{i}@x.example")
    alice.get("/accounts/contacts/?q=b")  # the preferences row is made on first use
    # session, user, preferences (the page's language), domain, book, book query,
    # collected (2); the domain's CardDAV server is read once per 5 minutes
    # (contacts/davserver.py), so not again here
    with django_assert_max_num_queries(8):
        found = alice.get("/accounts/contacts/?q=bob").json()["contacts"]
    assert len(found) == 8


def test_collected_book_is_listed_searched_and_forgotten(alice, alice_user):
    collected.remember(alice_user, [("Zed", "zed@z.example"), ("Amy", "amy@a.example")])
    page = alice.get("/contacts/?book=collected&q=zed")
    assert b"zed@z.example" in page.content and b"amy@a.example" not in page.content
    assert b"/contacts/new/?email=zed%40z.example" in page.content
    row = alice_user.contacts.get(email="zed@z.example")
    alice.post(f"/contacts/collected/{row.pk}/forget/")
    assert not alice_user.contacts.filter(email="zed@z.example").exists()


def test_add_to_contacts_prefills_or_opens_the_existing_card(alice, alice_user):
    page = alice.get("/contacts/new/?email=New@Person.example&name=New%20Person")
    assert b'value="new@person.example"' in page.content
    assert b'value="New Person"' in page.content
    card = new_card(alice_user, "Bob", "bob@x.example")
    response = alice.get("/contacts/new/?email=BOB@x.example")
    assert response.status_code == 302 and response["Location"] == f"/contacts/{card.pk}/"


def test_reading_the_page_creates_no_book(alice, alice_user):
    alice.get("/contacts/")
    alice.get("/accounts/contacts/?q=a")
    assert not alice_user.address_books.exists()


def test_a_big_book_pages_through_every_contact(alice, alice_user):
    book = personal_book(alice_user)
    for i in range(450):
        cards.save(book, vcards.CardData(full_name=f"Person {i:03d}",
                                         emails=[(f"p{i}@x.example", "")]))
    first = alice.get("/contacts/").content.decode()
    assert "Person 000" in first and "Person 199" in first and "Person 200" not in first
    assert "1–200 of 450" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = alice.get("/contacts/?page=3").content.decode()
    assert "Person 449" in last and "Person 399" not in last and 'rel="prev"' in last
    # A search pages the same way and keeps its words in the pager's links.
    found = alice.get("/contacts/?q=person&page=2").content.decode()
    assert "201–400 of 450" in found and "?q=person&amp;page=1" in found
    assert alice.get("/contacts/?page=999").status_code == 200  # past the end: the last page
    assert alice.get("/contacts/?page=x%0d%0a").status_code == 200
