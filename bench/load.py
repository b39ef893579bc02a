"""Capacity: many simulated users browsing Heron through nginx, with one frontend and three.

Needs `make cluster` (CLUSTER_FRONTENDS in .stack/env). For each frontend count it starts
its own nginx on a free loopback port with that many of the cluster's frontends as
upstreams, then runs LOAD_USERS simulated users for LOAD_SECONDS: each logs in as one of
the stack's users and loops over the inbox page, a list page in JSON, a message, and the
folder list, with no think time. Reports requests per second, latency percentiles, the
error count (any status >= 400 or a failed connection) and the frontends' own CPU per
request (their gunicorn workers' user + system time from /proc over the run, divided by the
requests served; the load generator, nginx and the stack are not counted), and writes
bench/results/load.json. Bounded: the duration, the user count and each request's timeout.
"""
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from http_bench import free_port

ROOT = Path(__file__).resolve().parent.parent
USERS = int(os.environ.get("LOAD_USERS", "24"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))
TIMEOUT = 15
# LOAD_FRONTEND_COUNTS="1" runs only the one-frontend case.
COUNTS = [int(n) for n in os.environ.get("LOAD_FRONTEND_COUNTS", "1,3").split(",") if n.strip()]
NGINX = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    upstream heron {{ {servers} keepalive 32; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://heron;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Request-ID $request_id;
        }}
    }}
}}
"""


def start_nginx(frontends):
    tmp = Path(tempfile.mkdtemp(prefix="heron-load-"))
    port = free_port()
    servers = " ".join(f"server {url.split('://', 1)[1]};" for url in frontends)
    (tmp / "nginx.conf").write_text(NGINX.format(tmp=tmp, servers=servers, port=port))
    subprocess.run(["nginx", "-c", str(tmp / "nginx.conf"), "-p", str(tmp)], check=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(50):
        try:
            requests.get(f"{url}/healthz", timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    return url, tmp


def stop_nginx(tmp):
    subprocess.run(["nginx", "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-s", "stop"],
                   check=False)
    time.sleep(0.3)
    shutil.rmtree(tmp, ignore_errors=True)


def _stat(pid):
    """(ppid, utime + stime, cutime + cstime) of a process in clock ticks, or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _listeners(port):
    """Pids of the processes holding the socket that listens on 127.0.0.1:port."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":  # 0A: LISTEN
            inodes.add(f"socket:[{fields[9]}]")
    pids = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in inodes for fd in fd_dir.iterdir()):
                pids.add(int(fd_dir.parent.name))
        except OSError:
            continue
    return pids


def frontend_cpu_seconds(frontends):
    """CPU seconds the gunicorn workers of these frontends have used so far: each master's
    living children, plus what its reaped children used (a worker recycled during the run
    still counts). The masters' own time is not serving requests and is left out."""
    ticks = 0
    for url in frontends:
        pids = _listeners(int(url.rsplit(":", 1)[1]))
        stats = {pid: _stat(pid) for pid in pids}
        for pid, stat in stats.items():
            if stat is None:
                continue
            ppid, own, reaped = stat
            ticks += reaped if ppid not in stats else own
    return ticks / os.sysconf("SC_CLK_TCK")


def log_in(base, user, password):
    browser = requests.Session()
    browser.get(f"{base}/accounts/login/", timeout=TIMEOUT)
    answer = browser.post(f"{base}/accounts/login/", timeout=TIMEOUT, allow_redirects=False,
                          data={"username": user, "password": password,
                                "csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")})
    if answer.status_code != 302:
        raise SystemExit(f"login as {user} failed through {base}: {answer.status_code}")
    return browser


def simulated_user(base, browser, deadline, samples, errors, lock):
    pages = ["/mail/", "/api/messages/?page=1", "/api/mailboxes/"]
    urls = []
    while time.monotonic() < deadline:
        path = random.choice(pages + urls[:5]) if urls else random.choice(pages)
        started = time.perf_counter()
        try:
            answer = browser.get(base + path, timeout=TIMEOUT)
            failed = answer.status_code >= 400
            if path.startswith("/api/messages/") and not failed:
                urls = [m["url"] for m in answer.json().get("messages", [])]
        except (requests.RequestException, ValueError):
            failed = True
        elapsed = time.perf_counter() - started
        with lock:
            samples.append(elapsed)
            if failed:
                errors.append(path)


def run(base, users, frontends):
    accounts = list(users.items())
    browsers = [log_in(base, *accounts[n % len(accounts)]) for n in range(USERS)]
    samples, errors, lock = [], [], threading.Lock()
    cpu_before = frontend_cpu_seconds(frontends)
    started = time.monotonic()
    deadline = started + SECONDS
    threads = [threading.Thread(target=simulated_user,
                                args=(base, browser, deadline, samples, errors, lock))
               for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + TIMEOUT + 5)
    wall = time.monotonic() - started
    cpu = frontend_cpu_seconds(frontends) - cpu_before
    ordered = sorted(samples)

    def pct(p):
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return {"requests": len(samples), "errors": len(errors),
            "requests_per_second": round(len(samples) / wall, 1),
            "median_ms": round(1000 * statistics.median(ordered), 1) if ordered else None,
            "p90_ms": pct(0.90) if ordered else None, "p99_ms": pct(0.99) if ordered else None,
            "frontend_cpu_seconds": round(cpu, 2),
            "cpu_ms_per_request": round(1000 * cpu / len(samples), 2) if samples else None}


def main():
    frontends = os.environ.get("CLUSTER_FRONTENDS", "").split()
    if len(frontends) < 3:
        sys.exit("bench/load.py needs the cluster: run `make cluster`, then "
                 "`set -a; . .stack/env; set +a`.")
    users = dict(item.split(":", 1) for item in os.environ["STACK_USERS"].split())
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "system": platform.platform()},
               "users": USERS, "seconds": SECONDS, "runs": {}}
    for count in COUNTS:
        base, tmp = start_nginx(frontends[:count])
        try:
            results["runs"][f"{count} frontend{'s' if count > 1 else ''}"] = run(
                base, users, frontends[:count])
        finally:
            stop_nginx(tmp)
    out = ROOT / "bench" / "results" / "load.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{USERS} simulated users, {SECONDS:.0f} s each run, {os.cpu_count()} CPUs")
    print(f"{'':<14}{'req/s':>8}{'median':>9}{'p90':>9}{'p99':>9}{'errors':>8}"
          f"{'CPU/request':>14}")
    for name, run_result in results["runs"].items():
        print(f"{name:<14}{run_result['requests_per_second']:>8}{run_result['median_ms']:>7} ms"
              f"{run_result['p90_ms']:>6} ms{run_result['p99_ms']:>6} ms{run_result['errors']:>8}"
              f"{run_result['cpu_ms_per_request']:>11} ms")
    if any(r["errors"] for r in results["runs"].values()):
        sys.exit("errors under load")


if __name__ == "__main__":
    main()
