"""Memory of a gunicorn worker while it sends a 25 MB message, against the real stack.

Logs in as the first stack user, uploads a 25,000,000-byte attachment to a new draft
(the upload goes to the S3-compatible server), then resets the worker's peak RSS
(/proc/<pid>/clear_refs) and POSTs "Send": Heron reads the upload back, builds the
message, submits it to the stack's SMTP server (which delivers it into Dovecot) and files a
copy in Sent. The peak is the kernel's own high-water mark (VmHWM), not a sample. The
message is sent to the user themself; it is deleted from INBOX and Sent afterwards.

`make bench` runs it from bench/big_bench.py on that bench's worker; run alone (the stack
up, `.stack/env` sourced and a SECRET_KEY of its own, as deploy/bench.sh makes one) it
starts its own worker and prints the figures:

    set -a; . .stack/env; set +a
    SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
        .venv/bin/python bench/send_bench.py
"""
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

from http_bench import free_port, log_in, rss_mb, start_gunicorn, worker_pid
from imapclient import IMAPClient

ATTACHMENT_BYTES = 25_000_000
TIMEOUT = 300


def reset_peak(pid):
    """Make the worker's VmHWM its current RSS (Linux 4.0+)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _field(page, name):
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else ""


def _remove_sent(user, password, subject):
    with IMAPClient(os.environ["IMAP_HOST"], port=int(os.environ["IMAP_PORT"]), ssl=False,
                    timeout=TIMEOUT) as conn:
        conn.login(user, password)
        sizes = []
        for folder in ("INBOX", "Sent"):
            conn.select_folder(folder)
            found = conn.search(["SUBJECT", subject])
            if found:
                sizes += [v[b"RFC822.SIZE"] for v in conn.fetch(found, ["RFC822.SIZE"]).values()]
                conn.delete_messages(found)
                conn.expunge()
        return sizes


def measure_send(base, master):
    """Send a message with a 25 MB attachment through the worker of gunicorn `master`;
    returns the worker's RSS before and at its peak during the send, in MB."""
    user, browser = log_in(base)
    password = dict(item.split(":", 1) for item in os.environ["STACK_USERS"].split())[user]
    page = browser.get(f"{base}/mail/compose/", timeout=TIMEOUT).text
    draft = _field(page, "draft")
    identity = re.search(r'<option value="(\d+)"[^>]*selected', page).group(1)
    token = browser.cookies["csrftoken"]
    headers = {"Referer": f"{base}/mail/compose/", "X-CSRFToken": token}
    with tempfile.TemporaryFile() as data:
        data.write(os.urandom(ATTACHMENT_BYTES))
        data.seek(0)
        stored = browser.post(f"{base}/attachments/upload/", timeout=TIMEOUT, headers={
            **headers, "Accept": "application/json"}, data={"draft": draft},
            files={"file": ("bench.bin", data, "application/octet-stream")})
    if stored.status_code != 200:
        sys.exit(f"upload: HTTP {stored.status_code} {stored.text[:300]}")
    subject = f"Send bench {uuid.uuid4().hex[:12]}"
    pid = worker_pid(master)
    reset_peak(pid)
    before = rss_mb(pid)
    begin = time.perf_counter()
    response = browser.post(f"{base}/mail/compose/send/", timeout=TIMEOUT, headers=headers,
                            allow_redirects=False, data={
                                "draft": draft, "version": "0", "identity": identity,
                                "to": user, "subject": subject, "body": "Memory bench.",
                                "format": "text", "csrfmiddlewaretoken": token})
    seconds = time.perf_counter() - begin
    peak, after = rss_mb(pid, "VmHWM"), rss_mb(pid)
    if response.status_code != 302:
        sys.exit(f"send: HTTP {response.status_code} {response.text[-500:]}")
    # Wait for the delivery, so that the message can be removed and its size reported.
    deadline, sizes = time.monotonic() + 30, []
    while len(sizes) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        sizes += _remove_sent(user, password, subject)
    if not sizes:
        sys.exit(f"send: the message did not arrive (HTTP 302 to {response.headers['Location']})")
    result = {"attachment_bytes": ATTACHMENT_BYTES, "message_bytes": max(sizes, default=0),
              "seconds": round(seconds, 2), "rss_before_mb": round(before, 1),
              "rss_peak_mb": round(peak, 1), "rss_after_mb": round(after, 1),
              "rss_growth_mb": round(peak - before, 1)}
    print(f"\nsend of a {ATTACHMENT_BYTES / 1e6:.0f} MB attachment "
          f"({result['message_bytes'] / 1e6:.1f} MB message) in {seconds:.1f} s: worker RSS "
          f"{before:.0f} MB before, {peak:.0f} MB peak (+{peak - before:.0f} MB), "
          f"{after:.0f} MB after", flush=True)
    return result


def main():
    port = free_port()
    server = start_gunicorn(port, env={"WEB_CONCURRENCY": "1", "GUNICORN_MAX_REQUESTS": "0",
                                       "GUNICORN_TIMEOUT": str(TIMEOUT)})
    try:
        measure_send(f"http://127.0.0.1:{port}", server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
