"""Import and export of the address book, a group at send, and the sender's link."""
import csv
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from contacts import cards, davgroups, groups, transfer, vcards
from contacts.books import personal_book
from contacts.models import Card, Group
from tests.unit.test_compose_views import identity_of, new_key, outbox  # noqa: F401

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[1] / "data" / "vcards"
ALICE = "alice@heron.test"


@pytest.fixture
def book_client(django_user_model):
    user = django_user_model.objects.create_user(ALICE, email=ALICE)
    client = Client()
    client.force_login(user)
    return client, user


def upload(data, name="cards.vcf"):
    return SimpleUploadedFile(name, data, content_type="text/vcard")


def all_files():
    return "".join((DATA / name).read_text() for name in
                   ("apple-3.0.vcf", "google-3.0.vcf", "thunderbird-4.0.vcf"))


def snapshot(user):
    return sorted((c.uid if not c.uid.startswith("heron-") else "", c.full_name,
                   c.given_name, c.family_name, c.organisation, c.birthday, c.notes,
                   tuple(sorted((e.email, e.label) for e in c.emails.all())),
                   tuple(sorted(p.number for p in c.phones.all())),
                   bytes(c.photo) if c.photo else None)
                  for c in Card.objects.filter(book__user=user))


def test_one_file_of_many_cards_imports_each(book_client):
    client, user = book_client
    page = client.post("/contacts/import/", {"file": upload(all_files().encode())})
    assert page.status_code == 200 and b"5 contacts added." in page.content
    assert Card.objects.count() == 5


def test_a_broken_card_is_reported_by_line_and_the_others_are_kept(book_client):
    client, user = book_client
    cards.save(personal_book(user), vcards.CardData(full_name="Already here"))
    good = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good One\r\nEND:VCARD\r\n"
    broken = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Broken\r\nthis has no colon\r\nEND:VCARD\r\n"
    unclosed = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Never closed\r\n"
    text = good + broken + good.replace("Good One", "Good Two") + unclosed
    page = client.post("/contacts/import/", {"file": upload(text.encode())})
    body = page.content.decode()
    assert "2 contacts added." in body
    assert "Card starting at line 5:" in body and "Card starting at line 14:" in body
    assert sorted(Card.objects.values_list("full_name", flat=True)) == [
        "Already here", "Good One", "Good Two"]


def test_a_uid_already_in_the_book_is_updated_not_duplicated(book_client):
    client, user = book_client
    first = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:same-1\r\nFN:Old Name\r\nEND:VCARD\r\n"
    client.post("/contacts/import/", {"file": upload(first.encode())})
    page = client.post("/contacts/import/", {"file": upload(
        first.replace("Old Name", "New Name").encode())})
    assert b"1 contact updated." in page.content
    assert list(Card.objects.values_list("full_name", flat=True)) == ["New Name"]


def test_importing_the_same_file_twice_does_not_duplicate_cards_without_uid(book_client):
    client, user = book_client
    for _ in range(2):
        client.post("/contacts/import/", {"file": upload((DATA / "google-3.0.vcf").read_bytes())})
    assert Card.objects.count() == 2


def test_a_card_with_ten_thousand_addresses_is_named_and_skipped(book_client):
    client, user = book_client
    lines = ["BEGIN:VCARD", "VERSION:3.0", "FN:Mass Mailer"]
    lines += [f"EMAIL:a{i}@x.example" for i in range(10_000)] + ["END:VCARD"]
    text = "\r\n".join(lines) + "\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Fine\r\nEND:VCARD\r\n"
    page = client.post("/contacts/import/", {"file": upload(text.encode())})
    body = page.content.decode()
    assert "Card starting at line 1: 10000 email addresses; at most 100" in body
    assert list(Card.objects.values_list("full_name", flat=True)) == ["Fine"]


