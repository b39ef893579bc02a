"""`make run`'s embedded defaults run the task queue too: on SQLite, with local files, the
demo IMAP and SMTP servers and the demo's own login as service login (deploy/run.sh), a
held message is sent by `manage.py heron_worker` and filed in Sent."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.integration.test_demo_smtp import demo_inbox, demo_smtp  # noqa: F401 - fixtures

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
HOLD = """
from datetime import timedelta
import uuid
from django.contrib.auth import get_user_model
from django.utils import timezone
from accounts import identities
from webmail import mail, outbox
user = get_user_model().objects.create(username="demo@heron.demo")
data = {"draft": uuid.uuid4().hex, "version": 0, "to": "demo@heron.demo", "cc": "",
        "bcc": "", "subject": SUBJECT, "body": "Held by make run.", "format": "text",
        "identity": identities.default_identity(user).id}
with mail.service_mail(user.username) as session:
    outbox.hold(session, user, data, kind="undo",
                send_at=timezone.now() - timedelta(seconds=1))
"""


def test_make_run_sends_a_held_message_with_its_own_worker(
        demo_server, demo_smtp, demo_inbox, tmp_path):  # noqa: F811 - fixtures
    smtp_port = demo_smtp[0]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DEBUG": "1",
           "SQLITE_PATH": str(tmp_path / "db.sqlite3"), "MEDIA_ROOT": str(tmp_path / "media"),
           "IMAP_HOST": "127.0.0.1", "IMAP_PORT": str(demo_server.port),
           "IMAP_SECURITY": "none", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
           "SMTP_SECURITY": "none", "HERON_SERVICE_USER": "demo@heron.demo",
           "HERON_SERVICE_PASSWORD": "demopass"}
    subject = f"held-{uuid.uuid4().hex[:10]}"

    def manage(*args, **kwargs):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120, **kwargs)

    for step in (manage("migrate", "--noinput", "-v0"),
                 manage("shell", "-c", f"SUBJECT = {subject!r}\n{HOLD}"),
                 manage("heron_worker", "--batch", "-v0")):
        assert step.returncode == 0, step.stdout + step.stderr
    demo_inbox.select_folder("INBOX")
    assert len(demo_inbox.search(["SUBJECT", subject])) == 1
    demo_inbox.select_folder("Sent")
    filed = demo_inbox.search(["SUBJECT", subject])
    assert len(filed) == 1
    demo_inbox.delete_messages(filed)
    demo_inbox.expunge()
