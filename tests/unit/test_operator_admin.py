"""Django admin for operators: users, their sessions, mail domains, the audit, uploads."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts import sessions
from accounts.domains import servers_for
from accounts.models import Domain, UserSession
from tests.unit.conftest import log_in
from webmail import mail

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
CAROL = "carol@heron.test"


def imap_user(username):
    user = get_user_model()(username=username, email=username)
    user.set_unusable_password()
    user.save()
    return user


def logged_in(username=ALICE):
    """A new browser, logged in to Heron (against the fake mail server)."""
    client = Client()
    response = log_in(client, username)
    assert response.status_code == 302, response.content[:500]
    return client


def is_signed_out(client):
    response = client.get("/mail/")
    return response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)


def session_key(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def as_if_minutes_passed(client):
    """Drop the note that the client's session was seen lately (see sessions.touch)."""
    cache.delete(sessions._seen_key(session_key(client)))
    sessions._touched.forget(session_key(client))


def user_row(page, username):
    """The changelist row (<tr>…</tr>) of a username."""
    start = page.index(f">{username}</a>")
    return page[start:page.index("</tr>", start)]


# --- Pages ------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/admin/",
    "/admin/auth/user/",
    "/admin/accounts/domain/",
    "/admin/accounts/domain/add/",
    "/admin/accounts/loginevent/",
    "/admin/accounts/usersession/",
    "/admin/attachments/upload/",
])
def test_the_operator_pages_load_for_a_superuser(admin_client, fake_server, url):
    logged_in()
    assert admin_client.get(url).status_code == 200


def test_a_users_page_and_a_sessions_page_load(admin_client, fake_server):
    logged_in()
    user = get_user_model().objects.get(username=ALICE)
    page = admin_client.get(f"/admin/auth/user/{user.pk}/change/").content.decode()
    assert "Active sessions" in page and "Sign out everywhere" in page
    row = UserSession.objects.get(user=user)
    assert admin_client.get(f"/admin/accounts/usersession/{row.pk}/change/").status_code == 200


def test_a_mail_user_cannot_reach_admin(fake_server):
    alice = logged_in()
    for url in ("/admin/", "/admin/auth/user/", "/admin/accounts/usersession/"):
        response = alice.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_mail_password_does_not_open_the_admin_login(client, fake_server):
    logged_in()  # alice exists now, as an account of the mail server
    response = client.post("/admin/login/", {"username": ALICE, "password": "alice-secret-pw"})
    assert response.status_code == 200  # the form again, with its error
    assert client.get("/admin/").status_code == 302


# --- Users: the domain column and filter, the session count ------------------------------

def test_the_users_list_shows_each_users_mail_domain(admin_client):
    imap_user(ALICE)
    imap_user("dana@other.test")
    page = admin_client.get("/admin/auth/user/").content.decode()
    assert "heron.test</td>" in user_row(page, ALICE)
    assert "other.test</td>" in user_row(page, "dana@other.test")
    assert "–</td>" in user_row(page, "admin")  # admin_client's local account


def test_the_users_list_filters_by_mail_domain(admin_client):
    imap_user(ALICE)
    imap_user(CAROL)
    imap_user("dana@other.test")
    page = admin_client.get("/admin/auth/user/").content.decode()
    assert "?domain=heron.test" in page and "?domain=other.test" in page
    assert "(none: local account)" in page

    other = admin_client.get("/admin/auth/user/?domain=other.test").content.decode()
    assert "dana@other.test" in other and ALICE not in other and CAROL not in other
    heron = admin_client.get("/admin/auth/user/?domain=heron.test").content.decode()
    assert ALICE in heron and CAROL in heron and "dana@other.test" not in heron
    local = admin_client.get("/admin/auth/user/?domain=-").content.decode()
    assert ">admin</a>" in local and ALICE not in local


def test_the_users_list_counts_active_sessions(admin_client, fake_server):
    logged_in()
    logged_in()
    logged_in(CAROL)
    expired = UserSession.objects.filter(user__username=CAROL).get()
    expired.last_seen = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE + 3600)
    expired.save()
    page = admin_client.get("/admin/auth/user/?o=1").content.decode()
    assert 'field-active_sessions">2<' in user_row(page, ALICE)
    assert 'field-active_sessions">0<' in user_row(page, CAROL)


