"""A change listener that is closed leaves IDLE before it logs out (webmail/imap/watch.py).

A LOGOUT sent in IDLE is no DONE to the server, which never answered it: the watcher's
thread waited out the connection's timeout (12.9 s after the pushed-mail browser test)
with the session still open on every folder it watched. A folder deleted and made again
under the same name meanwhile was listed by Heron with the old folder's messages
(tests/integration/test_mailbox_cache.py run after that test: 2 failures in 16 runs)."""
import pytest

from webmail.imap.types import ServerConfig
from webmail.imap.watch import ChangeListener

from .conftest import stack_account
from .wire import RecordingProxy, command_lines

pytestmark = pytest.mark.integration


def test_closing_a_listener_ends_its_idle_before_the_logout(stack_users):
    account = stack_account("dovecot", stack_users)
    proxy = RecordingProxy(account.config.host, account.config.port)
    try:
        listener = ChangeListener(ServerConfig("127.0.0.1", proxy.port, "none"), timeout=30)
        listener.start(account.username, account.password, None)
        assert listener.idling
        listener.close()
        assert not listener.idling and not listener.conn.connected
        [stream] = proxy.sent()
        words = [line.split(b" ")[1:2] or [line] for kind, line in command_lines(stream)
                 if kind == "command"]
        assert words[-3:] == [[b"IDLE"], [b"DONE"], [b"LOGOUT"]], words
    finally:
        proxy.stop()
