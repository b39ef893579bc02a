"""Identities: the addresses a user sends as, and the settings page that manages them."""
import re
import time
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.headerregistry import Address
from html import unescape as html_unescape
from unittest.mock import patch

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from accounts import confirmations, identities, senders
from accounts.models import Domain, Identity
from webmail import smtp
from webmail.forms import ComposeForm

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


@contextmanager
def mock_time(when):
    """time.time() as `when`, for signing's expiry check."""
    with patch("django.core.signing.time.time", return_value=when):
        yield


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


# Who may send as what: the login, the domain's allowed senders, confirmed addresses

@pytest.mark.parametrize("entries, login, address, allowed", [
    (["sales@heron.test"], ALICE, "sales@heron.test", True),
    (["sales@heron.test"], ALICE, "Sales@Heron.TEST", True),
    (["sales@heron.test"], ALICE, "support@heron.test", False),
    (["*@heron.test"], ALICE, "anything@heron.test", True),
    (["*@heron.test"], ALICE, "anything@other.test", False),
    (["*@heron.test"], ALICE, "x@sub.heron.test", False),
    (["{local}@alias.test"], ALICE, "alice@alias.test", True),
    (["{local}@alias.test"], ALICE, "bob@alias.test", False),
    (["{local}@alias.test"], "demouser", "demouser@alias.test", True),
    (["", "  ", "sales@heron.test"], ALICE, "sales@heron.test", True),
    ([], ALICE, "sales@heron.test", False),
])
def test_the_domain_list_allows_addresses_and_patterns(entries, login, address, allowed):
    assert senders.allowed_by(senders.parse_allowed(entries), login, address) is allowed


@pytest.mark.parametrize("entry", [
    "sales", "@heron.test", "*@", "a@b@heron.test", "sa les@heron.test", "*@*.heron.test",
    "s*@heron.test", "{user}@heron.test", "sales@heron", "sales@-heron.test", "x\n@heron.test",
    "<sales@heron.test>", "sales@heron.test\r\nRCPT TO:<x@evil.test>"])
def test_an_entry_that_is_no_address_or_pattern_is_refused(entry):
    with pytest.raises(ValueError, match="neither an address"):
        senders.parse_allowed([entry])


def test_the_admin_list_is_validated_one_entry_a_line():
    domain = Domain(name="heron.test", imap_host="h", smtp_host="h",
                    allowed_senders="sales@heron.test\n*@heron.test\nnot an address")
    with pytest.raises(ValidationError) as refused:
        domain.full_clean()
    assert "not an address" in str(refused.value.message_dict["allowed_senders"])
    domain.allowed_senders = "sales@heron.test\r\n*@heron.test\n\n{local}@alias.test"
    domain.full_clean()


def test_the_login_address_may_send_at_once(alice_user):
    identity = identities.default_identity(alice_user)
    rules = identities.sending_rules(alice_user)
    assert identities.may_send_as(alice_user, identity, rules)
    assert not identity.is_confirmed(), "no link is needed for the login address"


def test_an_alias_on_the_domain_list_may_send_without_confirming(alice_user):
    alias, other = add(alice_user, "sales@heron.test"), add(alice_user, "sales@other.test")
    Domain.objects.create(name="heron.test", imap_host="h", smtp_host="h",
                          allowed_senders="sales@heron.test")
    rules = identities.sending_rules(alice_user)
    assert identities.may_send_as(alice_user, alias, rules)
    assert not identities.may_send_as(alice_user, other, rules)


def test_a_pattern_on_the_domain_list_allows_its_addresses(alice_user):
    alias = add(alice_user, "alice.smith@heron.test")
    Domain.objects.create(name="heron.test", imap_host="h", smtp_host="h",
                          allowed_senders="*@heron.test")
    assert identities.may_send_as(alice_user, alias, identities.sending_rules(alice_user))


