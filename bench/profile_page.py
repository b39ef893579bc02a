"""CPU of warm pages in one process, with an optional profile: where a page's time goes.

    set -a; . .stack/env; set +a   # and your own DATABASE_URL / REDIS_URL
    PROFILE_PATHS="/mail/,/mail/message/99998/?mailbox=INBOX&at=2" \\
        .venv/bin/python bench/profile_page.py [RUNS] [profile]

Logs in as PROFILE_USER (a bench account of bench/mailboxes.py by default), requests each
path five times unmeasured, then RUNS times, and prints the median, first quartile and
least of the CPU each request's Server-Timing declares; with "profile", cProfile's table
of those runs too (PROFILE_SORT, PROFILE_TOP). The profile slows each call down about
twofold: read it for shares, not for times. Bounded by RUNS. A change watcher runs in a
thread of the process (PROFILE_WATCH=0: none), so that warm pages cost no IMAP command,
as on a site that runs one; its time is not in the requests' CPU (a thread's own).
"""
import cProfile
import logging
import os
import pstats
import re
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU = re.compile(r'cpu;desc="CPU";dur=([\d.]+)')


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    profiling = len(sys.argv) > 2 and sys.argv[2] == "profile"
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webmail.settings")
    import django
    django.setup()
    from django.test import Client
    logging.disable(logging.INFO)
    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/accounts/login/")
    answer = client.post("/accounts/login/", {
        "username": os.environ.get("PROFILE_USER", "bench100k@heron.test"),
        "password": os.environ.get("PROFILE_PASSWORD", "bench-pw")})
    if answer.status_code != 302:
        sys.exit("login failed: run bench/big_bench.py once (it adds the bench accounts)")
    stopping = threading.Event()
    if os.environ.get("PROFILE_WATCH", "1") != "0":
        from webmail.push import Watcher
        threading.Thread(target=Watcher().run, args=(stopping,), kwargs={"pulse": 0.2},
                         daemon=True).start()
        client.get(os.environ.get("PROFILE_PATHS", "/mail/").split(",")[0])
        time.sleep(3)  # the watcher connects and vouches
    for path in os.environ.get("PROFILE_PATHS", "/mail/").split(","):
        for _ in range(5):
            client.get(path)
        profile = cProfile.Profile() if profiling else None
        if profile:
            profile.enable()
        cpu = sorted(float(CPU.search(client.get(path)["Server-Timing"]).group(1))
                     for _ in range(runs))
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")) \
                .print_stats(int(os.environ.get("PROFILE_TOP", "60")))
        print(f"{path}: CPU median {statistics.median(cpu):.2f} ms, "
              f"p25 {cpu[len(cpu) // 4]:.2f}, least {cpu[0]:.2f} ({runs} runs)")
    stopping.set()


if __name__ == "__main__":
    main()
