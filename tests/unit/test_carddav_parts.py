"""The CardDAV parts that need no server: addresses, hrefs, the XML, the Domain admin."""
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Domain
from contacts import davxml
from contacts.carddav import CardDavClient
from contacts.davhttp import CardDavError
from contacts.davserver import CardDavServer, server_of_domain, validate_server_url

BOOK = "https://dav.example.org/alice%40heron.test/contacts/"


@pytest.mark.parametrize("url", [
    "https://dav.example.org/{user}/contacts/",
    "http://127.0.0.1:55232/",
    "https://dav.example.org/dav/{domain}/{local}/",
])
def test_a_server_address_may_be_a_template_or_a_root(url):
    validate_server_url(url)


@pytest.mark.parametrize("url", [
    "ftp://dav.example.org/", "dav.example.org/{user}/", "https:///nohost/",
    "https://dav.example.org/{user}/\r\nX-Evil: 1", "https://bob:pw@dav.example.org/",
    "https://dav.example.org/{password}/", "https://{domain}/{user}/",
    "https://dav.example.org/a b/",
])
def test_a_bad_server_address_is_refused(url):
    with pytest.raises(ValidationError):
        validate_server_url(url)


@pytest.mark.parametrize("template, book", [
    ("https://dav.example.org/{user}/contacts/",
     "https://dav.example.org/alice@heron.test/contacts/"),
    ("https://dav.example.org/{domain}/{local}", "https://dav.example.org/heron.test/alice/"),
    ("https://dav.example.org/", None),
])
def test_the_book_of_a_user_comes_from_the_template(template, book):
    assert CardDavServer(url=template).book_url("alice@heron.test") == book


@pytest.mark.parametrize("raw, href", [
    ("/alice%40heron.test/contacts/ada.vcf", "/alice@heron.test/contacts/ada.vcf"),
    ("/alice@heron.test/contacts/ada.vcf", "/alice@heron.test/contacts/ada.vcf"),
    ("ada.vcf", "/alice@heron.test/contacts/ada.vcf"),
    ("https://dav.example.org/alice@heron.test/contacts/a%20b.vcf",
     "/alice@heron.test/contacts/a%20b.vcf"),
    ("https://evil.example.org/alice@heron.test/contacts/ada.vcf", None),
    ("http://dav.example.org/alice@heron.test/contacts/ada.vcf", None),
    ("/bob@heron.test/contacts/ada.vcf", None),
    ("/alice@heron.test/contacts/", None),
    ("/alice@heron.test/contacts/../../bob@heron.test/contacts/x.vcf", None),
    ("/alice@heron.test/contacts/ada.vcf\r\nX-Evil: 1", None),
    ("/alice@heron.test/contacts/a\x00.vcf", None),
    ("", None),
])
def test_only_hrefs_of_cards_in_the_book_are_taken(raw, href):
    with CardDavClient(BOOK, "alice@heron.test", "pw") as client:
        assert client.href_of(raw) == href


def test_a_new_card_is_named_by_its_uid_when_the_uid_is_plain():
    with CardDavClient(BOOK, "alice@heron.test", "pw") as client:
        assert client.new_href("ada-1") == "/alice@heron.test/contacts/ada-1.vcf"
        odd = client.new_href("urn:uuid:1/../x")
        assert odd.startswith("/alice@heron.test/contacts/") and "/../" not in odd


def test_a_login_with_a_line_break_is_refused_before_any_request():
    with pytest.raises(CardDavError):
        CardDavClient(BOOK, "alice@heron.test\r\nX: 1", "pw")


MULTISTATUS = b"""<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:"><d:response><d:href>/b/a.vcf</d:href><d:propstat>
<d:prop><d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
<d:propstat><d:prop><d:displayname/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status>
</d:propstat></d:response><d:response><d:href>/b/gone.vcf</d:href>
<d:status>HTTP/1.1 404 Not Found</d:status></d:response><d:sync-token>t2</d:sync-token>
</d:multistatus>"""


def test_a_multistatus_is_read_with_its_sync_token_and_removals():
    found = davxml.parse_multistatus(MULTISTATUS)
    assert found.sync_token == "t2"
    assert [(item.href, item.status, item.text(davxml.GETETAG)) for item in found.items] == [
        ("/b/a.vcf", None, '"1"'), ("/b/gone.vcf", 404, "")]
    assert davxml.q("DAV:", "displayname") not in found.items[0].props


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><multistatus xmlns="DAV:">'
    b"<response><href>&a;</href></response></multistatus>",
    b'<?xml version="1.0"?><!DOCTYPE m SYSTEM "file:///etc/passwd"><multistatus xmlns="DAV:"/>',
    b"<html/>", b"<multistatus xmlns='DAV:'>", b"",
])
def test_xml_with_a_dtd_or_of_another_kind_is_refused(body):
    with pytest.raises(CardDavError, match="cannot read"):
        davxml.parse_multistatus(body)


# -- the Domain admin ---------------------------------------------------------------------

DOMAIN = {"name": "heron.test", "imap_host": "127.0.0.1", "imap_port": "1143",
          "imap_security": "none", "smtp_host": "127.0.0.1", "smtp_port": "1025",
          "smtp_security": "none", "sieve_port": "4190",
          "sieve_security": "starttls-if-offered", "sieve_folder_encoding": "utf-8"}


@pytest.fixture
def operator(db):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("op", "op@example.org", "pw"))
    return client


def test_an_operator_sets_and_clears_a_domains_carddav_server(operator):
    url = "https://dav.example.org/{user}/contacts/"
    assert operator.post("/admin/accounts/domain/add/",
                         {**DOMAIN, "carddav_url": url}).status_code == 302
    domain = Domain.objects.get()
    assert domain.carddav.url == url
    page = operator.get(f"/admin/accounts/domain/{domain.pk}/change/")
    assert b"CardDAV address" in page.content and url.encode() in page.content
    operator.post(f"/admin/accounts/domain/{domain.pk}/change/", {**DOMAIN, "carddav_url": ""})
    assert not CardDavServer.objects.exists()


def test_a_bad_carddav_address_is_shown_as_an_error_and_saves_nothing(operator):
    response = operator.post("/admin/accounts/domain/add/",
                             {**DOMAIN, "carddav_url": "ftp://dav.example.org/"})
    assert response.status_code == 200 and b"Enter an http:// or https:// address." in (
        response.content)
    assert not Domain.objects.exists() and not CardDavServer.objects.exists()


def test_a_domains_server_is_looked_up_once_and_forgotten_when_saved(
        operator, django_assert_num_queries, django_capture_on_commit_callbacks):
    assert server_of_domain("heron.test") is None
    with django_assert_num_queries(0):
        assert server_of_domain("heron.test") is None  # remembered, also as "none"
    url = "https://dav.example.org/{user}/contacts/"
    with django_capture_on_commit_callbacks(execute=True):
        operator.post("/admin/accounts/domain/add/", {**DOMAIN, "carddav_url": url})
    assert server_of_domain("heron.test").url == url
