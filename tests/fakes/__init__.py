"""An in-memory IMAP server and session with MailSession's public surface, for unit tests.

    server = FakeMailServer({"alice@heron.test": {"password": "pw", "quota": None,
        "folders": {"INBOX": make_summaries(3) + [eml_bytes], "Trash": []}}},
        capabilities=("LIST-STATUS",))
    mail = server.factory(config)          # what the pool and the login backend call
    mail.login("alice@heron.test", "pw")
    server.folder("alice@heron.test", "INBOX").messages[2].flags   # what changed

A folder holds MessageSummary objects (a message is written for each) or whole messages
as bytes. test_fake_session.py keeps the surface equal to MailSession's; when the session
gains a public method, add it to session.py with the same signature and contract.
"""
from .server import FakeMailServer
from .session import FakeMailSession

__all__ = ["FakeMailServer", "FakeMailSession"]
