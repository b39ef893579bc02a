"""Heron on big mailboxes: time and IMAP commands per view at 1,000, 10,000 and 100,000 messages.

Needs the stack and the bench accounts of bench/mailboxes.py (`make bench` runs both). Starts
one gunicorn worker with deploy/gunicorn.conf.py on a free loopback port (one worker, so
the pooled IMAP connection is reused and its memory is one process; never recycled during
the run), then for each size measures each view of VIEWS:

* cold: the mailbox cache emptied (every `heron:*` key in Redis; sessions live under
  `heron-s:` and survive) and a new login, so a new IMAP connection; BENCH_COLD runs;
* warm: the same view again on one logged-in session, after one unmeasured request;
  BENCH_WARM runs, stopping early (but not before BENCH_COLD runs) after
  BENCH_VIEW_SECONDS.

Cold is Heron's cold: Dovecot's indexes and the kernel's page cache stay as they are.

Time is what the client waits on loopback for the whole response, body included (for a
download, its last byte): Heron's server time plus a loopback round trip. Server time is
what Heron's Server-Timing header declares (app): until the response starts. IMAP commands
are what Heron's Server-Timing header declares (for a streamed download, those sent before
the body starts). "login" is the POST of the login form; its cold runs follow an emptied
cache, its warm ones do not. "inbox after new mail" is the inbox page right after another
IMAP client delivered a message and expunged the one it delivered before (so the mailbox
keeps its size): what a page costs when the folder changed under the cache; "search after
new mail" is the same for a search seen before. Then the worker's RSS is sampled every 50 ms
while the 100 MiB attachment in bench1k's folder "Big" downloads, and its peak RSS (VmHWM)
is read while it sends a message with a 25 MB attachment to the first stack user
(bench/send_bench.py).

Writes bench/results.json, bench/results/table.md and bench/results/latency.png.
"""
import html
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import mailboxes
import redis
import requests
import send_bench
from http_bench import free_port, rss_mb, start_gunicorn, worker_pid

ROOT = Path(__file__).resolve().parent.parent
# BENCH_OUT_DIR puts results.json, table.md and latency.png elsewhere (a partial run's).
OUT_JSON = Path(os.environ.get("BENCH_OUT_DIR") or ROOT / "bench") / "results.json"
OUT_DIR = Path(os.environ.get("BENCH_OUT_DIR") or ROOT / "bench" / "results")
COLD = int(os.environ.get("BENCH_COLD", "3"))
WARM = int(os.environ.get("BENCH_WARM", "20"))
VIEW_SECONDS = float(os.environ.get("BENCH_VIEW_SECONDS", "20"))
TIMEOUT = 120
SERVER_TIMING = re.compile(r'imap;desc="(\d+) IMAP commands";dur=([\d.]+)'
                           r'(?:, app;desc="server";dur=([\d.]+))?'
                           r'(?:, cpu;desc="CPU";dur=([\d.]+))?')
PART_LINK = re.compile(r'href="(/mail/message/\d+/part/[^"]+)" download')
INBOX = "/api/messages/?mailbox=INBOX"
# (label, how to find its URL from the targets of a mailbox); "login" is special.
VIEWS = [
    ("login", None),
    ("inbox page 1", lambda t: f"{INBOX}&page=1"),
    ("inbox page 1 (HTML)", lambda t: "/mail/"),
    ("deep page (last)", lambda t: f"{INBOX}&page={t['pages']}"),
    ("sort by sender", lambda t: f"{INBOX}&page=1&sort=from&order=asc"),
    ("inbox after new mail", lambda t: f"{INBOX}&page=1"),
    ("open a message", lambda t: t["message"]),
    ("search a word", lambda t: f"{INBOX}&q={mailboxes.SEARCH_WORD}"),
    ("search after new mail", lambda t: f"{INBOX}&q={mailboxes.SEARCH_WORD}"),
    ("folder list", lambda t: "/api/mailboxes/"),
    ("attachment download", lambda t: t["attachment"]),
]
# BENCH_VIEWS="inbox page 1,folder list" measures only those views (and no download or send).
ONLY = [label.strip() for label in os.environ.get("BENCH_VIEWS", "").split(",") if label.strip()]
VIEWS = [view for view in VIEWS if not ONLY or view[0] in ONLY]


