"""The address book built from mail: remembering addresses and suggesting recipients."""
from datetime import timedelta
from email.headerregistry import Address

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import contacts, identities
from accounts.models import Contact, Identity
from webmail.imap.types import Address as MailAddress

pytestmark = pytest.mark.django_db
ALICE, CAROL = "alice@heron.test", "carol@heron.test"


@pytest.fixture
def alice_user(django_user_model):
    return django_user_model.objects.create_user(ALICE, email=ALICE)


@pytest.fixture
def carol_user(django_user_model):
    return django_user_model.objects.create_user(CAROL, email=CAROL)


def stored(user):
    return {c.email: (c.name, c.times) for c in Contact.objects.filter(user=user)}


def emails(found):
    return [each["email"] for each in found]


def test_it_remembers_addresses_of_every_shape_in_lower_case(alice_user):
    contacts.remember(alice_user, [
        Address(display_name="Bob Smith", addr_spec="Bob@X.org"),
        MailAddress("Dana Scully", "dana@fbi.test"),
        ("Eve", "eve@y.test"),
    ])
    assert stored(alice_user) == {"bob@x.org": ("Bob Smith", 1),
                                  "dana@fbi.test": ("Dana Scully", 1), "eve@y.test": ("Eve", 1)}


def test_seeing_an_address_again_counts_it_and_keeps_a_known_name(alice_user):
    contacts.remember(alice_user, [("Bob Smith", "bob@x.org")])
    contacts.remember(alice_user, [("", "bob@x.org")], weight=3)
    assert stored(alice_user) == {"bob@x.org": ("Bob Smith", 4)}
    contacts.remember(alice_user, [("Robert Smith", "BOB@x.org")])
    assert stored(alice_user) == {"bob@x.org": ("Robert Smith", 5)}


def test_one_address_counts_once_per_call_and_keeps_the_name_it_was_given(alice_user):
    contacts.remember(alice_user, [("Bob", "bob@x.org"), ("", "bob@x.org")])
    assert stored(alice_user) == {"bob@x.org": ("Bob", 1)}


def test_seeing_an_address_again_moves_last_seen(alice_user):
    contacts.remember(alice_user, [("", "bob@x.org")])
    Contact.objects.update(last_seen=timezone.now() - timedelta(days=30))
    contacts.remember(alice_user, [("", "bob@x.org")])
    assert timezone.now() - Contact.objects.get().last_seen < timedelta(minutes=1)


@pytest.mark.parametrize("item", [
    ("Nobody", ""), ("Nobody", None), ("", "   "), ("Bob", "bob"), ("Bob", "bob@"),
    ("Bob", "not an address"), ("Bob", "bob@x.org\nBcc: eve@evil.test"),
    ("Long", "a" * 250 + "@x.org"),
])
def test_invalid_and_empty_addresses_are_ignored(alice_user, item):
    contacts.remember(alice_user, [item])
    assert stored(alice_user) == {}


def test_a_name_that_is_just_the_address_or_has_control_characters_is_cleaned(alice_user):
    contacts.remember(alice_user, [("bob@x.org", "bob@x.org"), ("Eve\r\n  Evil\x00", "eve@y.test")])
    assert stored(alice_user) == {"bob@x.org": ("", 1), "eve@y.test": ("Eve Evil", 1)}


def test_the_users_own_addresses_are_never_remembered(alice_user):
    identities.save(alice_user, Identity(email="Alice.Smith@heron.test"))
    contacts.remember(alice_user, [("Me", "ALICE@heron.test"), ("Me", "alice.smith@heron.test"),
                                   ("Bob", "bob@x.org")])
    assert list(stored(alice_user)) == ["bob@x.org"]


def test_a_weight_must_be_positive(alice_user):
    with pytest.raises(ValueError):
        contacts.remember(alice_user, [("Bob", "bob@x.org")], weight=0)


def test_remembering_three_addresses_or_150_takes_the_same_round_trips(alice_user):
    def round_trips(count, offset):
        batch = [(f"Person {n}", f"p{n}@x.org") for n in range(offset, offset + count)]
        with CaptureQueriesContext(connection) as queries:
            contacts.remember(alice_user, batch)
        return len(queries)

    assert round_trips(3, 0) == round_trips(150, 1000)  # all new
    assert round_trips(3, 0) == round_trips(150, 1000)  # all known


def test_the_address_book_is_capped_by_dropping_the_least_recently_seen(alice_user, monkeypatch):
    monkeypatch.setattr(contacts, "MAX_CONTACTS", 3)
    contacts.remember(alice_user, [("", "old@x.org")], weight=50)
    Contact.objects.update(last_seen=timezone.now() - timedelta(days=365))
    contacts.remember(alice_user, [("", "a@x.org"), ("", "b@x.org")])
    contacts.remember(alice_user, [("", "c@x.org")])
    assert sorted(stored(alice_user)) == ["a@x.org", "b@x.org", "c@x.org"]


