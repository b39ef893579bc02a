"""Identities: the addresses a user sends as, and the settings page that manages them."""
from email.headerregistry import Address

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from accounts import identities
from accounts.models import Identity

pytestmark = pytest.mark.django_db
ALICE, CAROL = "alice@heron.test", "carol@heron.test"
SETTINGS = "/accounts/settings/"


@pytest.fixture
def alice_user(django_user_model):
    return django_user_model.objects.create_user(ALICE, email=ALICE)


@pytest.fixture
def carol_user(django_user_model):
    return django_user_model.objects.create_user(CAROL, email=CAROL)


@pytest.fixture(autouse=True)
def outbox(monkeypatch):
    """Mail Heron sends (confirmation links), recorded instead of sent; the session's
    password is "secret" (force_login leaves the vault empty)."""
    sent = []

    def send(config, username, password, envelope, message, *, trusted_relay=False):
        sent.append({"username": username, "password": password, "envelope": envelope,
                     "message": message, "trusted_relay": trusted_relay})

    monkeypatch.setattr("webmail.smtp.send", send)
    monkeypatch.setattr("accounts.vault.open_vault", lambda request: "secret")
    return sent


@pytest.fixture
def alice(client, alice_user):
    client.force_login(alice_user)
    return client


@pytest.fixture
def carol(carol_user):
    client = Client()
    client.force_login(carol_user)
    return client


def add(user, email, name="", is_default=False, signature=""):
    return identities.save(user, Identity(name=name, email=email, is_default=is_default,
                                          signature=signature))


def page(response):
    return response.content.decode()


def notices(response):
    return [str(notice) for notice in response.context["messages"]]


# The contract of accounts.identities


def test_the_first_call_creates_the_default_identity_from_the_login(alice_user):
    first = identities.identities_for(alice_user)
    assert [(i.email, i.name, i.is_default) for i in first] == [(ALICE, "", True)]
    assert identities.identities_for(alice_user) == first
    assert identities.default_identity(alice_user) == first[0]
    assert Identity.objects.count() == 1


def test_an_identity_gives_its_from_address_and_signature_block(alice_user):
    identity = add(alice_user, "a.smith@heron.test", name="Alice Smith", signature="Alice\nHeron")
    assert identity.from_address() == Address(display_name="Alice Smith",
                                              addr_spec="a.smith@heron.test")
    assert str(identity.from_address()) == "Alice Smith <a.smith@heron.test>"
    assert identity.signature_block() == "\n\n-- \nAlice\nHeron"
    assert Identity(email=ALICE).signature_block() == ""


def test_own_addresses_are_the_login_and_every_identity_in_lower_case(alice_user):
    add(alice_user, "Alice.Smith@Heron.TEST")
    assert identities.own_addresses(alice_user) == {ALICE, "alice.smith@heron.test"}


def test_setting_a_default_leaves_exactly_one(alice_user):
    first = identities.default_identity(alice_user)
    second = add(alice_user, "second@heron.test")
    identities.set_default(alice_user, second)
    assert list(alice_user.identities.filter(is_default=True)) == [second]
    assert identities.default_identity(alice_user) == second
    identities.set_default(alice_user, first)
    assert list(alice_user.identities.filter(is_default=True)) == [first]


def test_adding_a_default_identity_takes_over_the_default(alice_user):
    first = identities.default_identity(alice_user)
    second = add(alice_user, "second@heron.test", is_default=True)
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


