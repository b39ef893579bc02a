"""The ManageSieve client against the stack's real servers: Dovecot's Pigeonhole and Cyrus's
timsieved (ports HERON_STACK_SIEVE_PORT and HERON_STACK_CYRUS_SIEVE_PORT in .stack/env).
Every test runs on both; it writes only scripts of its own name and puts back which
script was active."""
import os
import socket
import uuid
from datetime import date
from pathlib import Path

import pytest

from webmail.sieve.client import SieveServer, open_sieve
from webmail.sieve.errors import SieveAuthFailed, SieveRefused, SieveUnavailable
from webmail.sieve.rules import Action, Condition, Rule, Vacation
from webmail.sieve.script import parse, render, with_items, with_vacation

USER = "carol@heron.test"
DATA = Path(__file__).resolve().parents[1] / "data" / "sieve"
PORTS = {"dovecot": "HERON_STACK_SIEVE_PORT", "cyrus": "HERON_STACK_CYRUS_SIEVE_PORT"}


@pytest.fixture(params=sorted(PORTS))
def server(request, stack_users):
    port = os.environ.get(PORTS[request.param])
    if not port:
        pytest.fail(f"{PORTS[request.param]} is not set: the stack has no ManageSieve "
                    "(run make services, then set -a; . .stack/env; set +a)")
    return SieveServer(os.environ.get("IMAP_HOST", "127.0.0.1"), int(port), "none")


@pytest.fixture
def sieve(server, stack_users):
    """carol's session; the scripts the test made are deleted and the active one restored."""
    with open_sieve(server, USER, stack_users[USER], seconds=10) as session:
        before = session.list_scripts()
        yield session
        active = next((info.name for info in before if info.active), "")
        session.activate(active)
        for info in session.list_scripts():
            if info.name.startswith("heron-core-test-"):
                session.delete_script(info.name)


def scratch_name():
    return f"heron-core-test-{uuid.uuid4().hex[:8]}"


def test_it_logs_in_and_tells_the_servers_extensions(sieve):
    assert {"fileinto", "vacation", "imap4flags", "copy", "regex", "date",
            "relational", "reject"} <= sieve.extensions
    assert sieve.implementation


@pytest.mark.parametrize("text", [
    "# ü\r\nkeep;\r\n",
    "keep;",  # no final line break
    "# only line feeds\nkeep;\n\n",
    'require "fileinto";\r\nfileinto "Kunden/\\"Müller\\" \\\\ Söhne/日本";\r\n',
])
def test_a_script_put_is_got_back_byte_for_byte(sieve, text):
    name = scratch_name()
    sieve.put_script(name, text)
    assert sieve.get_script(name) == text
    assert any(info.name == name and not info.active for info in sieve.list_scripts())
    sieve.delete_script(name)
    assert sieve.get_script(name) is None


def test_a_bad_script_is_refused_with_its_line_and_the_old_one_stays(sieve):
    name = scratch_name()
    sieve.put_script(name, "keep;\r\n")
    bad = 'require "fileinto";\r\n\r\nfoo;\r\n'
    with pytest.raises(SieveRefused) as checked:
        sieve.check_script(bad)
    with pytest.raises(SieveRefused) as put:
        sieve.put_script(name, bad)
    assert checked.value.line == put.value.line == 3
    assert checked.value.message.startswith("The filter server refused the script: ")
    assert sieve.get_script(name) == "keep;\r\n"


def test_a_missing_extension_is_refused_on_its_line(sieve):
    with pytest.raises(SieveRefused) as refused:
        sieve.check_script('# first\r\nrequire ["fileinto", "no-such-extension"];\r\n')
    assert refused.value.line == 2 and "no-such-extension" in refused.value.message


def test_without_checkscript_a_scratch_script_checks_and_is_removed(sieve, monkeypatch):
    # Both stack servers have CHECKSCRIPT; the fallback is run on them by hiding it.
    monkeypatch.setattr(sieve, "_checkscript", False)
    with pytest.raises(SieveRefused) as refused:
        sieve.check_script("keep;\r\n}\r\n")
    assert refused.value.line == 2 and "heron-check" not in refused.value.message
    sieve.check_script("keep;\r\n")
    assert "heron-check" not in [info.name for info in sieve.list_scripts()]


def test_every_rule_and_vacation_heron_writes_is_accepted(sieve):
    rules = [
        Rule("Lists", True, "any", (
            Condition("from", "contains", "list@"), Condition("to", "is", "a@b.test"),
            Condition("cc", "matches", "*@c.test"),
            Condition("header", "regex", "^yes$", header="X-Spam-Flag", negate=True),
            Condition("size", "under", "10M")),
            (Action("move", 'Kunden/"Müller"'), Action("mark_read"), Action("flag"),
             Action("stop"))),
        Rule("Copy", False, "all", (Condition("subject", "contains", "[x]"),),
             (Action("copy", "Archiv"), Action("forward_copy", "d@heron.test"))),
        Rule("Forward", True, "all", (Condition("size", "over", "1K"),),
             (Action("forward", "e@heron.test"), Action("discard"))),
        Rule("Reject", True, "all", (Condition("subject", "is", "spam"),),
             (Action("reject", "No, thank you.\n.\nBye."),)),
    ]
    script = with_vacation(with_items(parse(""), rules), Vacation(
        True, date(2026, 12, 20), date(2027, 1, 5), "Away", "Back\n.soon", (USER,), 3,
        USER, "+0100"))
    sieve.check_script(render(script))


@pytest.mark.parametrize("sample", ["roundcube.sieve", "handwritten.sieve"])
def test_the_sample_scripts_are_valid_and_come_back_unchanged(sieve, sample):
    text = (DATA / sample).read_bytes().decode()
    name = scratch_name()
    sieve.put_script(name, render(parse(text)))
    assert sieve.get_script(name) == text


def test_a_script_is_activated_and_deactivated(sieve):
    name = scratch_name()
    sieve.put_script(name, "keep;\r\n")
    sieve.activate(name)
    assert [info.name for info in sieve.list_scripts() if info.active] == [name]
    with pytest.raises(SieveRefused):
        sieve.delete_script(name)
    sieve.activate("")
    assert not [info for info in sieve.list_scripts() if info.active]


def test_a_wrong_password_is_auth_failed(server):
    with pytest.raises(SieveAuthFailed):
        open_sieve(server, USER, "not-the-password", seconds=10)


def _offers_starttls(server):
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        greeting = b""
        while not greeting.endswith(b"\r\n") or not greeting.splitlines()[-1].startswith(
                b"OK"):
            greeting += sock.recv(4096)
    return b'"STARTTLS"' in greeting


def test_required_starttls_is_never_given_up_for_clear_text(server, stack_users):
    secure = SieveServer(server.host, server.port, "starttls")
    if _offers_starttls(server):
        with open_sieve(secure, USER, stack_users[USER], seconds=10) as sieve:
            assert sieve.extensions
        return
    with pytest.raises(SieveUnavailable) as refused:
        open_sieve(secure, USER, stack_users[USER], seconds=10)
    assert "STARTTLS" in refused.value.message


def test_both_servers_take_an_empty_script_as_a_new_filter_set(sieve):
    # "New filter set" starts an empty one: valid Sieve (RFC 5228: a script is any number
    # of commands), checked and stored as it is, and it can be made the active one.
    name = scratch_name()
    sieve.check_script("")
    sieve.put_script(name, "")
    assert sieve.get_script(name) == ""
    sieve.activate(name)
    assert any(info.name == name and info.active for info in sieve.list_scripts())