def test_a_50_megabyte_file_is_refused_by_its_length_unread(book_client):
    client, user = book_client
    response = client.post("/contacts/import/", {"file": upload(b"x")},
                           CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert response.status_code == 413 and b"larger than 10 MB" in response.content


def test_a_file_growing_past_the_cap_is_skipped_while_it_streams(book_client, settings):
    client, user = book_client
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n"
    big = card * (transfer.MAX_IMPORT // len(card) + 10)
    response = client.post("/contacts/import/", {"file": upload(big)})
    assert response.status_code == 400 and b"larger than 10 MB" in response.content
    assert not Card.objects.exists()


@pytest.mark.parametrize("data, words", [
    (bytes(range(256)) * 64, b"not a vCard file"),
    (b"just some text\r\nwith no card\r\n", b"No vCard was found"),
    (b"\x00\x00\x00\x00", b"not a vCard file"),
])
def test_garbage_gets_a_message_not_a_500(book_client, data, words):
    client, user = book_client
    response = client.post("/contacts/import/", {"file": upload(data)})
    assert response.status_code == 400 and words in response.content
    assert b"your contacts are as they were" in response.content


@pytest.mark.parametrize("kind, version", [("vcf3", "3.0"), ("vcf4", "4.0")])
def test_export_then_import_gives_the_same_cards(book_client, django_user_model, kind,
                                                 version):
    client, user = book_client
    transfer.import_text(personal_book(user), all_files())
    response = client.get("/contacts/export/", {"format": kind})
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    exported = b"".join(response.streaming_content).decode()
    assert exported.count(f"VERSION:{version}") == 5
    other = django_user_model.objects.create_user("bob@heron.test")
    result = transfer.import_text(personal_book(other), exported)
    assert (result.created, result.problems) == (5, [])
    assert snapshot(other) == snapshot(user)


def test_export_of_a_group_or_a_selection(book_client):
    client, user = book_client
    book = personal_book(user)
    one = cards.save(book, vcards.CardData(full_name="One"))
    two = cards.save(book, vcards.CardData(full_name="Two"))
    group = groups.create(book, "Team")
    groups.set_members(group, [two], add=True)
    by_group = b"".join(client.get("/contacts/export/", {"format": "vcf3",
                                                          "group": group.pk}).streaming_content)
    assert b"FN:Two" in by_group and b"FN:One" not in by_group
    picked = b"".join(client.get("/contacts/export/", {"format": "csv",
                                                        "card": [one.pk]}).streaming_content)
    assert b"One" in picked and b"Two" not in picked


@pytest.mark.parametrize("kind, kind_line", [
    ("vcf3", "X-ADDRESSBOOKSERVER-KIND:group"), ("vcf4", "KIND:group")])
def test_groups_travel_with_an_export_and_come_back_on_import(book_client, django_user_model,
                                                              kind, kind_line):
    client, user = book_client
    book = personal_book(user)
    one = cards.save(book, vcards.CardData(full_name="One", emails=[("one@x.example", "")]))
    two = cards.save(book, vcards.CardData(full_name="Two", emails=[("two@x.example", "")]))
    groups.set_members(groups.create(book, "Team"), [one, two], add=True)
    groups.set_members(groups.create(book, "Solo"), [two], add=True)
    exported = b"".join(client.get("/contacts/export/", {"format": kind})
                        .streaming_content).decode()
    assert exported.count(kind_line) == 2 and davgroups.member_ref(one.uid) in exported

    other = django_user_model.objects.create_user("bob@heron.test")
    result = transfer.import_text(personal_book(other), exported)
    assert result.problems == []
    back = {g.name: sorted(g.members.values_list("full_name", flat=True))
            for g in Group.objects.filter(book__user=other)}
    assert back == {"Team": ["One", "Two"], "Solo": ["Two"]}
    # A group's export carries that group alone; ticked contacts carry none.
    solo = Group.objects.get(book=book, name="Solo")
    alone = b"".join(client.get("/contacts/export/", {"format": kind, "group": solo.pk})
                     .streaming_content).decode()
    assert alone.count(kind_line) == 1 and "FN:Solo" in alone and "FN:Team" not in alone
    picked = b"".join(client.get("/contacts/export/", {"format": kind, "card": [one.pk]})
                      .streaming_content).decode()
    assert kind_line not in picked


def test_csv_export_cannot_carry_a_formula(book_client):
    client, user = book_client
    cards.save(personal_book(user), vcards.CardData(
        full_name="=HYPERLINK(\"http://evil.example\",\"x\")", organisation="+cmd|' /C calc'!A0",
        notes="@SUM(1+1)", given_name="-2+3", phones=[("+1 555 0100", "")],
        emails=[("ok@x.example", "")]))
    response = client.get("/contacts/export/", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Full name"
    row = rows[1]
    assert row[0].startswith("'=") and row[1].startswith("'-") and row[3].startswith("'+")
    assert row[5] == "'+1 555 0100" and row[7] == "'@SUM(1+1)" and row[4] == "ok@x.example"


def test_a_bad_export_format_is_a_clear_400(book_client):
    client, user = book_client
    personal_book(user)
    assert client.get("/contacts/export/", {"format": "pdf"}).status_code == 400


# -- a group at send --------------------------------------------------------------------

def make_group(user, name, *people):
    book = personal_book(user)
    members = [cards.save(book, vcards.CardData(full_name=n, emails=[(e, "")]))
               for n, e in people]
    group = groups.create(book, name)
    groups.set_members(group, members, add=True)
    return group


def test_a_group_name_in_to_is_sent_to_its_members(alice, fake_server, outbox):  # noqa: F811
    from django.contrib.auth import get_user_model
    user = get_user_model().objects.get(username=ALICE)
    make_group(user, "Team", ("Bob", "bob@x.test"), ("Dana", "dana@y.test"))
    response = alice.post("/mail/compose/send/", {
        "draft": new_key(), "identity": identity_of(alice), "to": "team, eve@z.test",
        "cc": "Team <team@lists.test>", "subject": "Hi", "body": "Hello"})
    assert response.status_code == 302
    [(_, _, envelope, data)] = outbox.sent
    # "Team <team@lists.test>" was typed as an address: it stays one.
    assert envelope.recipients == ("bob@x.test", "dana@y.test", "eve@z.test",
                                   "team@lists.test")
    assert re.search(rb"To: Bob <bob@x.test>, Dana <dana@y.test>, eve@z.test", data)


def test_a_name_that_is_no_group_is_still_a_bad_address(alice, fake_server, outbox):  # noqa: F811
    response = alice.post("/mail/compose/send/", {
        "draft": new_key(), "identity": identity_of(alice), "to": "Nobody", "subject": "x",
        "body": "x"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 422 and outbox.sent == []


def test_expansion_leaves_typed_addresses_alone(django_user_model):
    user = django_user_model.objects.create_user(ALICE)
    make_group(user, "bob@x.test", ("Eve", "eve@evil.test"))  # cannot be made in the UI
    make_group(user, "Friends", ("Bob", "bob@x.test"))
    text = 'bob@x.test, "Friends" <f@x.test>, friends'
    assert groups.expand_groups(user, text) == 'bob@x.test, "Friends" <f@x.test>, Bob <bob@x.test>'
    assert groups.expand_groups(user, "carol@x.test") == "carol@x.test"


# -- the sender of a message --------------------------------------------------------------

def test_the_message_view_offers_add_to_contacts_then_shows_the_card(alice, fake_server):
    page = alice.get("/mail/message/6/", {"mailbox": "INBOX"}).content.decode()
    assert "/contacts/new/?email=s6%40x.test&amp;name=Sender%206" in page
    assert "Add to contacts" in page
    response = alice.get("/contacts/new/?email=s6%40x.test&name=Sender%206")
    assert 'value="s6@x.test"' in response.content.decode()
    alice.post("/contacts/new/", {"full_name": "Sender 6", "email": ["s6@x.test"],
                                  "email_label": [""]})
    card = Card.objects.get()
    page = alice.get("/mail/message/6/", {"mailbox": "INBOX"}).content.decode()
    assert f'href="/contacts/{card.pk}/"' in page and "In contacts" in page
    assert not Group.objects.exists()


def test_cards_past_the_per_file_cap_are_reported_not_lost_silently(book_client, monkeypatch):
    client, user = book_client
    monkeypatch.setattr(transfer, "MAX_CARDS", 2)
    text = "".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:P{i}\r\nEND:VCARD\r\n" for i in range(4))
    body = client.post("/contacts/import/", {"file": upload(text.encode())}).content.decode()
    assert "2 contacts added." in body
    assert "Card starting at line 9: this card and the ones after it were not imported" in body
    assert Card.objects.count() == 2


def test_the_mail_screen_links_the_contacts_page(alice, fake_server):
    page = alice.get("/mail/").content.decode()
    assert re.search(r'<nav class="folders"[\s\S]*href="/contacts/"[\s\S]*</nav>', page)
    assert 'aria-label="Contacts"' in page  # the top bar's button