def test_the_database_refuses_a_second_default(alice_user):
    identities.identities_for(alice_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Identity.objects.create(user=alice_user, email="two@heron.test", is_default=True)


def test_lookups_are_scoped_by_the_user(alice_user, carol_user):
    carols = identities.default_identity(carol_user)
    assert identities.get_identity(alice_user, carols.id) is None
    assert identities.get_identity(carol_user, str(carols.id)) == carols
    assert identities.get_identity(carol_user, "not-a-number") is None
    with pytest.raises(Identity.DoesNotExist):
        identities.set_default(alice_user, carols)
    with pytest.raises(Identity.DoesNotExist):
        identities.delete(alice_user, carols)


def test_deleting_the_default_makes_the_oldest_remaining_one_default(alice_user):
    first = identities.default_identity(alice_user)
    second = add(alice_user, "second@heron.test")
    add(alice_user, "third@heron.test")
    identities.delete(alice_user, first)
    assert identities.default_identity(alice_user) == second
    assert alice_user.identities.filter(is_default=True).count() == 1


# The settings page


def test_the_settings_page_lists_identities_and_has_labelled_fields(alice):
    response = alice.get(SETTINGS)
    assert response.status_code == 200
    html = page(response)
    for field, label in [("name", "Name"), ("email", "Email address"), ("reply_to", "Reply-To"),
                         ("signature", "Signature"), ("is_default", "Use as default")]:
        assert f'<label for="id_{field}">{label}</label>' in html
    assert ALICE in html and "Default" in html
    assert 'href="/accounts/settings/" aria-label="Settings"' in html


def test_it_adds_an_identity(alice, alice_user):
    response = alice.post(SETTINGS, {
        "name": "Alice Smith", "email": "a.smith@heron.test", "reply_to": "team@heron.test",
        "signature": "Alice\r\nHeron team"}, follow=True)
    assert notices(response) == [
        "Added the identity Alice Smith <a.smith@heron.test>.",
        "To send as a.smith@heron.test, confirm it first: a link was mailed to "
        "a.smith@heron.test."]
    added = alice_user.identities.get(email="a.smith@heron.test")
    assert (added.name, added.reply_to, added.signature, added.is_default) == (
        "Alice Smith", "team@heron.test", "Alice\nHeron team", False)
    assert "Alice Smith" in page(response)


def test_adding_one_as_default_moves_the_default(alice, alice_user):
    identities.identities_for(alice_user)
    alice.post(SETTINGS, {"email": "new@heron.test", "is_default": "on"})
    assert [i.email for i in alice_user.identities.filter(is_default=True)] == ["new@heron.test"]


def test_a_bad_email_address_is_explained_and_nothing_is_added(alice, alice_user):
    response = alice.post(SETTINGS, {"name": "Alice", "email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in page(response)
    assert [i.email for i in alice_user.identities.all()] == [ALICE]


def test_a_name_with_a_line_break_is_refused(alice, alice_user):
    response = alice.post(SETTINGS, {"name": "Alice\nBcc: x@evil.test", "email": "a@heron.test"})
    assert "The name cannot contain line breaks or control characters." in page(response)
    assert alice_user.identities.count() == 1


def test_a_too_long_signature_is_refused(alice, alice_user):
    response = alice.post(SETTINGS, {"email": "a@heron.test", "signature": "x" * 10_001})
    assert "Ensure this value has at most 10000 characters" in page(response)
    assert alice_user.identities.count() == 1


def test_a_pasted_signature_delimiter_is_not_doubled(alice, alice_user):
    alice.post(SETTINGS, {"email": "a@heron.test", "signature": "-- \r\nAlice  \r\n"})
    assert alice_user.identities.get(email="a@heron.test").signature_block() == "\n\n-- \nAlice"


def test_there_is_a_limit_on_identities(alice, alice_user, monkeypatch):
    monkeypatch.setattr(identities, "MAX_IDENTITIES", 1)
    identities.identities_for(alice_user)
    response = alice.post(SETTINGS, {"email": "a@heron.test"})
    assert "You can have at most 1 identities." in page(response)
    assert alice_user.identities.count() == 1


def test_it_edits_an_identity(alice, alice_user):
    identity = add(alice_user, "work@heron.test", name="Alice")
    url = f"/accounts/settings/identities/{identity.id}/"
    assert 'value="work@heron.test"' in page(alice.get(url))
    response = alice.post(url, {"name": "Alice at work", "email": "work@heron.test",
                                "signature": "Cheers"}, follow=True)
    assert notices(response) == ["Saved the identity Alice at work <work@heron.test>."]
    identity.refresh_from_db()
    assert (identity.name, identity.signature) == ("Alice at work", "Cheers")


def test_editing_shows_a_bad_email_message(alice, alice_user):
    identity = identities.default_identity(alice_user)
    response = alice.post(f"/accounts/settings/identities/{identity.id}/", {"email": "alice@"})
    assert "Enter a valid email address." in page(response)
    identity.refresh_from_db()
    assert identity.email == ALICE


def test_the_default_stays_default_when_its_box_is_not_ticked(alice, alice_user):
    identity = identities.default_identity(alice_user)
    add(alice_user, "other@heron.test")
    alice.post(f"/accounts/settings/identities/{identity.id}/", {"name": "A", "email": ALICE})
    identity.refresh_from_db()
    assert (identity.name, identity.is_default) == ("A", True)
    assert alice_user.identities.filter(is_default=True).count() == 1


def test_it_sets_the_default(alice, alice_user):
    first = identities.default_identity(alice_user)
    second = add(alice_user, "second@heron.test")
    response = alice.post(f"/accounts/settings/identities/{second.id}/default/", follow=True)
    assert notices(response) == ["second@heron.test is now your default identity."]
    assert list(alice_user.identities.filter(is_default=True)) == [second]
    first.refresh_from_db()
    assert not first.is_default


def test_it_deletes_an_identity_and_a_new_default_is_chosen(alice, alice_user):
    first = identities.default_identity(alice_user)
    second = add(alice_user, "second@heron.test")
    response = alice.post(f"/accounts/settings/identities/{first.id}/delete/", follow=True)
    assert notices(response) == [f"Deleted the identity {ALICE}."]
    assert list(alice_user.identities.all()) == [second]
    second.refresh_from_db()
    assert second.is_default


def test_it_refuses_to_delete_the_last_identity(alice, alice_user):
    only = identities.default_identity(alice_user)
    response = alice.post(f"/accounts/settings/identities/{only.id}/delete/", follow=True)
    assert notices(response) == ["You cannot delete your only identity. Add another one first."]
    assert "You cannot delete your only identity." in page(response)
    assert list(alice_user.identities.all()) == [only]


@pytest.mark.parametrize("method, suffix", [
    ("get", ""), ("post", ""), ("post", "default/"), ("post", "delete/")])
def test_carol_gets_404_for_alices_identity(carol, alice_user, method, suffix):
    identity = identities.default_identity(alice_user)
    url = f"/accounts/settings/identities/{identity.id}/{suffix}"
    data = {"email": "carol@heron.test"} if method == "post" else {}
    response = getattr(carol, method)(url, data)
    assert response.status_code == 404
    identity.refresh_from_db()
    assert (identity.email, identity.is_default) == (ALICE, True)


@pytest.mark.parametrize("url", [SETTINGS, "/accounts/settings/identities/1/"])
def test_the_settings_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("suffix", ["default/", "delete/"])
def test_state_changes_need_a_post(alice, alice_user, suffix):
    identity = identities.default_identity(alice_user)
    assert alice.get(f"/accounts/settings/identities/{identity.id}/{suffix}").status_code == 405
    assert alice.delete(SETTINGS).status_code == 405


def test_the_post_views_check_csrf(alice_user):
    first = identities.default_identity(alice_user)
    second = add(alice_user, "second@heron.test")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice_user)
    for url, data in [(SETTINGS, {"email": "new@heron.test"}),
                      (f"/accounts/settings/identities/{first.id}/", {"email": "x@heron.test"}),
                      (f"/accounts/settings/identities/{second.id}/default/", {}),
                      (f"/accounts/settings/identities/{second.id}/delete/", {})]:
        assert strict.post(url, data).status_code == 403, url
    assert [(i.email, i.is_default) for i in alice_user.identities.all()] == [
        (ALICE, True), ("second@heron.test", False)]