def test_the_default_servers_take_their_list_from_the_environment(alice_user, settings):
    alias = add(alice_user, "alice@alias.test")
    settings.HERON_ALLOWED_SENDERS = ["{local}@alias.test"]
    settings.SMTP_TRUSTED_RELAY = True
    rules = identities.sending_rules(alice_user)
    assert identities.may_send_as(alice_user, alias, rules) and rules.trusted_relay
    settings.HERON_ALLOWED_SENDERS = ["not-a-pattern"]
    with pytest.raises(ImproperlyConfigured, match="HERON_ALLOWED_SENDERS"):
        identities.sending_rules(alice_user)


def test_a_domain_is_no_trusted_relay_unless_marked(alice_user):
    domain = Domain.objects.create(name="heron.test", imap_host="h", smtp_host="h")
    assert identities.sending_rules(alice_user) == identities.SendingRules((), False)
    domain.trusted_relay = True
    domain.save()
    assert identities.sending_rules(alice_user).trusted_relay


def test_any_other_address_is_refused_until_confirmed(alice_user):
    alias = add(alice_user, "alice@elsewhere.test")
    rules = identities.sending_rules(alice_user)
    with pytest.raises(identities.SenderRefused) as refused:
        identities.check_sender(alice_user, alias, rules)
    assert refused.value.user_message.startswith(
        "You have not confirmed that you send as alice@elsewhere.test: nothing was sent.")
    assert "kept as a draft" in refused.value.user_message
    alias.confirmed_email = "Alice@Elsewhere.test"
    identities.check_sender(alice_user, alias, rules)


def test_identities_from_before_the_rules_count_as_unconfirmed(alice_user):
    # What migration 0005 leaves: confirmed_email empty on every existing identity.
    login = identities.default_identity(alice_user)
    old = Identity.objects.create(user=alice_user, email="old-alias@elsewhere.test")
    states = {i.email: i.may_send for i in identities.with_sending_state(
        alice_user, identities.identities_for(alice_user))}
    assert states == {old.email: False, login.email: True}


def test_changing_the_address_undoes_the_confirmation(alice_user):
    alias = add(alice_user, "alice@elsewhere.test")
    Identity.objects.filter(pk=alias.pk).update(confirmed_email="alice@elsewhere.test")
    alias.refresh_from_db()
    alias.name = "Alice"
    identities.save(alice_user, alias)
    assert alias.is_confirmed(), "other edits keep it"
    alias.email = "alice@third.test"
    identities.save(alice_user, alias)
    alias.email = "alice@elsewhere.test"
    identities.save(alice_user, alias)
    alias.refresh_from_db()
    assert not alias.is_confirmed(), "even going back to a confirmed address needs a new link"


# The confirmation link


def confirm_link(outbox):
    """The path of the confirmation link in the last mail sent."""
    text = message_from_bytes(outbox[-1]["message"], policy=policy.default).get_content()
    return re.search(r"https?://[^/\s]+(/accounts/settings/identities/\d+/confirm/\S+/)",
                     text).group(1)


def test_adding_an_address_mails_a_link_to_it_from_the_login(alice, alice_user, outbox):
    alice.post(SETTINGS, {"name": "Alice", "email": "alice@elsewhere.test"})
    [mail] = outbox
    assert mail["envelope"].sender == ALICE
    assert mail["envelope"].recipients == ("alice@elsewhere.test",)
    assert (mail["username"], mail["password"]) == (ALICE, "secret")
    message = message_from_bytes(mail["message"], policy=policy.default)
    assert (message["From"], message["To"]) == (ALICE, "alice@elsewhere.test")
    assert message["Subject"] == "Confirm that you send as alice@elsewhere.test"
    assert "open this link while logged in as alice@heron.test" in message.get_content()


