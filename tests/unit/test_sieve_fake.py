"""The fake keeps up: FakeSieveSession has exactly SieveSession's public surface, its
server opens sessions as open_sieve does, and it behaves like a ManageSieve account."""
import inspect

import pytest

from tests.fakes.sieve import FakeSieveServer, FakeSieveSession
from tests.unit.test_fake_session import public_surface
from webmail.sieve.client import ScriptInfo, SieveServer, SieveSession, open_sieve
from webmail.sieve.errors import SieveAuthFailed, SieveRefused, SieveTooLarge, SieveUnavailable

SERVER = SieveServer("127.0.0.1", 4190, "none")
USER = "alice@heron.test"


def test_the_fake_has_exactly_the_public_methods_and_signatures_of_the_session():
    real, fake = public_surface(SieveSession), public_surface(FakeSieveSession)
    assert sorted(set(real) - set(fake)) == [], "methods the fake lacks"
    assert sorted(set(fake) - set(real)) == [], "methods the session lacks"
    drifted = {name: (real[name], fake[name]) for name in real if real[name] != fake[name]}
    assert drifted == {}, "signatures that drifted (session, fake)"


def test_the_fake_is_a_context_manager_like_the_session():
    for name in ("__enter__", "__exit__"):
        assert (inspect.signature(getattr(SieveSession, name))
                == inspect.signature(getattr(FakeSieveSession, name)))


def test_the_fake_server_opens_with_open_sieves_signature():
    assert (inspect.signature(FakeSieveServer().open).parameters.keys()
            == inspect.signature(open_sieve).parameters.keys())
    assert str(inspect.signature(FakeSieveServer().open)) == str(inspect.signature(open_sieve))


def test_the_fake_session_has_the_sessions_public_attributes():
    server = FakeSieveServer({USER: "pw"})
    fake = {name for name in vars(server.open(SERVER, USER, "pw", seconds=1))
            if not name.startswith("_")}
    assert {"extensions", "implementation"} <= fake


@pytest.fixture
def server():
    return FakeSieveServer({USER: "pw"}, scripts={USER: {"roundcube": "keep;\r\n"}},
                           active={USER: "roundcube"})


def test_scripts_put_are_scripts_got_and_listed(server):
    with server.open(SERVER, USER, "pw", seconds=5) as sieve:
        sieve.put_script("heron", "discard;\r\n")
        assert sieve.get_script("heron") == "discard;\r\n"
        assert sieve.get_script("nothing") is None
        assert sieve.list_scripts() == [ScriptInfo("roundcube", True), ScriptInfo("heron", False)]
        sieve.activate("heron")
        assert server.active[USER] == "heron"
        sieve.delete_script("roundcube")
        with pytest.raises(SieveRefused):
            sieve.delete_script("heron")
        sieve.activate("")
        assert server.active[USER] is None


def test_a_refused_script_names_its_line_and_is_not_stored(server):
    server.refuse("line 3: error: unknown command 'foo'.", containing="foo")
    with server.open(SERVER, USER, "pw", seconds=5) as sieve:
        with pytest.raises(SieveRefused) as refused:
            sieve.put_script("roundcube", "keep;\r\n\r\nfoo;\r\n")
        assert refused.value.line == 3 and "unknown command" in refused.value.message
        assert sieve.get_script("roundcube") == "keep;\r\n"
        sieve.check_script("keep;\r\n")


def test_a_missing_extension_is_refused_on_its_require_line():
    server = FakeSieveServer({USER: "pw"}, extensions={"fileinto"}, checkscript=False)
    with server.open(SERVER, USER, "pw", seconds=5) as sieve:
        with pytest.raises(SieveRefused) as refused:
            sieve.check_script('# x\r\nrequire ["fileinto", "regex"];\r\n')
        assert refused.value.line == 2
    assert ("PUTSCRIPT", "heron-check") in server.commands


def test_the_knobs_make_the_named_errors(server):
    with pytest.raises(SieveAuthFailed):
        server.open(SERVER, USER, "wrong", seconds=5)
    with pytest.raises(SieveAuthFailed):
        server.open(SERVER, USER, "pw\r\nLOGOUT", seconds=5)
    sieve = server.open(SERVER, USER, "pw", seconds=5)
    server.quota_bytes = 10
    with pytest.raises(SieveTooLarge):
        sieve.put_script("heron", "# a long comment\r\n")
    with pytest.raises(SieveRefused):
        sieve.put_script("bad\r\nname", "keep;")
    server.down = True
    with pytest.raises(SieveUnavailable):
        sieve.list_scripts()
    with pytest.raises(SieveUnavailable):
        server.open(SERVER, USER, "pw", seconds=5)
