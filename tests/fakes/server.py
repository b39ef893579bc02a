"""The fake IMAP server: its accounts (see account.py), whether it is up, and the
capabilities it announces; it makes FakeMailSessions as MailSession's factory would."""
from .account import Account
from .session import FakeMailSession


class FakeMailServer:
    """What a fake IMAP server holds: accounts (username -> spec, see Account), built the
    first time a session logs in to one, the capabilities it announces, and the service
    logins (login -> password) that may act for any of its users (a master passdb)."""

    def __init__(self, accounts=None, down=False, capabilities=(), services=None):
        self.accounts = accounts or {}
        self.services = services or {}
        self.down = down
        self.capabilities = {c.upper() for c in capabilities}
        self.logins = 0
        self.sessions = []
        self._held = {}

    def factory(self, config, timeout=15, gate=None):
        session = FakeMailSession(self, config, timeout)
        self.sessions.append(session)
        return session

    def account(self, username):
        if username not in self._held:
            self._held[username] = Account(self.accounts[username])
        return self._held[username]

    def folder(self, username, name):
        """A folder of an account, for a test to look into (messages, flags)."""
        return self.account(username).folder(name)
