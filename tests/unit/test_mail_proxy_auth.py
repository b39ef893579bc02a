"""The endpoint nginx's mail proxy asks where a login's server is (auth_http)."""
from ipaddress import ip_network

import pytest
from django.test import Client

from accounts.domains import forget_domain
from accounts.models import Domain, Route

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "proxy-secret-1"
URL = "/mail-proxy/auth"


@pytest.fixture
def proxy(settings):
    settings.HERON_MAIL_PROXY_SECRET = SECRET
    Domain.objects.create(name="heron.test", imap_host="127.0.0.1", imap_port=51143,
                          imap_security="none", smtp_host="127.0.0.1", smtp_port=51587,
                          smtp_security="none")
    Route.objects.create(pattern="frank@heron.test", imap_host="127.0.0.1", imap_port=51243,
                         imap_security="none")
    forget_domain("heron.test")
    return Client()


def ask(client, user, protocol="imap", secret=SECRET, address="127.0.0.1", **extra):
    headers = {"HTTP_AUTH_METHOD": "plain", "HTTP_AUTH_USER": user,
               "HTTP_AUTH_PASS": "whatever", "HTTP_AUTH_PROTOCOL": protocol,
               "HTTP_AUTH_LOGIN_ATTEMPT": "1", "HTTP_CLIENT_IP": "192.0.2.7",
               "REMOTE_ADDR": address, **extra}
    if secret is not None:
        headers["HTTP_X_HERON_PROXY_SECRET"] = secret
    return client.get(URL, **headers)


def test_each_login_is_sent_to_its_own_server(proxy):
    alice, frank = ask(proxy, "alice@heron.test"), ask(proxy, "frank@heron.test")
    assert (alice["Auth-Status"], alice["Auth-Server"], alice["Auth-Port"]) == (
        "OK", "127.0.0.1", "51143")
    assert (frank["Auth-Status"], frank["Auth-Server"], frank["Auth-Port"]) == (
        "OK", "127.0.0.1", "51243")


def test_the_login_nginx_url_encodes_is_read_decoded_and_in_lower_case(proxy):
    answer = ask(proxy, "Frank%40Heron.test")
    assert answer["Auth-Port"] == "51243"


def test_a_login_with_raw_utf8_bytes_is_read_as_utf8(proxy):
    Route.objects.create(pattern="jürgen@heron.test", imap_host="127.0.0.1", imap_port=51244,
                         imap_security="none")
    # nginx sends the UTF-8 bytes as they are; a WSGI header holds them read as Latin-1.
    raw = "Jürgen@heron.test".encode().decode("latin-1")
    assert ask(proxy, raw)["Auth-Port"] == "51244"
    assert ask(proxy, "j%C3%BCrgen@heron.test")["Auth-Port"] == "51244"


def test_smtp_logins_are_refused_as_nginx_would_let_them_in_without_a_password(proxy):
    # nginx's SMTP proxy leaves the password to auth_http and passes the login on by
    # XCLIENT: an OK here would let any password send as anyone.
    answer = ask(proxy, "alice@heron.test", protocol="smtp")
    assert answer["Auth-Status"] == "Invalid login or password" and "Auth-Server" not in answer


def test_a_login_method_whose_password_nginx_cannot_hand_on_is_refused(proxy):
    answer = ask(proxy, "alice@heron.test", HTTP_AUTH_METHOD="cram-md5")
    assert answer["Auth-Status"] == "Invalid login or password" and "Auth-Server" not in answer
    assert ask(proxy, "alice@heron.test", HTTP_AUTH_METHOD="login")["Auth-Status"] == "OK"


def test_a_server_that_speaks_only_tls_is_a_temporary_problem_not_a_plain_connection(proxy):
    Route.objects.create(pattern="ivy@heron.test", imap_host="127.0.0.1", imap_port=993,
                         imap_security="ssl")
    answer = ask(proxy, "ivy@heron.test")
    assert answer["Auth-Status"].startswith("Temporary") and "Auth-Server" not in answer


def test_after_ten_attempts_a_refusal_asks_nginx_to_close_not_to_wait(proxy):
    early = ask(proxy, "", HTTP_AUTH_LOGIN_ATTEMPT="2")
    late = ask(proxy, "", HTTP_AUTH_LOGIN_ATTEMPT="10")
    assert early["Auth-Wait"] == "3" and "Auth-Wait" not in late
    assert late["Auth-Status"] == "Invalid login or password"


def test_a_host_name_is_answered_as_an_ip_address(proxy):
    Route.objects.create(pattern="gina@heron.test", imap_host="localhost", imap_port=143,
                         imap_security="none")
    answer = ask(proxy, "gina@heron.test")
    assert answer["Auth-Server"] in ("127.0.0.1", "::1")


def test_a_server_without_an_address_is_a_temporary_problem(proxy):
    Route.objects.create(pattern="hal@heron.test", imap_host="no-such-host.invalid",
                         imap_port=143, imap_security="none")
    answer = ask(proxy, "hal@heron.test")
    assert answer["Auth-Status"].startswith("Temporary") and answer["Auth-Wait"] == "5"


@pytest.mark.parametrize("user,protocol", [("", "imap"), ("alice@heron.test%0d%0aX", "imap"),
                                           ("alice%FF@heron.test", "imap"),
                                           ("alice@heron.test%00", "imap"),
                                           ("alice@heron.test", "pop3"),
                                           ("alice@heron.test", "smtp")])
def test_what_cannot_be_a_login_is_refused(proxy, user, protocol):
    answer = ask(proxy, user, protocol=protocol)
    assert answer["Auth-Status"] == "Invalid login or password" and answer["Auth-Wait"] == "3"
    assert "Auth-Server" not in answer


def test_a_login_of_a_deactivated_domain_is_refused(proxy):
    Domain.objects.filter(name="heron.test").update(active=False)
    forget_domain("heron.test")
    assert ask(proxy, "alice@heron.test")["Auth-Status"] == "Invalid login or password"


def test_without_the_secret_or_from_another_address_nothing_is_answered(proxy):
    for answer in (ask(proxy, "alice@heron.test", secret=None),
                   ask(proxy, "alice@heron.test", secret="proxy-secret-2"),
                   ask(proxy, "alice@heron.test", address="192.0.2.50")):
        assert answer.status_code == 403 and "Auth-Server" not in answer


def test_a_forwarded_for_header_from_an_untrusted_peer_does_not_open_the_allow_list(proxy):
    answer = ask(proxy, "alice@heron.test", address="192.0.2.50",
                 HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert answer.status_code == 403


def test_behind_a_trusted_balancer_the_callers_own_address_is_checked(proxy, settings):
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.1/32")]
    allowed = ask(proxy, "alice@heron.test", address="10.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    refused = ask(proxy, "alice@heron.test", address="10.0.0.1",
                  HTTP_X_FORWARDED_FOR="192.0.2.50")
    assert allowed["Auth-Status"] == "OK" and refused.status_code == 403


def test_without_a_secret_set_the_endpoint_does_not_exist(proxy, settings):
    settings.HERON_MAIL_PROXY_SECRET = ""
    assert ask(proxy, "alice@heron.test").status_code == 404


def test_only_get_is_answered(proxy):
    answer = proxy.post(URL, HTTP_X_HERON_PROXY_SECRET=SECRET, HTTP_AUTH_USER="a@heron.test")
    assert answer.status_code == 405 and "Auth-Server" not in answer