# --- the client ------------------------------------------------------------------------------
class Client:
    """One browser: a requests session logged in to Heron as a bench account."""

    def __init__(self, base, size):
        self.base, self.user = base, mailboxes.account(size)
        self.http = requests.Session()
        self.last = None  # the last response, for what a view's URL needs from it

    def log_in(self):
        """POST the login form; returns (ms, IMAP commands, IMAP ms) of the POST."""
        self.http.get(f"{self.base}/accounts/login/", timeout=TIMEOUT)
        return self.get("/accounts/login/", method="POST", expect=302, data={
            "username": self.user, "password": mailboxes.PASSWORD,
            "csrfmiddlewaretoken": self.http.cookies["csrftoken"]})

    def log_out(self):
        self.get("/accounts/logout/", method="POST", expect=302,
                 data={"csrfmiddlewaretoken": self.http.cookies["csrftoken"]})

    def get(self, path, method="GET", expect=200, data=None):
        """(ms, IMAP commands, IMAP ms, server ms, CPU ms) of one request, the whole body
        read; -1 for what Heron's Server-Timing header does not declare."""
        begin = time.perf_counter()
        response = self.http.request(method, self.base + path, data=data, timeout=TIMEOUT,
                                     allow_redirects=False,
                                     headers={"Referer": f"{self.base}/accounts/login/"})
        elapsed = (time.perf_counter() - begin) * 1000
        if response.status_code != expect:
            sys.exit(f"{self.user} {method} {path}: HTTP {response.status_code}, not {expect}")
        self.last = response
        found = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
        if found is None:
            return elapsed, -1, -1.0, -1.0, -1.0
        return (elapsed, int(found.group(1)), float(found.group(2)), float(found.group(3) or -1),
                float(found.group(4) or -1))


# What the change watcher and the event stream keep (who is active, the watcher's vouch) is
# not a cache of mail: a cold view empties what Heron knows of the mailbox, not the fact
# that a watcher listens (deleting that would make it hang up and call again).
NOT_MAIL_STATE = re.compile(rb"heron:(\d+:)?heron:(vouch|events):|heron:events:")


def empty_cache():
    """Delete Heron's cache keys (KEY_PREFIX heron), not its sessions (heron-s), nor the
    change watcher's vouch and the users' presence (NOT_MAIL_STATE)."""
    store = redis.Redis.from_url(os.environ["REDIS_URL"])
    keys = [key for key in store.scan_iter(match="heron:*", count=1000)
            if not NOT_MAIL_STATE.match(key)]
    for start in range(0, len(keys), 1000):
        store.delete(*keys[start:start + 1000])


def targets(client):
    """What the views of this mailbox point at: page count, a message, an attachment."""
    client.get(f"{INBOX}&page=1")
    listing = client.last.json()
    messages = listing["messages"]
    opened = next(m for m in messages if "\\Seen" in m["flags"] and not m["has_attachments"])
    carrier = next(m for m in messages if m["has_attachments"])
    client.get(carrier["url"])
    links = PART_LINK.findall(client.last.text)
    if not links:
        sys.exit(f"no attachment link on {carrier['url']}")
    return {"pages": listing["pages"], "total": listing["total"], "message": opened["url"],
            "attachment": html.unescape(links[0])}


def summary(samples):
    times = sorted(s[0] for s in samples)
    servers = sorted(s[3] for s in samples)
    return {"n": len(times), "median_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[math.ceil(0.9 * len(times)) - 1], 1),
            "imap_commands": statistics.median(s[1] for s in samples),
            "imap_ms": round(statistics.median(s[2] for s in samples), 1),
            "server_median_ms": round(statistics.median(servers), 1),
            "server_p90_ms": round(servers[math.ceil(0.9 * len(servers)) - 1], 1),
            "cpu_median_ms": round(statistics.median(s[4] for s in samples), 1),
            "runs": [[round(ms, 1), commands] for ms, commands, *_ in samples]}


