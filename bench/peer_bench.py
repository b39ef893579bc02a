"""Heron side by side with Roundcube: the same Dovecot, the same mailbox, one run.

Roundcube is Debian's roundcube-core 1.6 in its best cache configuration (IMAP index cache
in memcached, the messages cache on, sessions in memcached, PHP's opcache on), served by
nginx and PHP-FPM: `bash deploy/peer/roundcube.sh up` starts it on 127.0.0.1:58301 (see
that script). Heron is one gunicorn worker with deploy/gunicorn.conf.py, started here on
a free loopback port (PEER_HERON_PORT picks one) unless PEER_HERON_URL names a running one.

Both caches are emptied first (Roundcube's memcached and the cache tables of its database;
Heron's `heron:*` keys in Redis, as big_bench's cold runs do), so that every run starts
alike and "first open" is a first open. Both log in as the bench account of PEER_SIZE
messages (bench/mailboxes.py; default the largest of BENCH_SIZES, 100,000), are warmed
(PEER_WARMUP rounds, unmeasured), then measured in rounds: in each round every request
below is made once, Roundcube's and Heron's of a pair one after the other, who goes first
alternating from round to round. PEER_RUNS rounds (default 30), but no longer than
PEER_SECONDS (default 120) once PEER_MIN_RUNS are done.

Pairs, what each browser asks for:
* list: Roundcube's list XHR (`_action=list&_remote=1`, with its X-Roundcube-Request
  token), against Heron's list fragment (the mail page with HX-Request, what its UI fetches
  to redraw the list) and its JSON list (/api/messages/);
* inbox page: Roundcube's mail page plus its list XHR (the page has no list of its own),
  against Heron's whole mail page;
* open: Roundcube's message page (`_action=show`) against Heron's message page, plus
  the body frame it holds when the body does not come in the page itself (a long one, or
  one allowed remote images); PEER_MESSAGES messages, in turn, each opened before (warm);
* reading pane: Roundcube's preview (`_action=preview&_framed=1`) against Heron's pane
  fragment (HX-Request, with the mail page's style nonce as its script sends it), plus
  its body frame on the same terms;
* first open: a message neither has opened before, a new one each round.
Only messages already marked read are opened, so neither client changes the mailbox under
the other's cache.

Beside the pairs, the same rounds time what Roundcube's list costs on the IMAP side alone,
as a new client: connect, LOGIN, SELECT INBOX, GETQUOTAROOT, LOGOUT (Heron keeps its
connection, with INBOX selected, between requests).

Time is what the client waits on loopback for the whole response, body included: the
request written and its answer read with http.client on a kept-alive connection, cookies
handled outside the timing (Wire; requests' own 0.4 ms a request left out). CPU is
the user+system time the servers' processes (Roundcube's PHP-FPM workers, Heron's gunicorn
worker; not nginx, Dovecot or memcached) spent per request. Writes bench/results/peer.json
and a section of bench/results/table.md between "peer bench" markers.
"""
import html
import http.client
import json
import math
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import mailboxes
import requests
from big_bench import SERVER_TIMING, Client, empty_cache
from http_bench import free_port, start_gunicorn, worker_pid

ROOT = Path(__file__).resolve().parent.parent
OUT_JSON = ROOT / "bench" / "results" / "peer.json"
TABLE = ROOT / "bench" / "results" / "table.md"
# The largest mailbox `make bench` made (BENCH_SIZES), unless PEER_SIZE says.
SIZE = int(os.environ.get("PEER_SIZE") or max(mailboxes.sizes_from(
    os.environ.get("BENCH_SIZES") or ",".join(map(str, mailboxes.SIZES)))))
RUNS = int(os.environ.get("PEER_RUNS", "30"))
MIN_RUNS = int(os.environ.get("PEER_MIN_RUNS", "8"))
WARMUP = int(os.environ.get("PEER_WARMUP", "3"))
SECONDS = float(os.environ.get("PEER_SECONDS", "120"))
MESSAGES = int(os.environ.get("PEER_MESSAGES", "5"))
RC_URL = os.environ.get("PEER_ROUNDCUBE_URL", "http://127.0.0.1:58301/")
RC_MEMCACHED = ("127.0.0.1", int(os.environ.get("PEER_MEMCACHED_PORT", "58303")))
PEER = ROOT / ".stack" / "peer"  # where deploy/peer/roundcube.sh keeps Roundcube's state
TIMEOUT = 120
FRAME = re.compile(r'class="mail-frame"[^>]* src="([^"]+)"')
NONCE = re.compile(r'<meta name="heron-style-nonce" content="([^"]+)">')
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
# (key, label, Roundcube's requests, Heron's requests, target ratio or None)
PAIRS = [
    ("list", "warm list page (fragment)", "rc_list", "heron_list", 5),
    ("list_json", "warm list page (JSON)", "rc_list", "heron_json", None),
    ("page", "inbox page, whole", "rc_page", "heron_page", None),
    ("open", "open a message", "rc_show", "heron_open", 2),
    ("pane", "open in the reading pane", "rc_preview", "heron_pane", None),
    ("first_open", "open a message first time", "rc_first", "heron_first", None),
]