def test_settings_say_an_address_is_not_confirmed_and_offer_to_resend(alice, alice_user, outbox):
    alias = add(alice_user, "alice@elsewhere.test")
    html = page(alice.get(SETTINGS))
    assert "Not confirmed — check alice@elsewhere.test for a link." in html
    assert f'action="/accounts/settings/identities/{alias.id}/resend/"' in html
    assert html.count("Not confirmed") == 1, "the login address needs no confirmation"
    response = alice.post(f"/accounts/settings/identities/{alias.id}/resend/", follow=True)
    assert notices(response) == ["To send as alice@elsewhere.test, confirm it first: a link "
                                 "was mailed to alice@elsewhere.test."]
    assert len(outbox) == 1
    again = alice.post(f"/accounts/settings/identities/{alias.id}/resend/", follow=True)
    assert "less than a minute ago" in notices(again)[0] and len(outbox) == 1


def test_the_link_shows_a_page_and_a_post_confirms_it_once(alice, alice_user, outbox):
    alice.post(SETTINGS, {"email": "alice@elsewhere.test"})
    link = confirm_link(outbox)
    shown = alice.get(link)
    assert shown.status_code == 200
    assert "Confirm that you want to send mail as <strong>alice@elsewhere.test</strong>" in page(
        shown)
    alias = alice_user.identities.get(email="alice@elsewhere.test")
    assert not alias.is_confirmed(), "opening the link changes nothing"
    response = alice.post(link, follow=True)
    assert notices(response) == ["Confirmed: you can now send as alice@elsewhere.test."]
    alias.refresh_from_db()
    assert alias.is_confirmed()
    assert "Not confirmed" not in page(response)
    again = alice.post(link)
    assert again.status_code == 400 and "already confirmed" in page(again)


def test_only_the_latest_link_works(alice, alice_user, outbox, monkeypatch):
    alias = add(alice_user, "alice@elsewhere.test")
    alice.post(f"/accounts/settings/identities/{alias.id}/resend/")
    first = confirm_link(outbox)
    monkeypatch.setattr(confirmations, "RESEND_SECONDS", 0)
    alice.post(f"/accounts/settings/identities/{alias.id}/resend/")
    latest = confirm_link(outbox)
    response = alice.post(first)
    assert response.status_code == 400 and "a newer one was sent" in page(response)
    assert alice.post(latest).status_code == 302


def test_an_expired_link_is_refused(alice, alice_user, outbox):
    alias = add(alice_user, "alice@elsewhere.test")
    alice.post(f"/accounts/settings/identities/{alias.id}/resend/")
    link = confirm_link(outbox)
    later = time.time() + confirmations.CONFIRM_DAYS * 86400 + 60
    with mock_time(later):
        response = alice.post(link)
    assert response.status_code == 400 and "This link has expired" in page(response)
    alias.refresh_from_db()
    assert not alias.is_confirmed()


def test_a_link_for_an_address_since_changed_is_refused(alice, alice_user, outbox):
    alias = add(alice_user, "alice@elsewhere.test")
    alice.post(f"/accounts/settings/identities/{alias.id}/resend/")
    link = confirm_link(outbox)
    alias.email = "alice@third.test"
    identities.save(alice_user, alias)
    response = alice.post(link)
    assert response.status_code == 400
    assert "This link was for alice@elsewhere.test" in page(response)


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "abc", lambda t: "x" + t, lambda t: "abc"])
def test_a_tampered_link_is_refused(alice, alice_user, outbox, mangle):
    alias = add(alice_user, "alice@elsewhere.test")
    alice.post(f"/accounts/settings/identities/{alias.id}/resend/")
    prefix, token = confirm_link(outbox).rstrip("/").rsplit("/", 1)
    response = alice.post(f"{prefix}/{mangle(token)}/")
    assert response.status_code == 400 and "This link is not valid" in page(response)


def test_a_link_cannot_confirm_another_identity(alice, alice_user, outbox):
    first, second = add(alice_user, "one@elsewhere.test"), add(alice_user, "two@elsewhere.test")
    alice.post(f"/accounts/settings/identities/{first.id}/resend/")
    token = confirm_link(outbox).rstrip("/").rsplit("/", 1)[1]
    response = alice.post(f"/accounts/settings/identities/{second.id}/confirm/{token}/")
    assert response.status_code == 400 and "another identity" in page(response)


