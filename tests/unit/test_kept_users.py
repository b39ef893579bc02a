"""The user of a session is kept in the shared cache (accounts/backends.py): a kept user must
never outlive a change to the row, and an admin's password hash is never kept."""
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from accounts.backends import ImapBackend, _user_key

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