def cpu_ms(pids):
    """User + system CPU of these processes so far, in ms."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total * TICK_MS


def children(master):
    """The pids whose parent is master (PHP-FPM's or gunicorn's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def empty_roundcube_cache():
    """Flush Roundcube's memcached (IMAP cache, sessions) and its messages cache."""
    with socket.create_connection(RC_MEMCACHED, timeout=10) as conn:
        conn.sendall(b"flush_all\r\n")
        if not conn.recv(64).startswith(b"OK"):
            sys.exit("Roundcube's memcached did not flush")
    with sqlite3.connect(PEER / "db" / "roundcube.db", timeout=30) as db:
        for table in ("cache_index", "cache_thread", "cache_messages"):
            db.execute(f"DELETE FROM {table}")  # noqa: S608 (names from this list)


def imap_session(user):
    """ms of what Roundcube's list asks of Dovecot besides its cache: a new connection,
    LOGIN, SELECT INBOX, GETQUOTAROOT, LOGOUT."""
    from imapclient import IMAPClient

    begin = time.perf_counter()
    conn = IMAPClient(os.environ["IMAP_HOST"], port=int(os.environ["IMAP_PORT"]),
                      ssl=os.environ.get("IMAP_SECURITY") == "ssl", timeout=TIMEOUT)
    if os.environ.get("IMAP_SECURITY") == "starttls":
        conn.starttls()
    conn.login(user, mailboxes.PASSWORD)
    conn.select_folder("INBOX")
    conn.get_quota_root("INBOX")
    conn.logout()
    return (time.perf_counter() - begin) * 1000


class Answer:
    """What a check and the callers read of a response: status, headers, body."""

    def __init__(self, response, body):
        self.status_code, self.headers, self.content = response.status, response.headers, body

    @property
    def text(self):
        return self.content.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.content)