@pytest.mark.parametrize("method", ["get", "post"])
def test_carol_gets_404_for_alices_link(carol, alice, alice_user, outbox, method):
    alias = add(alice_user, "alice@elsewhere.test")
    alice.post(f"/accounts/settings/identities/{alias.id}/resend/")
    assert getattr(carol, method)(confirm_link(outbox)).status_code == 404
    assert carol.post(f"/accounts/settings/identities/{alias.id}/resend/").status_code == 404
    alias.refresh_from_db()
    assert not alias.is_confirmed() and len(outbox) == 1


def test_the_link_needs_a_login_and_get_or_post(client, alice, alice_user, outbox):
    alias = add(alice_user, "alice@elsewhere.test")
    alice.post(f"/accounts/settings/identities/{alias.id}/resend/")
    link = confirm_link(outbox)
    assert Client().get(link)["Location"].startswith("/accounts/login/?next=")
    assert alice.put(link).status_code == 405 and alice.delete(link).status_code == 405
    assert alice.get(f"/accounts/settings/identities/{alias.id}/resend/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice_user)
    assert strict.post(link).status_code == 403
    assert strict.post(f"/accounts/settings/identities/{alias.id}/resend/").status_code == 403
    alias.refresh_from_db()
    assert not alias.is_confirmed()


def test_a_link_that_cannot_be_mailed_says_why(alice, alice_user, monkeypatch):
    def refuse(*args, **kwargs):
        raise smtp.SmtpNoAuth("no AUTH")

    monkeypatch.setattr("webmail.smtp.send", refuse)
    response = alice.post(SETTINGS, {"email": "alice@elsewhere.test"}, follow=True)
    assert notices(response)[1] == (
        "The confirmation link could not be sent to alice@elsewhere.test: the mail server "
        "does not ask for a login (SMTP AUTH), so sending is switched off; please tell your "
        "administrator. Use Resend to try again.")
    assert "Not confirmed" in page(response)


def test_compose_offers_an_unconfirmed_address_disabled(alice_user):
    alias = add(alice_user, "alice@elsewhere.test")
    found = identities.with_sending_state(alice_user, identities.identities_for(alice_user))
    login = identities.default_identity(alice_user)
    html = str(ComposeForm(initial={"identity": login.id}, identities=found)["identity"])
    assert (f'<option value="{alias.id}" disabled>alice@elsewhere.test (not confirmed)'
            "</option>") in html
    chosen = str(ComposeForm(initial={"identity": alias.id}, identities=found)["identity"])
    assert f'<option value="{alias.id}" selected>' in chosen, "a draft keeps its choice"


def test_an_operator_keeps_the_domain_list_and_relay_switch_in_admin(admin_client):
    form = {"name": "heron.test", "imap_host": "h", "imap_port": "993", "imap_security": "ssl",
            "smtp_host": "h", "smtp_port": "587", "smtp_security": "starttls", "sieve_port": "4190",
            "sieve_security": "starttls-if-offered", "sieve_folder_encoding": "utf-8",
            "active": "on"}
    page_html = page(admin_client.get("/admin/accounts/domain/add/"))
    assert "Addresses users may send as" in page_html and "Send without SMTP login" in page_html
    refused = admin_client.post("/admin/accounts/domain/add/",
                                {**form, "allowed_senders": "sales@heron.test\nsales"})
    assert refused.status_code == 200 and "neither an address" in html_unescape(page(refused))
    assert admin_client.post("/admin/accounts/domain/add/", {
        **form, "allowed_senders": "sales@heron.test\r\n*@alias.test"}).status_code == 302
    domain = Domain.objects.get()
    assert (domain.allowed_senders, domain.trusted_relay) == (
        "sales@heron.test\r\n*@alias.test", False)
