"""Settings lists the senders whose images a user always shows, and takes them back: one,
or all; never another user's."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import TrustedSender
from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db
ALICE, CAROL = "alice@heron.test", "carol@heron.test"


def trust(client, email):
    assert client.post("/mail/trust-sender/", {"email": email}).status_code == 302


def test_settings_list_the_senders_trusted_and_only_the_users_own(alice, fake_server):
    trust(alice, "bob@x.test")
    trust(alice, "ann@x.test")
    carol = Client()
    log_in(carol, CAROL)
    trust(carol, "eve@x.test")
    page = alice.get("/accounts/settings/").content.decode()
    listed = page[page.index('class="trusted-senders"'):]
    assert listed.index("ann@x.test") < listed.index("bob@x.test")
    assert 'aria-label="Stop trusting bob@x.test"' in page and "eve@x.test" not in page


def test_removing_a_sender_blocks_its_images_again(alice, fake_server):
    trust(alice, "bob@x.test")
    trusted = TrustedSender.objects.get(email="bob@x.test")
    response = alice.post(f"/accounts/settings/trusted/{trusted.id}/forget/", follow=True)
    assert response.redirect_chain[-1][0].endswith("/accounts/settings/#trusted-heading")
    assert "Images in mail from bob@x.test are blocked again" in response.content.decode()
    assert not TrustedSender.objects.exists()
    assert "You trust no sender yet" in response.content.decode()


def test_another_users_trusted_sender_is_not_found_and_stays(alice, fake_server):
    carol = get_user_model().objects.create(username=CAROL)
    theirs = TrustedSender.objects.create(user=carol, email="eve@x.test")
    assert alice.post(f"/accounts/settings/trusted/{theirs.id}/forget/").status_code == 404
    assert alice.post("/accounts/settings/trusted/999999/forget/").status_code == 404
    assert TrustedSender.objects.filter(pk=theirs.pk).exists()


def test_remove_all_takes_back_every_sender_of_the_user_only(alice, fake_server):
    trust(alice, "bob@x.test")
    trust(alice, "ann@x.test")
    carol = get_user_model().objects.create(username=CAROL)
    TrustedSender.objects.create(user=carol, email="eve@x.test")
    response = alice.post("/accounts/settings/trusted/forget-all/", follow=True)
    assert "No sender is trusted any more" in response.content.decode()
    assert list(TrustedSender.objects.values_list("email", flat=True)) == ["eve@x.test"]


def test_removing_needs_post_login_and_the_csrf_token(alice, fake_server, client):
    trust(alice, "bob@x.test")
    trusted = TrustedSender.objects.get()
    assert alice.get(f"/accounts/settings/trusted/{trusted.id}/forget/").status_code == 405
    assert alice.get("/accounts/settings/trusted/forget-all/").status_code == 405
    guarded = Client(enforce_csrf_checks=True)
    log_in(guarded)
    assert guarded.post("/accounts/settings/trusted/forget-all/").status_code == 403
    client.logout()
    assert client.post("/accounts/settings/trusted/forget-all/")["Location"].startswith(
        "/accounts/login/")
    assert TrustedSender.objects.exists()
