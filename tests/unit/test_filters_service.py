"""The Filters service's parts that need no page: which ManageSieve server a login uses,
moving, switching and removing rules among raw blocks, the vacation banner's summary."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts import domains
from accounts.models import Domain
from webmail import filter_folders, filters, vacation_summary
from webmail.imap.types import ServerConfig
from webmail.sieve.rules import Action, Condition, RawBlock, Rule, Vacation


def rule(name, enabled=True):
    return Rule(name, enabled, "all", (Condition("from", "contains", name),), (Action("stop"),))


A, B, RAW = rule("a"), rule("b"), RawBlock("redirect \"x@example.org\";\n")


@pytest.mark.django_db
def test_a_domain_names_its_managesieve_server_or_uses_the_imap_host(settings):
    Domain.objects.create(name="heron.test", imap_host="imap.heron.test", smtp_host="smtp",
                          sieve_port=4190, sieve_security="starttls")
    Domain.objects.create(name="other.test", imap_host="imap.other.test", smtp_host="smtp",
                          sieve_host="sieve.other.test", sieve_port=2000, sieve_security="ssl")
    Domain.objects.create(name="none.test", imap_host="imap.none.test", smtp_host="smtp",
                          sieve_port=0)
    assert domains.servers_for("a@heron.test").sieve == ServerConfig(
        "imap.heron.test", 4190, "starttls")
    assert domains.servers_for("a@other.test").sieve == ServerConfig(
        "sieve.other.test", 2000, "ssl")
    assert domains.servers_for("a@none.test").sieve is None
    assert domains.servers_for("a@none.test").sieve is None  # read back from the cache


@pytest.mark.django_db
def test_without_a_row_the_environment_chooses_and_port_zero_means_none(settings):
    settings.IMAP_HOST, settings.MANAGESIEVE_HOST = "imap.example", "imap.example"
    settings.MANAGESIEVE_PORT, settings.MANAGESIEVE_SECURITY = 4190, "starttls-if-offered"
    assert domains.servers_for("a@nowhere.test").sieve == ServerConfig(
        "imap.example", 4190, "starttls-if-offered")
    settings.MANAGESIEVE_PORT = 0
    assert domains.servers_for("a@nowhere.test").sieve is None


@pytest.mark.parametrize("items, index, step, expected", [
    ((A, B), 0, 1, (B, A)),
    ((A, RAW, B), 2, -1, (A, B, RAW)),
    ((A, B), 0, -1, None),       # nothing above the first
    ((A, B), 1, 1, None),        # nothing below the last
    ((RAW, A), 0, 1, None),      # a raw block is not a rule
    ((A,), 5, 1, None),
])
def test_moving_a_rule_one_place(items, index, step, expected):
    assert filters.move(items, index, step) == expected


@pytest.mark.parametrize("order, expected", [
    ([2, 0, 1], (B, A, RAW)), ([0, 1, 2], (A, RAW, B)),
    ([0, 1], None), ([0, 0, 1], None), ([0, 1, 3], None), ([], None),
])
def test_a_dragged_order_must_name_every_item_once(order, expected):
    assert filters.reorder((A, RAW, B), order) == expected


def test_switching_and_removing_touch_only_a_rule():
    assert filters.switched((A, RAW), 0, False) == (rule("a", False), RAW)
    assert filters.switched((A, RAW), 1, False) is None
    assert filters.without((A, RAW, B), 2) == (A, RAW)
    assert filters.without((A, RAW, B), 1) is None
    assert filters.without((A,), -1) is None


@pytest.mark.parametrize("name, valid", [
    ("heron", True), ("Roundcube filters", True), ("Über", True), ("", False),
    ("a/b", False), ('say "hi"', False), ("a\nb", False), ("a\x00b", False), ("x" * 600, False),
])
def test_only_names_a_server_can_take_reach_it(name, valid):
    assert filters.valid_name(name) is valid


@pytest.mark.django_db
def test_the_banner_shows_only_between_the_first_and_the_last_day():
    user = get_user_model().objects.create_user("dora@heron.test")
    today = timezone.localdate()

    def on(first, last, enabled=True):
        vacation_summary.remember_vacation(user, Vacation(enabled, first, last, "s", "m", (), 7))
        return vacation_summary.vacation_banner(user) is not None
    assert on(None, None)
    assert on(today, today)
    assert not on(today + timedelta(days=1), None)
    assert not on(None, today - timedelta(days=1))
    assert not on(None, None, enabled=False)
    vacation_summary.remember_vacation(user, None)
    assert vacation_summary.vacation_banner(user) is None


def test_the_version_is_the_sha256_of_the_text():
    assert filters.version_of("") == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert filters.version_of("keep;\n") != filters.version_of("keep;\r\n")


@pytest.mark.django_db
def test_a_new_users_vacation_answers_for_their_login_and_identities():
    user = get_user_model().objects.create_user("erin@heron.test")
    blank = filters.blank_vacation(user)
    assert not blank.enabled and blank.days == 7
    assert blank.addresses == ("erin@heron.test",)


@pytest.mark.parametrize("name, encoded", [
    ("INBOX", "INBOX"), ("Café", "Caf&AOk-"), ("R&D", "R&-D"), ("日本語", "&ZeVnLIqe-"),
    ('Filtré "Heron"', 'Filtr&AOk- "Heron"'), ("a/b", "a/b"), ("~peter/mail/台北/日本語",
                                                           "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
])
def test_folder_names_in_modified_utf7_both_ways(name, encoded):
    assert filter_folders.encode_utf7(name) == encoded
    assert filter_folders.decode_utf7(encoded) == name


def test_a_malformed_utf7_run_is_left_as_it_is():
    assert filter_folders.decode_utf7("a&Jjo!-b") == "a&Jjo!-b"
    assert filter_folders.decode_utf7("a&AOk") == "a&AOk"