class Wire:
    """The measured GETs of one browser: a kept-alive HTTP/1.1 connection per server,
    carrying the cookies of a requests session (its login) both ways.

    requests spends about 0.4 ms of its own per request on a loopback server (0.68 ms
    against 0.29 with http.client on a server that answers at once, 24 kB bodies): the
    same for Heron and Roundcube, it would be counted as theirs and squeeze every ratio.
    So the timed part is the request written and its whole answer read with http.client;
    cookies are read from the session before and stored into it after, untimed."""

    def __init__(self, http):
        self.http = http
        self.connections = {}  # (scheme, host:port) -> http.client.HTTPConnection

    def get(self, url, headers=None):
        """(ms, Answer) of one GET, its body read."""
        parts = urlsplit(url)
        asked = urllib.request.Request(url, headers={
            "User-Agent": self.http.headers.get("User-Agent", ""), "Accept": "*/*",
            **(headers or {})})
        self.http.cookies.add_cookie_header(asked)
        sent = dict(asked.header_items())
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        key = (parts.scheme, parts.netloc)
        while True:
            connection = self.connections.get(key)
            reused = connection is not None
            if connection is None:
                kind = http.client.HTTPSConnection if parts.scheme == "https" else \
                    http.client.HTTPConnection
                connection = self.connections[key] = kind(parts.netloc, timeout=TIMEOUT)
            try:
                begin = time.perf_counter()
                connection.request("GET", target, headers=sent)
                response = connection.getresponse()
                body = response.read()
                elapsed = (time.perf_counter() - begin) * 1000
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server had closed (as nginx does after
                # keepalive_requests), before any answer: a new one, the request timed
                # again. Anything else (a cut-off answer), or on a new connection, fails.
                connection.close()
                del self.connections[key]
                if not reused:
                    raise
                print(f"  (a kept-alive connection to {parts.netloc} was closed: "
                      "request sent again)", file=sys.stderr)
        self.http.cookies.extract_cookies(response, asked)
        return elapsed, Answer(response, body)


def timed(wire, url, check, headers=None):
    """(ms, response) of one GET through wire, its body read; exits when check(response)
    fails."""
    elapsed, response = wire.get(url, headers)
    if response.status_code != 200 or not check(response):
        sys.exit(f"GET {url}: HTTP {response.status_code}, unexpected answer: "
                 f"{response.text[:300]!r}")
    return elapsed, response


class Roundcube:
    """One browser logged in to Roundcube."""

    def __init__(self, base, user, password):
        self.base, self.user, self.http = base, user, requests.Session()
        self.wire = Wire(self.http)
        page = self.http.get(f"{base}?_task=login", timeout=TIMEOUT)
        found = re.search(r'name="_token" value="([^"]+)"', page.text)
        if found is None:
            sys.exit(f"no login form at {base}: HTTP {page.status_code}")
        answer = self.http.post(f"{base}?_task=login", timeout=TIMEOUT, allow_redirects=False,
                                data={"_token": found.group(1), "_task": "login",
                                      "_action": "login", "_timezone": "UTC", "_url": "",
                                      "_user": user, "_pass": password})
        if answer.status_code != 302 or "_task=mail" not in answer.headers.get("Location", ""):
            sys.exit(f"Roundcube login as {user} failed: HTTP {answer.status_code}")
        self.token = ""
        self.page()

    def page(self):
        ms, response = timed(self.wire, f"{self.base}?_task=mail&_mbox=INBOX",
                             lambda r: '"request_token":"' in r.text)
        self.token = re.search(r'"request_token":"([^"]+)"', response.text).group(1)
        return ms

    def list(self):
        return timed(self.wire, f"{self.base}?_task=mail&_action=list&_mbox=INBOX&_page=1"
                     "&_remote=1", lambda r: '"action":"list"' in r.text
                     and "add_message_row" in r.text,
                     headers={"X-Roundcube-Request": self.token})[0]

    def show(self, uid):
        return timed(self.wire, f"{self.base}?_task=mail&_action=show&_uid={uid}&_mbox=INBOX",
                     lambda r: 'id="messagebody"' in r.text)[0]

    def preview(self, uid):
        return timed(self.wire, f"{self.base}?_task=mail&_action=preview&_uid={uid}"
                     "&_mbox=INBOX&_framed=1", lambda r: 'id="messagebody"' in r.text)[0]


class Heron:
    """One browser logged in to Heron (big_bench's client); each request also notes the
    IMAP commands and server time its Server-Timing header declares."""

    def __init__(self, base, size):
        self.client = Client(base, size)
        self.client.log_in()
        self.base, self.http = base, self.client.http
        self.wire = Wire(self.http)
        self.calls = []  # (IMAP commands, server ms) of each request since cleared
        # What the mail page's script sends with a reading pane request, as a browser
        # would: the page's style nonce, which lets the pane hold its body (srcdoc).
        found = NONCE.search(self.get("/mail/")[1].text)
        self.pane_headers = {"HX-Request": "true",
                             **({"X-Heron-Style-Nonce": found.group(1)} if found else {})}

    def get(self, path, headers=None):
        ms, response = timed(self.wire, self.base + path, lambda r: True, headers)
        found = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
        if found:
            self.calls.append((int(found.group(1)), float(found.group(3) or 0)))
        return ms, response

    def with_frame(self, path, headers=None):
        """A message page or pane, plus the body frame it holds (an HTML message)."""
        ms, response = self.get(path, headers)
        frame = FRAME.search(response.text)
        if frame:
            ms += self.get(html.unescape(frame.group(1)))[0]
        return ms

    def messages(self, wanted):
        """Messages marked read (url, uid) from the top of INBOX, newest first: wanted of
        them, or what the first 20 pages hold."""
        found = []
        for page in range(1, 21):
            listing = self.get(f"/api/messages/?mailbox=INBOX&page={page}")[1].json()
            found += [(m["url"], m["uid"]) for m in listing["messages"]
                      if "\\Seen" in m["flags"]]
            if len(found) >= wanted or page >= listing["pages"]:
                break
        return found


def summary(times, cpu, imap, server):
    """Median and p90 time; CPU as a mean (the kernel counts it in 10 ms ticks); Heron's
    IMAP commands and server time (summed over a view's requests) as medians."""
    ordered = sorted(times)
    found = {"n": len(ordered), "median_ms": round(statistics.median(ordered), 1),
             "p90_ms": round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1),
             "cpu_ms": round(statistics.fmean(cpu), 1) if cpu else None}
    if imap:
        found.update(imap_commands=statistics.median(imap),
                     server_ms=round(statistics.median(server), 1))
    return found


