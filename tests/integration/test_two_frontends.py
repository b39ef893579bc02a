"""Two Heron processes on the same database, Redis and S3: a compose begun on one is sent
from the other. (The full cluster behind nginx has its own tests.)"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import requests

from tests.helpers import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ALICE, BOB = "alice@heron.test", "bob@heron.test"


@pytest.fixture(scope="module")
def frontends():
    """Two gunicorn processes serving Heron from the stack's services."""
    env = dict(os.environ, DEBUG="0", ALLOWED_HOSTS="127.0.0.1,localhost",
               SECRET_KEY=os.environ.get("SECRET_KEY") or "two-frontends-test-" + "x" * 40)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                   env=env, check=True, timeout=120)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    started = []
    log = tempfile.TemporaryFile()  # a pipe nobody reads would fill with request logs
    try:
        for _ in range(2):
            port = free_port()
            process = subprocess.Popen(
                [str(gunicorn), "webmail.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
                 "1", "--timeout", "60"], cwd=ROOT, env=env,
                stdout=subprocess.DEVNULL, stderr=log)
            started.append((process, f"http://127.0.0.1:{port}"))
        for process, url in started:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail("a frontend did not start: "
                                + log.read().decode(errors="replace")[-2000:])
                time.sleep(0.2)
        yield [url for _, url in started]
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=15)


def test_upload_on_one_frontend_and_send_from_the_other(frontends, stack_users, direct_imap):
    first, second = frontends
    browser = requests.Session()
    browser.get(f"{first}/accounts/login/")
    logged = browser.post(f"{first}/accounts/login/", data={
        "username": ALICE, "password": stack_users[ALICE],
        "csrfmiddlewaretoken": browser.cookies["csrftoken"]}, allow_redirects=False)
    assert logged.status_code == 302
    csrf = {"X-CSRFToken": browser.cookies["csrftoken"], "Accept": "application/json"}
    page = browser.get(f"{first}/mail/compose/").text
    draft = re.search(r'name="draft" value="([0-9a-f]{32})"', page).group(1)
    identity = re.search(r'<option value="(\d+)"[^>]*selected', page).group(1)
    data = os.urandom(2_500_000)
    stored = browser.post(f"{first}/attachments/upload/", headers=csrf, data={"draft": draft},
                          files={"file": ("survey.bin", data, "application/octet-stream")})
    assert stored.status_code == 200, stored.text[:300]

    subject = f"Across frontends {uuid.uuid4().hex[:8]}"
    sent = browser.post(f"{second}/mail/compose/send/", headers={"X-CSRFToken": csrf[
        "X-CSRFToken"]}, data={"draft": draft, "version": "0", "identity": identity,
                               "to": BOB, "subject": subject, "body": "from the other one",
                               "format": "text"}, allow_redirects=False)
    assert sent.status_code == 302, sent.text[:500]

    bob = direct_imap(BOB)
    deadline = time.monotonic() + 15
    while True:
        bob.select_folder("INBOX", readonly=True)
        found = bob.search(["SUBJECT", subject])
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert found, "the message reached Bob"
    message = message_from_bytes(bob.fetch(found, ["RFC822"])[found[0]][b"RFC822"],
                                 policy=policy.default)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "survey.bin"
    assert hashlib.sha256(attachment.get_content()).digest() == hashlib.sha256(data).digest()
    bob.select_folder("INBOX")
    bob.delete_messages(found)
    bob.expunge()
