"""A CardDAV conflict in Chromium: both versions listed, the user keeps theirs."""
import os
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from accounts.domains import forget_domain
from accounts.models import Domain
from contacts.davserver import CardDavServer, forget_server
from contacts.models import Card
from tests.e2e.conftest import log_in
from tests.e2e.test_contacts_browser import shots_dir
from tests.e2e.test_login_browser import stack_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ALICE = "alice@heron.test"
MKCOL = (b'<?xml version="1.0" encoding="utf-8"?>'
         b'<mkcol xmlns="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><set><prop>'
         b'<resourcetype><collection/><CR:addressbook/></resourcetype></prop></set></mkcol>')


def card_text(name):
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada\r\nFN:{name}\r\nN:{name};;;;\r\n"
            "EMAIL:ada@example.org\r\nEND:VCARD\r\n").encode()


@pytest.fixture
def radicale_book():
    base = os.environ.get("HERON_STACK_CARDDAV_URL")
    if not base:
        pytest.fail("HERON_STACK_CARDDAV_URL is not set: the stack has no Radicale")
    name = f"test-{uuid.uuid4().hex[:12]}"
    client = httpx.Client(auth=(ALICE, stack_password(ALICE)), timeout=10)
    client.book_url = f"{base}{ALICE}/{name}/"
    assert client.request("MKCOL", client.book_url, content=MKCOL).status_code == 201
    domain = Domain.objects.create(
        name="heron.test", imap_host=os.environ["IMAP_HOST"],
        imap_port=int(os.environ["IMAP_PORT"]), imap_security="none",
        smtp_host=os.environ["SMTP_HOST"], smtp_port=int(os.environ["SMTP_PORT"]),
        smtp_security="none")
    CardDavServer.objects.create(domain=domain, url=f"{base}{{user}}/{name}/")
    forget_domain("heron.test")
    forget_server("heron.test")
    yield client
    client.request("DELETE", client.book_url)
    client.close()
    forget_domain("heron.test")


def test_a_conflict_shows_both_versions_and_the_user_keeps_theirs(
        live_server, page, radicale_book, tmp_path):
    base, shots, server = live_server.url, shots_dir(tmp_path), radicale_book
    etag = server.put(f"{server.book_url}ada.vcf", content=card_text("Ada Lovelace"),
                      headers={"If-None-Match": "*"}).headers["etag"]
    log_in(page, base, ALICE)
    page.goto(f"{base}/contacts/")
    expect(page.get_by_role("link", name="Ada Lovelace")).to_be_visible()
    # Heron's edit that did not reach the server, and the server's own edit meanwhile.
    card = Card.objects.get(uid="ada")
    Card.objects.filter(pk=card.pk).update(dirty=True, full_name="Ada (mine)",
                                           vcard=card.vcard.replace("FN:Ada Lovelace",
                                                                    "FN:Ada (mine)"))
    server.put(f"{server.book_url}ada.vcf", content=card_text("Ada (theirs)"),
               headers={"If-Match": etag})
    page.goto(f"{base}/contacts/")
    expect(page.get_by_text("both versions are kept")).to_be_visible()
    expect(page.get_by_role("link", name="Ada (theirs)")).to_be_visible()
    page.get_by_role("link", name="Ada (mine)").click()
    keep = page.get_by_role("button", name="Keep this version")
    expect(keep).to_be_visible()
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in ((390, 844), (1440, 900)):
            page.set_viewport_size({"width": width, "height": height})
            page.reload()  # drawn at this size from the start, not mid-transition
            expect(keep).to_be_visible()
            page.screenshot(path=str(shots / f"carddav-conflict-{width}-{scheme}.png"))
    keep.click()
    expect(page.get_by_text("One version of Ada (mine) is kept.")).to_be_visible()
    assert "FN:Ada (mine)" in server.get(f"{server.book_url}ada.vcf").text
    assert list(Card.objects.values_list("full_name", flat=True)) == ["Ada (mine)"]