def test_the_cap_is_per_user(alice_user, carol_user, monkeypatch):
    monkeypatch.setattr(contacts, "MAX_CONTACTS", 2)
    contacts.remember(carol_user, [("", "a@x.org"), ("", "b@x.org")])
    contacts.remember(alice_user, [("", "c@x.org"), ("", "d@x.org")])
    assert sorted(stored(carol_user)) == ["a@x.org", "b@x.org"]


@pytest.fixture
def address_book(alice_user):
    contacts.remember(alice_user, [("Bob Smith", "bob@x.org")], weight=5)
    contacts.remember(alice_user, [("Roberta Jones", "rj@y.org")], weight=2)
    contacts.remember(alice_user, [("Anna Bobrova", "anna@z.org")], weight=9)
    contacts.remember(alice_user, [("", "bobcat@wild.test")], weight=1)
    contacts.remember(alice_user, [("Smith, Jo", "jo@x.org")], weight=1)
    return alice_user


@pytest.mark.parametrize("prefix, expected", [
    ("bob", ["anna@z.org", "bob@x.org", "bobcat@wild.test"]),  # word of name, name, email
    ("BOB", ["anna@z.org", "bob@x.org", "bobcat@wild.test"]),
    ("smith", ["bob@x.org", "jo@x.org"]),
    ("rj@", ["rj@y.org"]),
    ("jones", ["rj@y.org"]),
    ("mith", []),  # the middle of a word is not a prefix
    ("x.org", []),  # nor the domain
    ("bob smith", ["bob@x.org"]),
    ("", []),
    ("   ", []),
    ("%", []),
    ("_ob", []),
])
def test_it_suggests_by_prefix_of_email_name_or_word_of_the_name(address_book, prefix, expected):
    assert emails(contacts.suggest(address_book, prefix)) == expected


def test_suggestions_come_most_frequent_then_most_recent_first(alice_user):
    contacts.remember(alice_user, [("Sam One", "sam1@x.org")], weight=2)
    contacts.remember(alice_user, [("Sam Two", "sam2@x.org")], weight=1)
    contacts.remember(alice_user, [("Sam Three", "sam3@x.org")], weight=1)
    Contact.objects.filter(email="sam2@x.org").update(last_seen=timezone.now() - timedelta(days=1))
    assert emails(contacts.suggest(alice_user, "sam")) == ["sam1@x.org", "sam3@x.org", "sam2@x.org"]
    contacts.remember(alice_user, [("", "sam2@x.org")], weight=5)
    assert emails(contacts.suggest(alice_user, "sam")) == ["sam2@x.org", "sam1@x.org", "sam3@x.org"]
    assert emails(contacts.suggest(alice_user, "sam", limit=1)) == ["sam2@x.org"]


def test_an_address_that_became_the_users_own_is_not_suggested(alice_user):
    contacts.remember(alice_user, [("Alice at work", "work@heron.test")])
    identities.save(alice_user, Identity(email="Work@heron.test"))
    assert contacts.suggest(alice_user, "work") == []


def test_suggestions_never_include_another_users_contacts(alice_user, carol_user):
    contacts.remember(carol_user, [("Bob Carolsfriend", "bob@carol.test")])
    assert contacts.suggest(alice_user, "bob") == []


def test_a_suggestion_label_is_quoted_where_the_name_needs_it(address_book):
    labels = [each["label"] for each in contacts.suggest(address_book, "smith")]
    assert labels == ["Bob Smith <bob@x.org>", '"Smith, Jo" <jo@x.org>']
    assert contacts.suggest(address_book, "bobcat")[0] == {
        "name": "", "email": "bobcat@wild.test", "label": "bobcat@wild.test"}


# The JSON view


def test_the_contacts_view_answers_json_with_labels(client, address_book):
    client.force_login(address_book)
    response = client.get("/accounts/contacts/", {"q": "Smi"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"contacts": [
        {"name": "Bob Smith", "email": "bob@x.org", "label": "Bob Smith <bob@x.org>"},
        {"name": "Smith, Jo", "email": "jo@x.org", "label": '"Smith, Jo" <jo@x.org>'},
    ]}


@pytest.mark.parametrize("query", [{}, {"q": ""}, {"q": " "}])
def test_the_contacts_view_suggests_nothing_without_a_query(client, address_book, query):
    client.force_login(address_book)
    assert client.get("/accounts/contacts/", query).json() == {"contacts": []}


def test_carol_only_ever_sees_her_own_contacts(address_book, carol_user):
    contacts.remember(carol_user, [("Bobby Tables", "bobby@carol.test")])
    carol = Client()
    carol.force_login(carol_user)
    assert carol.get("/accounts/contacts/", {"q": "bob"}).json() == {"contacts": [
        {"name": "Bobby Tables", "email": "bobby@carol.test",
         "label": "Bobby Tables <bobby@carol.test>"}]}


def test_the_contacts_view_needs_a_login(client, address_book):
    response = client.get("/accounts/contacts/", {"q": "bob"})
    assert response.status_code == 401
    assert b"bob@x.org" not in response.content


def test_the_contacts_view_is_get_only(client, address_book):
    client.force_login(address_book)
    assert client.post("/accounts/contacts/", {"q": "bob"}).status_code == 405