class Delivery:
    """Another IMAP client changing INBOX before each run of a view: it appends one new
    message and expunges the one it appended before, so each page view sees an arrival and
    an expunge and the mailbox keeps its size."""

    def __init__(self, size):
        from imapclient import IMAPClient
        sys.path.insert(0, str(ROOT))
        from webmail.imap.state import MailboxCache
        self.conn = IMAPClient(os.environ["IMAP_HOST"], port=int(os.environ["IMAP_PORT"]),
                               ssl=False, timeout=TIMEOUT)
        self.user = mailboxes.account(size)
        self.conn.login(self.user, mailboxes.PASSWORD)
        self.conn.select_folder("INBOX")
        self.last = None
        self.count = 0
        self.waited = 0  # deliveries a watcher was seen to report
        self.account = MailboxCache(os.environ["IMAP_HOST"], int(os.environ["IMAP_PORT"]),
                                    self.user).account  # its name in Heron's cache keys

    def __call__(self):
        heard = vouches(self.account)
        self.forget_last()
        self.count += 1
        when = datetime.now(timezone.utc)
        message = (f"From: Bench Sender <sender@bench.test>\r\nTo: {self.user}\r\n"
                   f"Subject: Arrival {self.count}\r\nDate: {when:%a, %d %b %Y %H:%M:%S +0000}\r\n"
                   f"Message-ID: <arrival-{self.count}-{time.time_ns()}@bench.test>\r\n\r\n"
                   "Delivered while the bench measures.\r\n").encode()
        answer = self.conn.append("INBOX", message)
        self.last = int(re.search(rb"APPENDUID \d+ (\d+)", answer).group(1))
        if heard and await_watcher(self.account, heard):
            self.waited += 1

    def forget_last(self):
        if self.last is not None:
            self.conn.select_folder("INBOX")
            self.conn.delete_messages([self.last])
            self.conn.uid_expunge([self.last])
            self.last = None

    def close(self):
        self.forget_last()
        self.conn.logout()


def vouches(account):
    """What a change watcher vouches for of account now (its record, raw), {} when none
    does (no watcher, or the record was just emptied with the cache)."""
    store = redis.Redis.from_url(os.environ["REDIS_URL"])
    return {key: store.get(key)
            for key in store.scan_iter(match=f"*heron:vouch:*:{account}", count=1000)}


def await_watcher(account, before, seconds=10.0, quiet=0.3):
    """Wait until a watcher reports the change just made (a record moves on) and then stays
    quiet for `quiet` seconds: the page measured next is what a user sees once the change
    is pushed, not a page served in the server's notification delay (~0.5 s in Dovecot),
    when Heron does not know of it yet. False when no report came in time (counted in the
    results as a delivery not reported)."""
    deadline = time.monotonic() + seconds
    while vouches(account) == before:
        if time.monotonic() > deadline:
            print(f"  (the watcher did not report a delivery within {seconds:.0f} s)", flush=True)
            return False
        time.sleep(0.01)
    last, still = vouches(account), time.monotonic()
    while time.monotonic() - still < quiet and time.monotonic() < deadline:
        time.sleep(0.02)
        now = vouches(account)
        if now != last:
            last, still = now, time.monotonic()
    return True


def measure_view(base, size, warm, path, before=lambda: None):
    cold = []
    for _ in range(COLD):
        before()
        empty_cache()
        fresh = Client(base, size)
        if path is None:
            cold.append(fresh.log_in())
        else:
            fresh.log_in()
            cold.append(fresh.get(path))
        fresh.log_out()
    runs = []
    if path is not None:
        warm.get(path)  # the unmeasured request that warms this view
    started = time.monotonic()
    while len(runs) < WARM and (len(runs) < COLD or time.monotonic() - started < VIEW_SECONDS):
        if path is None:
            other = Client(base, size)
            runs.append(other.log_in())
            other.log_out()
        else:
            before()
            runs.append(warm.get(path))
    return {"cold": summary(cold), "warm": summary(runs)}


def measure_size(base, size):
    warm = Client(base, size)
    warm.log_in()
    found = targets(warm)
    print(f"\n{mailboxes.account(size)}: {found['total']} messages in INBOX, "
          f"{found['pages']} pages", flush=True)
    print(f"  {'view':24} {'warm median/p90 ms':>19} {'cmds':>5}   {'cold median/p90 ms':>19} "
          f"{'cmds':>5}", flush=True)
    views = {}
    delivery = Delivery(size)
    for label, where in VIEWS:
        before = delivery if label.endswith("after new mail") else delivery.forget_last
        row = views[label] = measure_view(base, size, warm, where and where(found), before)
        if label == "search a word":
            row["matches"] = warm.last.json()["total"]
        w, c = row["warm"], row["cold"]
        print(f"  {label:24} {w['median_ms']:>9} / {w['p90_ms']:<7} {w['imap_commands']:>5}   "
              f"{c['median_ms']:>9} / {c['p90_ms']:<7} {c['imap_commands']:>5}", flush=True)
    delivery.close()
    warm.log_out()
    print(f"  deliveries: {delivery.count}, {delivery.waited} awaited until a watcher "
          "reported them", flush=True)
    return {"targets": found, "views": views, "mailbox": mailboxes.read_marker(size),
            "deliveries": {"made": delivery.count, "reported": delivery.waited}}


