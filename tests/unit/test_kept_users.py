"""What every page reads of the database is kept in the shared cache: the session's user
(accounts/backends.py), the vacation banner's summary, the default identity and the trusted
senders. A kept row must never outlive a change to it, and an admin's password hash is
never kept."""
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from accounts import identities, preferences, trust
from accounts.backends import ImapBackend, _user_key
from accounts.models import Identity, TrustedSender
from webmail.sieve.rules import Vacation
from webmail.vacation_summary import remember_vacation, vacation_banner

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"


def test_a_kept_user_costs_no_query(alice, django_assert_num_queries):
    pk = get_user_model().objects.get(username=ALICE).pk
    ImapBackend().get_user(pk)
    with django_assert_num_queries(0):
        kept = ImapBackend().get_user(pk)
    assert kept.username == ALICE and kept.is_active and kept.pk == pk
    assert kept.get_session_auth_hash() == get_user_model().objects.get(
        pk=pk).get_session_auth_hash()


def test_a_deactivated_user_is_logged_out_at_the_next_request(alice):
    assert alice.get("/mail/").status_code == 200
    user = get_user_model().objects.get(username=ALICE)
    user.is_active = False
    user.save()
    response = alice.get("/mail/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_deleted_user_is_not_kept(alice):
    user = get_user_model().objects.get(username=ALICE)
    ImapBackend().get_user(user.pk)
    user.delete()
    assert ImapBackend().get_user(user.pk) is None


def test_a_user_with_a_password_of_their_own_is_not_kept():
    admin = get_user_model().objects.create_user("admin", password="admin-pw-1234")
    assert ImapBackend().get_user(admin.pk) == admin
    assert cache.get(_user_key(admin.pk)) is None


def test_the_kept_vacation_banner_follows_the_saved_reply(alice):
    user = get_user_model().objects.get(username=ALICE)
    assert vacation_banner(user) is None
    remember_vacation(user, Vacation(enabled=True, first_day=date(2020, 1, 1),
                                     last_day=date(2999, 1, 1), subject="Away",
                                     message="Back soon", addresses=(), days=7))
    assert vacation_banner(user).last_day == date(2999, 1, 1)
    remember_vacation(user, None)
    assert vacation_banner(user) is None


def test_the_kept_default_identity_follows_a_new_default(alice):
    user = get_user_model().objects.get(username=ALICE)
    assert identities.default_sender(user)["email"] == ALICE
    other = identities.save(user, Identity(email="alias@heron.test", name="Al"))
    identities.set_default(user, other)
    assert identities.default_sender(user) == {"name": "Al", "email": "alias@heron.test"}


def test_kept_trusted_senders_follow_each_change(alice):
    user = get_user_model().objects.get(username=ALICE)
    assert not trust.is_trusted(user, "Sender@X.test")
    TrustedSender.objects.create(user=user, email="sender@x.test")
    assert trust.is_trusted(user, "Sender@X.test")
    carol = get_user_model().objects.create_user("carol@heron.test")
    assert not trust.is_trusted(carol, "sender@x.test")
    trust.forget_all(user)
    assert not trust.is_trusted(user, "sender@x.test")


def test_what_every_page_reads_of_its_user_comes_in_one_round_trip(alice, monkeypatch):
    alice.get("/mail/")
    pk = get_user_model().objects.get(username=ALICE).pk
    user = ImapBackend().get_user(pk)
    asked = []
    get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *args: asked.append(key) or get(key, *args))
    preferences.shown(user)
    identities.default_sender(user)
    vacation_banner(user)
    trust.is_trusted(user, "someone@x.test")
    assert not [key for key in asked if key.endswith(f":{pk}")]


def test_the_users_servers_and_routes_come_along_in_that_round_trip(alice, monkeypatch):
    from accounts import routes
    from accounts.domains import user_servers

    alice.get("/mail/")
    alice.get("/mail/")  # the process now knows the login, and reads its keys along
    pk = get_user_model().objects.get(username=ALICE).pk
    user = ImapBackend().get_user(pk)
    asked = []
    get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *args: asked.append(key) or get(key, *args))
    assert user_servers(user).route == ""
    assert routes.exact_key(ALICE) not in asked and routes.PATTERNS_KEY not in asked
    assert not [key for key in asked if key.startswith("domain-servers:")]
