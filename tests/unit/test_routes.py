"""Routing single users, or a pattern of them, to other servers than their domain's."""
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client

from accounts import routes
from accounts.domains import forget_domain, servers_for
from accounts.models import Domain, Route
from accounts.routing import most_specific_first, validate_route_pattern
from tests.unit.conftest import log_in
from webmail import mail
from webmail.imap.types import ServerConfig

pytestmark = pytest.mark.django_db(transaction=True)

DOMAIN = {"name": "heron.test", "imap_host": "imap.heron.test", "imap_port": 993,
          "imap_security": "ssl", "smtp_host": "smtp.heron.test", "smtp_port": 587,
          "smtp_security": "starttls", "sieve_port": 4190,
          "sieve_security": "starttls-if-offered", "sieve_folder_encoding": "utf-8"}


def route(pattern, host="imap2.heron.test", **fields):
    return Route.objects.create(pattern=pattern, imap_host=host, imap_port=143,
                                imap_security="none", **fields)


@pytest.fixture
def domain():
    row = Domain.objects.create(**DOMAIN)
    forget_domain("heron.test")
    return row


@pytest.mark.parametrize("pattern", ["frank@heron.test", "*@sales.heron.test", "a*@heron.test",
                                     "f?ank@heron.test", "demouser", "x+tag@heron.test"])
def test_a_login_or_a_pattern_of_logins_is_a_route(pattern):
    validate_route_pattern(pattern)


@pytest.mark.parametrize("pattern", ["", "frank@heron.test\r\nX: 1", "[a-z]*@heron.test",
                                     "frank @heron.test", "frank@heron.test\x00", "a@b@c",
                                     "x" * 250 + "@heron.test"])
def test_what_is_not_a_login_pattern_is_refused(pattern):
    with pytest.raises(ValidationError):
        validate_route_pattern(pattern)


def test_patterns_are_tried_most_specific_first_in_a_fixed_order():
    assert most_specific_first(["*@heron.test", "*", "f*@heron.test", "a*@heron.test"]) == [
        "a*@heron.test", "f*@heron.test", "*@heron.test", "*"]


def test_without_a_route_a_user_has_the_domains_servers(domain):
    servers = servers_for("alice@heron.test")
    assert servers.imap == ServerConfig("imap.heron.test", 993, "ssl")
    assert servers.route == ""


def test_a_route_names_the_imap_server_and_keeps_the_domains_smtp(domain):
    route("frank@heron.test")
    servers = servers_for("frank@heron.test")
    assert servers.imap == ServerConfig("imap2.heron.test", 143, "none")
    assert servers.smtp == ServerConfig("smtp.heron.test", 587, "starttls")
    # Filters live with the mailbox: ManageSieve on the route's IMAP host.
    assert servers.sieve == ServerConfig("imap2.heron.test", 4190, "starttls-if-offered")
    assert servers.route == "frank@heron.test"
    assert servers_for("alice@heron.test").imap.host == "imap.heron.test"


def test_a_route_may_name_its_own_smtp_and_no_managesieve(domain):
    route("frank@heron.test", smtp_host="smtp2.heron.test", smtp_port=25, smtp_security="none",
          sieve_port=0, sieve_folder_encoding="utf-7")
    servers = servers_for("frank@heron.test")
    assert servers.smtp == ServerConfig("smtp2.heron.test", 25, "none")
    assert servers.sieve is None and servers.sieve_folders == "utf-7"


def test_an_exact_login_wins_over_a_pattern_and_a_longer_pattern_over_a_shorter(domain):
    route("*@heron.test", host="all.heron.test")
    route("f*@heron.test", host="f.heron.test")
    route("frank@heron.test", host="frank.heron.test")
    assert servers_for("frank@heron.test").imap.host == "frank.heron.test"
    assert servers_for("fiona@heron.test").imap.host == "f.heron.test"
    assert servers_for("alice@heron.test").imap.host == "all.heron.test"
    assert servers_for("alice@other.test").route == ""


def test_a_pattern_does_not_read_a_login_as_a_pattern(domain):
    route("a?c@heron.test", host="q.heron.test")
    assert servers_for("abc@heron.test").imap.host == "q.heron.test"
    assert servers_for("ab@heron.test").imap.host == "imap.heron.test"


def test_a_saved_route_is_taken_at_once_though_the_old_answer_was_cached(domain):
    assert servers_for("frank@heron.test").route == ""  # cached: no route
    row = route("frank@heron.test")
    assert servers_for("frank@heron.test").imap.host == "imap2.heron.test"
    row.imap_host = "imap3.heron.test"
    row.save()
    assert servers_for("frank@heron.test").imap.host == "imap3.heron.test"
    row.delete()
    assert servers_for("frank@heron.test").imap.host == "imap.heron.test"


def test_renaming_a_route_forgets_the_old_login_and_routes_the_new(domain):
    row = route("frank@heron.test")
    assert servers_for("frank@heron.test").route
    row.pattern = "fred@heron.test"
    row.save()
    assert servers_for("frank@heron.test").route == ""
    assert servers_for("fred@heron.test").route == "fred@heron.test"


def test_a_pattern_route_is_taken_and_dropped_at_once(domain):
    assert servers_for("sam@heron.test").route == ""
    row = route("s*@heron.test")
    assert servers_for("sam@heron.test").route == "s*@heron.test"
    row.delete()
    assert servers_for("sam@heron.test").route == ""


