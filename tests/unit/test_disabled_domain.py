"""A mail domain an operator deactivates: its users' sessions end on their next request."""
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from accounts import sessions
from accounts.domains import forget_domain
from accounts.models import Domain, UserSession
from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db
HERON_TEST = {"name": "heron.test", "imap_host": "127.0.0.1", "imap_port": "1143",
              "imap_security": "none", "smtp_host": "127.0.0.1", "smtp_port": "1025",
              "smtp_security": "none", "sieve_port": "4190",
              "sieve_security": "starttls-if-offered", "sieve_folder_encoding": "utf-8"}


def deactivate(name="heron.test"):
    Domain.objects.update_or_create(name=name, defaults={**HERON_TEST, "active": False})
    forget_domain(name)


def test_a_user_of_a_deactivated_domain_is_sent_to_login_with_the_reason(alice):
    assert alice.get("/mail/").status_code == 200
    deactivate()
    response = alice.get("/mail/")
    assert response.status_code == 302 and response["Location"] == settings.LOGIN_URL
    page = alice.get(response["Location"])
    assert str(sessions.DOMAIN_DISABLED) in page.content.decode()


def test_the_ended_session_stays_ended(alice):
    deactivate()
    alice.get("/mail/", follow=True)
    assert not UserSession.objects.exists()
    again = alice.get("/accounts/settings/")
    assert again.status_code == 302 and again["Location"].startswith(settings.LOGIN_URL)
    assert str(sessions.DOMAIN_DISABLED) not in alice.get(again["Location"]).content.decode()


def test_a_json_caller_of_a_deactivated_domain_gets_401_with_the_reason(alice):
    deactivate()
    response = alice.get("/api/messages/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json() == {"error": sessions.DOMAIN_DISABLED}
    assert alice.get("/api/messages/").status_code == 401


def test_users_of_other_domains_carry_on(alice, fake_server):
    carol = Client()
    log_in(carol, "carol@heron.test")
    deactivate("other.test")
    assert alice.get("/mail/").status_code == 200
    assert carol.get("/mail/").status_code == 200


def test_a_local_account_without_a_mail_domain_is_not_ended(admin_client):
    assert admin_client.get("/admin/").status_code == 200


def test_deactivating_in_admin_reaches_a_user_whose_domain_was_cached(
        alice, django_capture_on_commit_callbacks):
    Domain.objects.create(**HERON_TEST, active=True)
    forget_domain("heron.test")
    assert alice.get("/mail/").status_code == 200  # the active domain is cached now
    operator = get_user_model().objects.create_superuser("operator", "op@example.org", "pw")
    admin = Client()
    admin.force_login(operator)
    domain = Domain.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        saved = admin.post(f"/admin/accounts/domain/{domain.pk}/change/", HERON_TEST)
    assert saved.status_code == 302
    response = alice.get("/mail/")
    assert response.status_code == 302 and response["Location"] == settings.LOGIN_URL
