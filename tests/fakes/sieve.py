"""An in-memory ManageSieve server and session with SieveSession's public surface.

    server = FakeSieveServer({"alice@heron.test": "pw"},
                             scripts={"alice@heron.test": {"roundcube": text}},
                             active={"alice@heron.test": "roundcube"})
    monkeypatch.setattr(filters, "open_sieve", server.open)   # same signature as open_sieve
    server.refuse("line 3: error: unknown command 'foo'.")   # CHECKSCRIPT/PUTSCRIPT say NO
    server.down = True                                         # unreachable or past the deadline
    server.extensions = frozenset({"fileinto"})                # lacks the others

Scripts live in server.scripts[username][name]; the active one is server.active[username]
(None: none). server.commands records (command, argument) as the real server would see
them, so a test can assert what was sent. test_sieve_fake.py keeps the surface equal to
SieveSession's; when the session gains a public method, add it here with the same
signature and contract.
"""
import re

from webmail.sieve.client import (
    ScriptInfo,
    check_credentials,
    check_script_name,
    refusal,
    script_bytes,
)
from webmail.sieve.errors import SieveAuthFailed, SieveRefused, SieveTooLarge, SieveUnavailable

DOVECOT_EXTENSIONS = frozenset({
    "fileinto", "reject", "envelope", "encoded-character", "vacation", "subaddress",
    "comparator-i;ascii-numeric", "relational", "regex", "imap4flags", "copy", "include",
    "variables", "body", "enotify", "environment", "mailbox", "date", "index", "ihave",
    "duplicate", "mime", "foreverypart", "extracttext", "vacation-seconds", "editheader",
})
_REQUIRE = re.compile(r'^\s*require\s*(\[[^\]]*\]|"[^"]*")\s*;', re.MULTILINE | re.IGNORECASE)


class FakeSieveServer:
    """What a fake ManageSieve server holds: passwords (username -> password), scripts
    (username -> {name: text}), the active script per user, the SIEVE extensions it offers
    and whether it has CHECKSCRIPT, and the knobs a test turns (down, refuse, quota)."""

    def __init__(self, passwords=None, scripts=None, active=None,
                 extensions=DOVECOT_EXTENSIONS, implementation="Fake Pigeonhole",
                 checkscript=True, quota_bytes=None):
        self.passwords = dict(passwords or {})
        self.scripts = {user: dict(held) for user, held in (scripts or {}).items()}
        self.active = dict(active or {})
        self.extensions = frozenset(extensions)
        self.implementation = implementation
        self.checkscript = checkscript
        self.quota_bytes = quota_bytes
        self.down = False
        self.commands = []
        self.opened = 0
        self._refusal = None

    def refuse(self, said, containing=""):
        """From now on CHECKSCRIPT and PUTSCRIPT of a script holding `containing` (any
        script when "") are refused, the server saying `said` (as Dovecot does, "line 3:
        error: …": SieveRefused.line is read from it as from a real server's answer)."""
        self._refusal = (said, containing)

    def accept(self):
        self._refusal = None

    def open(self, server, username, password, *, seconds):
        """The fake's open_sieve: the same arguments, the same errors."""
        check_credentials(username, password)
        if self.down:
            raise SieveUnavailable()
        if username not in self.passwords or self.passwords[username] != password:
            raise SieveAuthFailed()
        self.opened += 1
        self.scripts.setdefault(username, {})
        self.active.setdefault(username, None)
        return FakeSieveSession(self, username)

    # --- what the session asks the server ---------------------------------------------
    def judge(self, text):
        """None when the script would be accepted, else what the server says."""
        if self._refusal and self._refusal[1] in text:
            return self._refusal[0]
        for match in _REQUIRE.finditer(text):
            for name in re.findall(r'"([^"]*)"', match.group(1)):
                if name.lower() not in self.extensions:
                    line = text.count("\n", 0, match.start()) + 1
                    return (f"line {line}: error: require command: Unknown Sieve "
                            f"capability `{name}'.")
        return None


class FakeSieveSession:
    """One user's session on a FakeSieveServer, with SieveSession's public methods."""

    def __init__(self, server, username):
        self.server = server
        self.username = username
        self.extensions = server.extensions
        self.implementation = server.implementation
        self.closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _command(self, name, argument=""):
        if self.closed:
            raise SieveUnavailable()
        if self.server.down:
            raise SieveUnavailable()
        self.server.commands.append((name, argument))

    @property
    def _held(self):
        return self.server.scripts[self.username]

    def list_scripts(self):
        self._command("LISTSCRIPTS")
        active = self.server.active[self.username]
        return [ScriptInfo(name, name == active) for name in self._held]

    def get_script(self, name):
        check_script_name(name)
        self._command("GETSCRIPT", name)
        return self._held.get(name)

    def _refuse_or_size(self, text):
        size = len(script_bytes(text))
        if self.server.quota_bytes is not None and size > self.server.quota_bytes:
            raise SieveTooLarge()
        judged = self.server.judge(text)
        if judged:
            raise refusal(judged)

    def check_script(self, text):
        script_bytes(text)
        if self.server.checkscript:
            self._command("CHECKSCRIPT")
            self._refuse_or_size(text)
            return
        self._command("PUTSCRIPT", "heron-check")
        self._refuse_or_size(text)
        self._command("DELETESCRIPT", "heron-check")

    def put_script(self, name, text):
        check_script_name(name)
        script_bytes(text)
        self._command("PUTSCRIPT", name)
        self._refuse_or_size(text)
        self._held[name] = text

    def activate(self, name):
        if name:
            check_script_name(name)
        self._command("SETACTIVE", name)
        if name and name not in self._held:
            raise SieveRefused()
        self.server.active[self.username] = name or None

    def delete_script(self, name):
        check_script_name(name)
        self._command("DELETESCRIPT", name)
        if name == self.server.active[self.username]:
            raise SieveRefused()
        self._held.pop(name, None)

    def close(self):
        self.closed = True
