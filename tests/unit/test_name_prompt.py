"""A display name asked after the first login, so mail does not go out as a bare address."""
import pytest

from accounts.models import Identity
from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db
PROMPT = "What name should people see on your mail?"


def test_the_first_login_asks_for_the_name_people_see(alice):
    page = alice.get("/mail/").content.decode()
    assert PROMPT in page and "alice@heron.test" in page
    assert PROMPT not in alice.get("/mail/compose/").content.decode(), "never over Send"
    response = alice.post("/accounts/welcome/", {"name": "Alice Liddell", "next": "/mail/"})
    assert response.status_code == 302 and response["Location"] == "/mail/"
    identity = Identity.objects.get(user__username="alice@heron.test", is_default=True)
    assert identity.name == "Alice Liddell"
    assert PROMPT not in alice.get("/mail/").content.decode()
    compose = alice.get("/mail/compose/").content.decode()
    assert "Alice Liddell" in compose


def test_not_now_stops_asking_for_the_session_only(alice, client):
    alice.get("/mail/")
    response = alice.post("/accounts/welcome/", {"skip": "1", "next": "/mail/?mailbox=Sent"})
    assert response["Location"] == "/mail/?mailbox=Sent"
    assert PROMPT not in alice.get("/mail/").content.decode()
    assert Identity.objects.get(user__username="alice@heron.test").name == ""
    alice.logout()
    log_in(alice)
    assert PROMPT in alice.get("/mail/").content.decode(), "asked again in the next session"


def test_a_user_with_a_name_is_not_asked(alice):
    alice.get("/mail/")
    identity = Identity.objects.get(user__username="alice@heron.test")
    identity.name = "Alice"
    identity.save()  # (the default identity is kept in the shared cache until it changes)
    assert PROMPT not in alice.get("/mail/").content.decode()


@pytest.mark.parametrize("name, error", [
    ("Alice\r\nBcc: victim@x.test", "line breaks"),
    ("Alice\x00", "Null characters are not allowed"),
    ("   ", "Type the name"),
    ("x" * 201, "at most 200"),
])
def test_a_name_that_could_break_a_header_is_refused_and_kept_out(alice, name, error):
    alice.get("/mail/")
    response = alice.post("/accounts/welcome/", {"name": name, "next": "/mail/"})
    assert response.status_code == 400 and error in response.content.decode()
    assert Identity.objects.get(user__username="alice@heron.test").name == ""


def test_next_cannot_lead_off_the_site(alice):
    alice.get("/mail/")
    response = alice.post("/accounts/welcome/", {"skip": "1", "next": "https://evil.test/"})
    assert response["Location"] == "/mail/"


def test_the_welcome_page_needs_a_login_and_csrf(client, fake_server):
    assert client.get("/accounts/welcome/")["Location"].startswith("/accounts/login/")
    from django.test import Client
    strict = Client(enforce_csrf_checks=True)
    log_in(strict)
    assert strict.post("/accounts/welcome/", {"name": "Mallory"}).status_code == 403