def run(rc, heron, rc_pids, heron_pids):
    """Warm both, then the measured rounds; returns {name: (times, cpu times)}."""
    seen = heron.messages(MESSAGES + WARMUP + RUNS)
    warm, fresh = seen[:MESSAGES], seen[MESSAGES:]
    if len(fresh) < WARMUP + RUNS:
        sys.exit(f"only {len(seen)} read messages on INBOX's first pages")
    samples = {}

    def one(name, pids, call):
        heron.calls.clear()
        before = cpu_ms(pids())
        ms = call()
        if name:
            times, cpu, imap, server = samples.setdefault(name, ([], [], [], []))
            times.append(ms)
            if pids():
                cpu.append(cpu_ms(pids()) - before)
            if heron.calls:
                imap.append(sum(commands for commands, _ in heron.calls))
                server.append(sum(spent for _, spent in heron.calls))

    def both(measured, rc_calls, heron_calls, rc_first):
        sides = [(rc_calls, rc_pids), (heron_calls, heron_pids)]
        for calls, pids in (sides if rc_first else sides[::-1]):
            for name, call in calls:
                one(measured and name, pids, call)

    for url, uid in warm:  # each message "open" measures is opened once before, by both
        rc.show(uid), rc.preview(uid), heron.with_frame(url)
    started, rounds = time.monotonic(), 0
    for index in range(WARMUP + RUNS):
        measured = index >= WARMUP
        if measured and rounds >= MIN_RUNS and time.monotonic() - started > SECONDS:
            break
        if index == WARMUP:
            started = time.monotonic()
        rc_first = index % 2 == 0
        url, uid = warm[index % len(warm)]
        first_url, first_uid = fresh[index]
        both(measured, [("rc_list", rc.list)], [("heron_list", lambda: heron.get(
            "/mail/", {"HX-Request": "true"})[0]), ("heron_json", lambda: heron.get(
                "/api/messages/?mailbox=INBOX&page=1")[0])], rc_first)
        both(measured, [("rc_page", lambda: rc.page() + rc.list())],
             [("heron_page", lambda: heron.get("/mail/")[0])], rc_first)
        both(measured, [("rc_show", lambda: rc.show(uid))],
             [("heron_open", lambda: heron.with_frame(url))], rc_first)
        both(measured, [("rc_preview", lambda: rc.preview(uid))],
             [("heron_pane", lambda: heron.with_frame(url, heron.pane_headers))], rc_first)
        both(measured, [("rc_first", lambda: rc.show(first_uid))],
             [("heron_first", lambda: heron.with_frame(first_url))], rc_first)
        one(measured and "imap_session", lambda: [], lambda: imap_session(rc.user))
        rounds += measured
    return {name: summary(*values) for name, values in samples.items()}, rounds


def versions():
    def package(name):
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", name],
                              capture_output=True, text=True).stdout
    return {"roundcube-core": package("roundcube-core"), "php8.2-fpm": package("php8.2-fpm"),
            "memcached": package("memcached"), "dovecot-core": package("dovecot-core")}


def table(results):
    lines = ["<!-- peer bench -->", "",
             f"**Side by side with Roundcube** {results['when']}: {results['account']} "
             f"({results['messages']:,} messages in INBOX), Roundcube "
             f"{results['versions']['roundcube-core']} (memcached IMAP cache, messages cache, "
             "PHP-FPM + opcache) against one Heron gunicorn worker; requests alternating in "
             f"one run, {results['rounds']} rounds; median / p90 ms, the servers' CPU ms per "
             "request (mean) in brackets; Heron's server time and IMAP commands from its "
             "Server-Timing header. Ratio: Roundcube's median over Heron's "
             "(bench/peer_bench.py). Roundcube logs in to IMAP on every request.", "",
             "| view | Roundcube | Heron | ratio | target | Heron server ms (IMAP cmds) |",
             "|---|---|---|---|---|---|"]
    for row in results["pairs"].values():
        rc, heron = row["roundcube"], row["heron"]
        target = f"≥ {row['target']}x: {'met' if row['met'] else 'not met'}" \
            if row["target"] else ""
        lines.append(f"| {row['label']} | {rc['median_ms']:g} / {rc['p90_ms']:g} "
                     f"({rc['cpu_ms']}) | {heron['median_ms']:g} / {heron['p90_ms']:g} "
                     f"({heron['cpu_ms']}) | {row['ratio']:g}x | {target} | "
                     f"{heron.get('server_ms', '?')} ({heron.get('imap_commands', '?')}) |")
    lines += ["", IMAP_NOTE.format(**results["imap_session"]), "", "<!-- /peer bench -->"]
    return "\n".join(lines) + "\n"