# --- Sessions: recorded, listed without their key, ended ---------------------------------

def test_login_records_the_session_and_logout_removes_it(fake_server):
    alice = logged_in()
    row = UserSession.objects.get()
    assert (row.user.username, row.session_key, row.client_ip) == (
        ALICE, session_key(alice), "127.0.0.1")

    alice.post("/accounts/logout/")
    assert not UserSession.objects.exists()


def test_a_mail_server_refusing_the_password_removes_the_session(fake_server):
    alice = logged_in()
    fake_server.accounts[ALICE]["password"] = "changed-on-the-server"
    mail.POOL.clear()
    assert alice.get("/mail/").status_code == 302
    assert not UserSession.objects.exists()


def test_the_session_key_is_never_shown_in_admin(admin_client, fake_server):
    alice = logged_in()
    key = session_key(alice)
    row = UserSession.objects.get(user__username=ALICE)
    user = row.user
    for url in ("/admin/accounts/usersession/", f"/admin/accounts/usersession/{row.pk}/change/",
                f"/admin/auth/user/{user.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert key not in page
        assert row.fingerprint() in page
    assert key not in admin_client.get("/admin/auth/user/").content.decode()
    # Nor can the key be confirmed by searching for it.
    assert "0 results" in admin_client.get(f"/admin/accounts/usersession/?q={key}").content.decode()


def test_sign_out_everywhere_ends_every_session_of_the_user(admin_client, fake_server):
    laptop, phone, carol = logged_in(), logged_in(), logged_in(CAROL)
    alice = get_user_model().objects.get(username=ALICE)
    response = admin_client.post("/admin/auth/user/", {
        "action": "sign_out_everywhere", "_selected_action": [alice.pk]})
    assert response.status_code == 302
    assert is_signed_out(laptop) and is_signed_out(phone)
    assert not UserSession.objects.filter(user=alice).exists()
    assert not is_signed_out(carol)


def test_the_sign_out_button_on_a_users_page_ends_their_sessions(admin_client, fake_server):
    laptop = logged_in()
    alice = get_user_model().objects.get(username=ALICE)
    url = f"/admin/auth/user/{alice.pk}/sign-out/"
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url)
    assert response["Location"] == f"/admin/auth/user/{alice.pk}/change/"
    assert is_signed_out(laptop)


def test_sign_out_everywhere_reaches_sessions_nobody_recorded(admin_client, fake_server):
    laptop = logged_in()
    UserSession.objects.filter(user__username=ALICE).delete()  # as if older than recording
    alice = get_user_model().objects.get(username=ALICE)
    admin_client.post(f"/admin/auth/user/{alice.pk}/sign-out/")
    assert is_signed_out(laptop)


def test_ending_one_session_leaves_the_others(admin_client, fake_server):
    laptop, phone = logged_in(), logged_in()
    row = UserSession.objects.get(session_key=session_key(phone))
    admin_client.post("/admin/accounts/usersession/", {
        "action": "sign_out_sessions", "_selected_action": [row.pk]})
    assert is_signed_out(phone)
    assert not is_signed_out(laptop)


def test_deleting_a_session_in_admin_ends_it(admin_client, fake_server):
    laptop = logged_in()
    row = UserSession.objects.get(user__username=ALICE)
    admin_client.post(f"/admin/accounts/usersession/{row.pk}/delete/", {"post": "yes"})
    assert not UserSession.objects.filter(user__username=ALICE).exists()
    assert is_signed_out(laptop)


def test_last_seen_is_written_at_most_every_few_minutes(fake_server):
    alice = logged_in()
    long_ago = timezone.now() - timedelta(hours=1)
    UserSession.objects.update(last_seen=long_ago)
    alice.get("/accounts/settings/")
    assert UserSession.objects.get().last_seen == long_ago  # seen at login, minutes ago

    as_if_minutes_passed(alice)
    alice.get("/accounts/settings/")
    assert UserSession.objects.get().last_seen > long_ago


