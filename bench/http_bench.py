"""Time Heron's hot pages over HTTP against the real stack.

Starts gunicorn on a free loopback port, logs in as the first stack user, then requests
each page BENCH_REQUESTS times (default 100, and never longer than BENCH_SECONDS per
page). Reports median, p95, and the IMAP commands and the CPU time per request that Heron's
Server-Timing header declares, and writes them to bench/results/latest.json.
"""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
IMAP_TIMING = re.compile(r'imap;desc="(\d+) IMAP commands"')
CPU_TIMING = re.compile(r'cpu;desc="CPU";dur=([\d.]+)')

PAGES = [
    ("inbox page 1 (HTML)", "/mail/"),
    ("inbox page 2 (HTML)", "/mail/?page=2"),
    ("folders (JSON)", "/api/mailboxes/"),
    ("inbox page 1 (JSON)", "/api/messages/?mailbox=INBOX&page=1"),
]


# Loopback ports for the servers the bench starts: inside the block deploy/stack/up.sh
# reserves from the kernel's ephemeral range, so no client socket takes one between the
# probe and the server's bind. (A bind to port 0 tends to land just past that block, where
# the kernel also puts many client sockets.) Apart from every port the stack and the test
# suite's own servers use.
BENCH_PORTS = range(56500, 57000)


def free_port():
    """A port of BENCH_PORTS nothing is bound to."""
    for port in BENCH_PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {BENCH_PORTS.start}-{BENCH_PORTS.stop - 1}")


def start_gunicorn(port, env=None, log=None):
    """gunicorn with deploy/gunicorn.conf.py on a loopback port, once it answers; env adds
    to the environment. Heron logs a line per request: to a file (log, or a temporary
    one), as a pipe nobody reads would fill and stall the server."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = log or tempfile.TemporaryFile()
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": WORKERS,
           **(env or {})}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen([str(gunicorn), "-c", "deploy/gunicorn.conf.py", "webmail.wsgi"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    process.kill()
    log.seek(0)
    sys.exit("gunicorn did not start: " + log.read().decode(errors="replace")[-4000:])


def worker_pid(master):
    """The pid of the master's one worker process."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            return int(stat.parent.name)
    sys.exit("no gunicorn worker found")


def rss_mb(pid, field="VmRSS"):
    """A process's resident memory in MB; field "VmHWM" gives its peak instead."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def log_in(base):
    user, password = os.environ["STACK_USERS"].split()[0].split(":", 1)
    browser = requests.Session()
    browser.get(f"{base}/accounts/login/", timeout=10)
    response = browser.post(f"{base}/accounts/login/", timeout=30, allow_redirects=False,
                            data={"username": user, "password": password,
                                  "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
                            headers={"Referer": f"{base}/accounts/login/"})
    if response.status_code != 302:
        sys.exit(f"login as {user} failed: HTTP {response.status_code} "
                 + " ".join(re.findall(r"role=.alert.[^>]*>\s*(?:<p>)?([^<]*)", response.text)))
    return user, browser


def measure(browser, url):
    timings, commands, cpus = [], [], []
    started = time.monotonic()
    for _ in range(REQUESTS):
        if time.monotonic() - started > SECONDS:
            break
        begin = time.perf_counter()
        response = browser.get(url, timeout=30)
        timings.append((time.perf_counter() - begin) * 1000)
        if response.status_code != 200:
            sys.exit(f"{url}: HTTP {response.status_code}")
        found = IMAP_TIMING.search(response.headers.get("Server-Timing", ""))
        commands.append(int(found.group(1)) if found else -1)
        cpu = CPU_TIMING.search(response.headers.get("Server-Timing", ""))
        cpus.append(float(cpu.group(1)) if cpu else -1.0)
    timings.sort()
    return {
        "requests": len(timings),
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        "imap_commands_median": statistics.median(commands),
        "cpu_median_ms": round(statistics.median(cpus), 1),
    }


def main():
    port = free_port()
    server = start_gunicorn(port)
    base = f"http://127.0.0.1:{port}"
    try:
        user, browser = log_in(base)
        results = {"user": user, "workers": WORKERS, "pages": {}}
        print(f"{'page':28} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'IMAP cmds':>10} "
              f"{'CPU ms':>7}")
        for label, path in PAGES:
            browser.get(base + path, timeout=30)  # warm the pooled IMAP connection
            row = measure(browser, base + path)
            results["pages"][label] = row
            print(f"{label:28} {row['requests']:>4} {row['median_ms']:>10} {row['p95_ms']:>8} "
                  f"{row['imap_commands_median']:>10} {row['cpu_median_ms']:>7}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    out = ROOT / "bench" / "results" / "latest.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