IMAP_NOTE = ("Of Roundcube's list, on the IMAP side alone (a new connection, LOGIN, SELECT "
             "INBOX, GETQUOTAROOT, LOGOUT, timed in the same rounds): {median_ms:g} / "
             "{p90_ms:g} ms.")


def write_table(section):
    """Put the section into table.md in place of an earlier one, or at its end."""
    text = TABLE.read_text() if TABLE.exists() else ""
    pattern = re.compile(r"<!-- peer bench -->.*?<!-- /peer bench -->\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text + ("\n" if text and not text.endswith("\n\n") else "") + section
    TABLE.parent.mkdir(exist_ok=True)
    TABLE.write_text(text)


def measure(heron_base, heron_master):
    user = mailboxes.account(SIZE)
    if (PEER / "db" / "roundcube.db").exists():  # the Roundcube of roundcube.sh
        empty_roundcube_cache()
    empty_cache()
    rc = Roundcube(RC_URL, user, mailboxes.PASSWORD)
    heron = Heron(heron_base, SIZE)
    php_fpm = PEER / "php-fpm.pid"  # Roundcube's CPU is known when it runs here
    rc_workers = children(int(php_fpm.read_text())) if php_fpm.exists() else []
    heron_workers = [worker_pid(heron_master)] if heron_master else []
    total = heron.get("/api/messages/?mailbox=INBOX&page=1")[1].json()["total"]
    print(f"{user}: {total:,} messages; Roundcube {RC_URL}, Heron {heron_base}; "
          f"up to {RUNS} rounds after {WARMUP} to warm up", flush=True)
    stats, rounds = run(rc, heron, lambda: rc_workers, lambda: heron_workers)
    pairs = {}
    for key, label, rc_name, heron_name, target in PAIRS:
        ratio = round(stats[rc_name]["median_ms"] / stats[heron_name]["median_ms"], 2)
        pairs[key] = {"label": label, "roundcube": stats[rc_name], "heron": stats[heron_name],
                      "ratio": ratio, "target": target,
                      "met": None if target is None else ratio >= target}
    return {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "account": user, "messages": total, "rounds": rounds, "versions": versions(),
            "roundcube_url": RC_URL, "imap_session": stats["imap_session"],
            "settings": {"runs": RUNS, "min_runs": MIN_RUNS, "warmup": WARMUP,
                         "seconds": SECONDS, "messages_opened": MESSAGES},
            "pairs": pairs}


def main():
    if mailboxes.read_marker(SIZE) is None:
        sys.exit(f"no bench mailbox of {SIZE} messages: run bench/mailboxes.py first")
    mailboxes.ensure_users([SIZE])  # up.sh may have rewritten Dovecot's passwd-file since
    try:
        requests.get(RC_URL, timeout=5)
    except requests.RequestException:
        sys.exit(f"Roundcube does not answer on {RC_URL}: bash deploy/peer/roundcube.sh up")
    started = time.monotonic()
    if os.environ.get("PEER_HERON_URL"):
        results = measure(os.environ["PEER_HERON_URL"].rstrip("/"), None)
    else:
        port = int(os.environ.get("PEER_HERON_PORT") or free_port())
        with tempfile.TemporaryFile() as log:
            server = start_gunicorn(port, env={"WEB_CONCURRENCY": "1",
                                               "GUNICORN_MAX_REQUESTS": "0"}, log=log)
            try:
                results = measure(f"http://127.0.0.1:{port}", server.pid)
            except BaseException:
                log.seek(0)
                print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
                raise
            finally:
                server.terminate()
                server.wait(timeout=30)
    results["seconds"] = round(time.monotonic() - started)
    print(f"\n{'view':28} {'Roundcube ms':>15} {'Heron ms':>15} {'ratio':>7}  target")
    for row in results["pairs"].values():
        rc, heron = row["roundcube"], row["heron"]
        target = f"≥ {row['target']}x {'met' if row['met'] else 'NOT met'}" \
            if row["target"] else ""
        print(f"{row['label']:28} {rc['median_ms']:>7} / {rc['p90_ms']:<7}"
              f"{heron['median_ms']:>7} / {heron['p90_ms']:<7}{row['ratio']:>6}x  {target}")
    print(IMAP_NOTE.format(**results["imap_session"]))
    OUT_JSON.parent.mkdir(exist_ok=True)
    OUT_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    write_table(table(results))
    print(f"\nwritten bench/results/peer.json and a section of bench/results/table.md "
          f"({results['seconds']} s)")


if __name__ == "__main__":
    main()