def test_a_session_without_a_row_gets_one_on_its_next_request(fake_server):
    alice = logged_in()
    UserSession.objects.all().delete()
    as_if_minutes_passed(alice)
    alice.get("/accounts/settings/")
    assert UserSession.objects.get().session_key == session_key(alice)


def test_prune_sessions_forgets_sessions_that_expired_on_their_own(fake_server, capsys):
    logged_in()
    logged_in(CAROL)
    too_old = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE) - (
        sessions.SEEN_EVERY + timedelta(minutes=1))
    UserSession.objects.filter(user__username=CAROL).update(last_seen=too_old)
    call_command("prune_sessions")
    assert "Forgot 1 expired session." in capsys.readouterr().out
    assert list(UserSession.objects.values_list("user__username", flat=True)) == [ALICE]


# --- Users: what an operator cannot change -----------------------------------------------

def test_a_mail_account_cannot_be_given_admin_rights_or_a_password(admin_client):
    alice = imap_user(ALICE)
    page = admin_client.get(f"/admin/auth/user/{alice.pk}/change/").content.decode()
    assert 'name="is_staff"' not in page and 'name="username"' not in page
    admin_client.post(f"/admin/auth/user/{alice.pk}/change/", {
        "username": "someone-else", "email": ALICE, "is_active": "on", "is_staff": "on",
        "is_superuser": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
        "sessions-TOTAL_FORMS": "0", "sessions-INITIAL_FORMS": "0"})
    alice.refresh_from_db()
    assert (alice.username, alice.is_staff, alice.is_superuser) == (ALICE, False, False)

    response = admin_client.get(f"/admin/auth/user/{alice.pk}/password/")
    assert response["Location"] == f"/admin/auth/user/{alice.pk}/change/"
    assert not alice.has_usable_password()


def test_deactivating_a_user_ends_their_sessions(admin_client, fake_server):
    laptop = logged_in()
    get_user_model().objects.filter(username=ALICE).update(is_active=False)
    assert is_signed_out(laptop)


def test_an_operator_cannot_delete_their_own_account(admin_client, admin_user):
    response = admin_client.get(f"/admin/auth/user/{admin_user.pk}/delete/")
    assert response.status_code == 403


# --- Domains -----------------------------------------------------------------------------

DOMAIN_FORM = {"name": "other.test", "imap_host": "imap.other.test", "imap_port": "993",
               "imap_security": "ssl", "smtp_host": "smtp.other.test", "smtp_port": "587",
               "smtp_security": "starttls", "sieve_port": "4190",
               "sieve_security": "starttls-if-offered", "sieve_folder_encoding": "utf-8",
               "active": "on"}


def test_saving_a_domain_in_admin_clears_the_cached_lookup(
        admin_client, django_capture_on_commit_callbacks):
    assert servers_for("dana@other.test").imap.host == settings.IMAP_HOST  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/accounts/domain/add/", DOMAIN_FORM)
    assert response.status_code == 302
    assert servers_for("dana@other.test").imap.host == "imap.other.test"

    domain = Domain.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/accounts/domain/{domain.pk}/change/",
                          {**DOMAIN_FORM, "imap_host": "imap2.other.test"})
    assert servers_for("dana@other.test").imap.host == "imap2.other.test"

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/accounts/domain/{domain.pk}/delete/", {"post": "yes"})
    assert servers_for("dana@other.test").imap.host == settings.IMAP_HOST


def test_renaming_a_domain_forgets_the_old_name_too(
        admin_client, django_capture_on_commit_callbacks):
    domain = Domain.objects.create(**{**DOMAIN_FORM, "active": True})
    assert servers_for("dana@other.test").imap.host == "imap.other.test"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/accounts/domain/{domain.pk}/change/",
                          {**DOMAIN_FORM, "name": "renamed.test"})
    assert servers_for("dana@other.test").imap.host == settings.IMAP_HOST
    assert servers_for("dana@renamed.test").imap.host == "imap.other.test"