def measure_download(base, master):
    """RSS of the worker, sampled every 50 ms, while the 100 MiB attachment downloads."""
    size = min(mailboxes.SIZES)
    client = Client(base, size)
    client.log_in()
    client.get("/api/messages/?mailbox=Big&page=1")
    url = client.last.json()["messages"][0]["url"]
    client.get(url)
    link = html.unescape(PART_LINK.findall(client.last.text)[0])
    pid = worker_pid(master)
    before = rss_mb(pid)
    samples, done = [], threading.Event()

    def sample():
        while not done.is_set():
            samples.append(rss_mb(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    begin = time.perf_counter()
    received = 0
    try:
        with client.http.get(base + link, stream=True, timeout=TIMEOUT) as response:
            response.raise_for_status()
            for chunk in response.iter_content(1 << 20):
                received += len(chunk)
    finally:
        done.set()
        sampler.join()
    seconds = time.perf_counter() - begin
    after = rss_mb(pid)
    client.log_out()
    result = {"bytes": received, "seconds": round(seconds, 2),
              "mb_per_s": round(received / 1e6 / seconds, 1), "rss_before_mb": round(before, 1),
              "rss_peak_mb": round(max(samples + [after]), 1), "rss_after_mb": round(after, 1),
              "samples": len(samples)}
    result["rss_growth_mb"] = round(result["rss_peak_mb"] - before, 1)
    print(f"\n100 MiB attachment: {received / 2**20:.0f} MiB in {seconds:.1f} s; worker RSS "
          f"{before:.0f} MB before, {result['rss_peak_mb']:.0f} MB peak, {after:.0f} MB after "
          f"({len(samples)} samples)", flush=True)
    return result


# --- the report ------------------------------------------------------------------------------
def machine():
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "")
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    system = dict(line.split("=", 1) for line in
                  Path("/etc/os-release").read_text().splitlines() if "=" in line)
    dovecot = subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout
    return {"cpu": cpu, "cpus": os.cpu_count(), "memory_gib": round(memory, 1),
            "os": system.get("PRETTY_NAME", "").strip('"'), "python": platform.python_version(),
            "dovecot": dovecot.split(" ")[0]}


def checks(results):
    sizes = results["sizes"]
    if ONLY and "inbox page 1" not in ONLY:
        return {}
    found = {"warm inbox page IMAP commands":
             {s: v["views"]["inbox page 1"]["warm"]["imap_commands"] for s, v in sizes.items()}}
    small, big = str(min(map(int, sizes))), str(max(map(int, sizes)))
    if small != big:
        ratio = (sizes[big]["views"]["inbox page 1"]["warm"]["median_ms"]
                 / sizes[small]["views"]["inbox page 1"]["warm"]["median_ms"])
        found[f"warm inbox page time {big}/{small}"] = round(ratio, 2)
    return found


def cell(stats):
    return f"{stats['median_ms']:g} / {stats['p90_ms']:g} ({stats['imap_commands']:g})"


def table(results):
    sizes = sorted(results["sizes"], key=int)
    heads = " | ".join(f"{int(s):,}" for s in sizes)
    lines = [f"Heron {results['when']} on {results['machine']['cpu']}, "
             f"{results['machine']['cpus']} CPUs, {results['machine']['memory_gib']} GiB; "
             "milliseconds median / p90 (IMAP commands), one gunicorn worker, loopback.", ""]
    for kind in ("warm", "cold"):
        lines += [f"**{kind}**", "", f"| view | {heads} |", "|---" * (len(sizes) + 1) + "|"]
        for label, _ in VIEWS:
            lines.append(f"| {label} | " + " | ".join(
                cell(results["sizes"][s]["views"][label][kind]) for s in sizes) + " |")
        lines.append("")
    lines += ["**server time, warm** (median / p90 ms, from Server-Timing: until the response "
              "starts)", "", f"| view | {heads} |", "|---" * (len(sizes) + 1) + "|"]
    for label, _ in VIEWS:
        lines.append(f"| {label} | " + " | ".join(
            "{server_median_ms:g} / {server_p90_ms:g}".format(
                **results["sizes"][s]["views"][label]["warm"]) for s in sizes) + " |")
    lines.append("")
    lines += ["**CPU per request, warm** (median ms of the worker's CPU time, from "
              "Server-Timing)", "", f"| view | {heads} |", "|---" * (len(sizes) + 1) + "|"]
    for label, _ in VIEWS:
        lines.append(f"| {label} | " + " | ".join(
            f"{results['sizes'][s]['views'][label]['warm'].get('cpu_median_ms', -1):g}"
            for s in sizes) + " |")
    lines.append("")
    lines += ["**of which IMAP, warm** (median ms, from Server-Timing)", "",
              f"| view | {heads} |", "|---" * (len(sizes) + 1) + "|"]
    for label, _ in (view for view in VIEWS if view[0] != "login"):
        lines.append(f"| {label} | " + " | ".join(
            f"{results['sizes'][s]['views'][label]['warm']['imap_ms']:g}" for s in sizes) + " |")
    lines.append("")
    built = [results["sizes"][s]["mailbox"].get("fts_index_s") for s in sizes]
    if any(seconds is not None for seconds in built):
        lines.append("Word searches go through Dovecot's full-text index (fts-xapian), built "
                     "once for each account in " + " / ".join(
                         "none" if seconds is None else f"{seconds:g} s" for seconds in built)
                     + " (bench/mailboxes.py); the cold search is Heron's cold, the index "
                     "already there.")
    else:
        lines.append("Word searches are Dovecot's reading of every message: the accounts "
                     "have no full-text index (HERON_BENCH_FTS=0, or a stack without one).")
    download = results.get("download_100mib")
    if download:
        lines.append(f"100 MiB attachment download: {download['seconds']} s "
                     f"({download['mb_per_s']} MB/s); worker RSS {download['rss_before_mb']} MB "
                     f"before, {download['rss_peak_mb']} MB peak, {download['rss_after_mb']} MB "
                     "after.")
    sent = results.get("send_25mb")
    if sent:
        lines.append(f"Sending a {sent['attachment_bytes'] / 1e6:g} MB attachment "
                     f"({sent['message_bytes'] / 1e6:.1f} MB message): {sent['seconds']} s; "
                     f"worker RSS {sent['rss_before_mb']} MB before, {sent['rss_peak_mb']} MB "
                     f"peak (+{sent['rss_growth_mb']} MB), {sent['rss_after_mb']} MB after.")
    return "\n".join(lines) + "\n"


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    sizes = sorted(results["sizes"], key=int)
    figure, axes = pyplot.subplots(1, 3, figsize=(17, 5))
    panels = (("warm", "median_ms", "warm: median time per view"),
              ("cold", "median_ms", "cold: median time per view"),
              ("warm", "cpu_median_ms", "warm: the worker's CPU per view"))
    for ax, (kind, figure_name, title) in zip(axes, panels):
        for label, _ in VIEWS:
            values = [results["sizes"][s]["views"][label][kind].get(figure_name) for s in sizes]
            commands = results["sizes"][sizes[-1]]["views"][label][kind]["imap_commands"]
            ax.plot([int(s) for s in sizes], [v if v and v > 0 else None for v in values],
                    marker="o", label=f"{label} ({commands:g} IMAP)")
        ax.set(xscale="log", yscale="log", xlabel="messages in the mailbox", title=title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("milliseconds (log scale)")
    axes[0].legend(fontsize="small", loc="upper left")  # the warm IMAP commands
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main():
    sizes = mailboxes.sizes_from(os.environ.get("BENCH_SIZES") or
                                 ",".join(map(str, mailboxes.SIZES)))
    missing = [s for s in sizes if mailboxes.read_marker(s) is None]
    if missing:
        sys.exit(f"no bench mailboxes of {missing} messages: run bench/mailboxes.py first")
    mailboxes.ensure_users(sizes)  # up.sh may have rewritten Dovecot's passwd-file since
    results = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": machine(), "settings": {"cold_runs": COLD, "warm_runs": WARM,
                                                  "view_seconds": VIEW_SECONDS,
                                                  "gunicorn_workers": 1}, "sizes": {}}
    port = free_port()
    started = time.monotonic()
    with tempfile.TemporaryFile() as log:
        server = start_gunicorn(port, env={"WEB_CONCURRENCY": "1",
                                           "GUNICORN_MAX_REQUESTS": "0"}, log=log)
        base = f"http://127.0.0.1:{port}"
        try:
            for size in sizes:
                results["sizes"][str(size)] = measure_size(base, size)
            if not ONLY:
                if min(mailboxes.SIZES) in sizes:
                    results["download_100mib"] = measure_download(base, server.pid)
                results["send_25mb"] = send_bench.measure_send(base, server.pid)
        except BaseException:
            log.seek(0)
            print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(timeout=30)
    results["checks"] = checks(results)
    results["seconds"] = round(time.monotonic() - started)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    OUT_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (OUT_DIR / "table.md").write_text(table(results))
    plot(results, OUT_DIR / "latency.png")
    print(f"\nchecks: {results['checks']}\nwritten {OUT_JSON}, {OUT_DIR / 'table.md'}, "
          f"{OUT_DIR / 'latency.png'} ({results['seconds']} s)")


if __name__ == "__main__":
    main()