def test_routes_are_read_from_the_shared_cache_not_the_database(domain, django_assert_num_queries):
    route("frank@heron.test")
    route("*@heron.test", host="all.heron.test")
    servers_for("frank@heron.test")
    servers_for("alice@heron.test")
    with django_assert_num_queries(0):
        assert servers_for("frank@heron.test").imap.host == "imap2.heron.test"
        assert servers_for("alice@heron.test").imap.host == "all.heron.test"


def test_a_broken_cached_value_is_read_again_from_the_database(domain):
    route("frank@heron.test")
    cache.set(routes.exact_key("frank@heron.test"), {"pattern": 5}, 60)
    cache.set(routes.PATTERNS_KEY, "garbage", 60)
    assert servers_for("frank@heron.test").imap.host == "imap2.heron.test"


def test_a_routed_user_logs_in_and_reads_mail_on_the_routed_server(fake_server, monkeypatch):
    seen = []

    def factory(config, **kwargs):
        seen.append(config)
        return fake_server.factory(config, **kwargs)

    monkeypatch.setattr(mail.POOL, "factory", factory)
    route("carol@heron.test", host="127.0.0.9")
    client = Client()
    assert log_in(client, "carol@heron.test").status_code == 302
    assert client.get("/mail/").status_code == 200
    assert seen and {config.host for config in seen} == {"127.0.0.9"}


def test_behind_an_imap_proxy_heron_connects_to_the_proxy_and_the_proxy_is_told_the_route(
        domain, settings):
    settings.IMAP_PROXY_HOST, settings.IMAP_PROXY_PORT = "proxy.heron.test", 143
    route("frank@heron.test")
    assert servers_for("frank@heron.test").imap == ServerConfig(
        "proxy.heron.test", 143, "none", mailbox_host="imap2.heron.test", mailbox_port=143)
    assert servers_for("alice@heron.test").imap.host == "proxy.heron.test"
    assert servers_for("frank@heron.test", backend=True).imap.host == "imap2.heron.test"
    assert servers_for("alice@heron.test", backend=True).imap.host == "imap.heron.test"
    # Caches and connection bounds stay the mailbox server's, whichever way Heron goes.
    assert servers_for("frank@heron.test").imap.mailbox_server == ("imap2.heron.test", 143)
    assert servers_for("frank@heron.test", backend=True).imap.mailbox_server == (
        "imap2.heron.test", 143)


def test_behind_an_imap_proxy_the_service_login_goes_to_the_users_own_server(
        domain, settings):
    from webmail.mail import service_account
    settings.IMAP_PROXY_HOST = "proxy.heron.test"
    settings.HERON_SERVICE_USER, settings.HERON_SERVICE_PASSWORD = "svc", "svc-pw"
    route("frank@heron.test")
    get_user_model().objects.create(username="frank@heron.test")
    account = service_account("frank@heron.test")
    assert account.servers.imap == ServerConfig("imap2.heron.test", 143, "none")


@pytest.fixture
def operator():
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("op", "op@example.org", "pw"))
    return client


ROUTE_FORM = {"pattern": "Frank@Heron.test", "note": "moved in December",
              "imap_host": "imap2.heron.test", "imap_port": "143", "imap_security": "none",
              "smtp_host": "", "smtp_port": "587", "smtp_security": "starttls",
              "sieve_host": "", "sieve_port": "4190", "sieve_security": "starttls-if-offered",
              "sieve_folder_encoding": ""}


def test_an_operator_adds_a_route_and_sees_it_on_the_users_page(operator, domain):
    assert servers_for("frank@heron.test").route == ""
    response = operator.post("/admin/accounts/route/add/", ROUTE_FORM)
    assert response.status_code == 302, response.content[:800]
    row = Route.objects.get()
    assert row.pattern == "frank@heron.test"
    assert servers_for("frank@heron.test").imap.host == "imap2.heron.test"
    frank = get_user_model().objects.create(username="frank@heron.test")
    frank.set_unusable_password()
    frank.save()
    page = operator.get(f"/admin/auth/user/{frank.pk}/change/").content.decode()
    assert "IMAP imap2.heron.test:143 (none)" in page
    assert f'by the route <a href="/admin/accounts/route/{row.pk}/change/">frank@heron.test' in page
    alice = get_user_model().objects.create(username="alice@heron.test")
    alice.set_unusable_password()
    alice.save()
    page = operator.get(f"/admin/auth/user/{alice.pk}/change/").content.decode()
    assert "IMAP imap.heron.test:993 (ssl)" in page and "by the domain heron.test" in page


def test_a_pattern_differing_only_in_case_is_refused_as_taken(operator):
    route("frank@heron.test")
    page = operator.post("/admin/accounts/route/add/",
                         {**ROUTE_FORM, "pattern": "FRANK@heron.test"})
    assert page.status_code == 200 and Route.objects.count() == 1
    assert "already exists" in page.content.decode()


def test_a_login_is_routed_whatever_its_case_or_spaces(domain):
    route("frank@heron.test")
    assert routes.route_for(" Frank@Heron.TEST ").pattern == "frank@heron.test"


def test_the_route_form_refuses_a_broken_pattern_or_host(operator):
    page = operator.post("/admin/accounts/route/add/", {
        **ROUTE_FORM, "pattern": "frank@heron.test\nX", "imap_host": "imap 2"})
    assert page.status_code == 200 and not Route.objects.exists()
    text = page.content.decode()
    assert "Enter a login such as" in text and "Enter a host name or an IP address" in text
