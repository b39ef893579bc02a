"""gunicorn settings for one Heron frontend: `gunicorn -c deploy/gunicorn.conf.py webmail.wsgi`.

Every knob comes from the environment (see docs/deploy.md); the defaults suit one frontend
on a machine of its own behind nginx.

On SIGTERM gunicorn stops accepting, lets each worker finish the request it is serving for
up to GUNICORN_GRACEFUL_TIMEOUT seconds, then exits 0; systemd's TimeoutStopSec must be
longer than that.
"""
import gc
import logging
import os
import shutil
import tempfile
from pathlib import Path

from gunicorn.glogging import Logger


def _env_int(name, default):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None


bind = [address.strip() for address in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
        if address.strip()]
# WEB_CONCURRENCY is gunicorn's own name for it. Each worker keeps its own pool of IMAP
# connections (up to IMAP_POOL_MAX), so more workers also means more connections.
workers = _env_int("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0)) + 1)
# With threads > 1 a worker serves several requests at once and its threads share one IMAP
# pool, which is what makes balancing on the session cookie pay off (see deploy/nginx.conf).
threads = _env_int("GUNICORN_THREADS", 1)
# gthread workers even with one thread: unlike sync workers they keep a connection open
# between requests, so nginx (upstream keepalive) and a client reuse it instead of opening
# one per request. Measured on a 2-core machine, one worker: a 5 kB page took 3.5-4.0 ms
# on loopback instead of 4.5, and 0.6 ms less of the worker's CPU. A kept-alive connection
# waits in the worker's poller, not in its thread. Idle longer than nginx keeps its own
# upstream connections (keepalive_timeout, 60 s by default), so that nginx, not gunicorn,
# closes an idle one: nginx never sends a request down a connection it is closing.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
keepalive = _env_int("GUNICORN_KEEPALIVE", 75)
# A worker silent this long is killed: longer than IMAP_TIMEOUT and SMTP_TIMEOUT together.
timeout = _env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Recycling a worker bounds slow leaks; it also drops that worker's pooled IMAP connections
# and its memos (kept pages and parts, the page memo), and a new worker costs about half a
# second of CPU to start, so not often: at 5,000 a worker serving 200 pages a second was
# replaced every 25 s. The jitter keeps workers from restarting all at once.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 50000)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0
# nginx sets X-Forwarded-Proto; believe it only from these addresses (gunicorn's own name).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The heartbeat file on tmpfs: a disk-backed /tmp can stall it and get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Several instances may run on one machine; each gets its control socket only when asked.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# Heron logs one structured line per request itself (without query strings), so gunicorn's
# access log stays off; gunicorn's own messages get the same line format as Heron's.
accesslog = None
errorlog = "-"


class QuietAccessLogger(Logger):
    """gunicorn's logger, but one that builds no access-log line while its access logger is
    off. gunicorn builds every request's fields (all its headers and environ) whenever a
    logging configuration is given, as below, and then drops them at the logger: about
    1.5 % of a worker's time under `make load`."""

    @property
    def access_log_enabled(self):
        return self.access_log.isEnabledFor(logging.INFO)


logger_class = QuietAccessLogger
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "webmail.logs.StructuredFormatter",
                                  "output": os.environ.get("LOG_FORMAT", "json") or "json"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "structured",
                            "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}

# Prometheus multiprocess mode: workers write their metrics to files in this folder and
# /metrics adds them up. It must be set before a worker imports prometheus_client, and be
# one folder per gunicorn instance, emptied at start.
# This file is read again on SIGHUP; the environment remembers a folder made the first time.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
else:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ["HERON_MADE_METRICS_DIR"] = (
        tempfile.mkdtemp(prefix="heron-metrics-", dir=worker_tmp_dir))


def on_starting(server):
    # Files left by an earlier run would be added to this one's totals.
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def post_worker_init(worker):
    # Once the worker has loaded Heron (Django, its apps, templates, catalogs: about 80,000
    # objects that live as long as the process), they leave the garbage collector's care.
    # Its full collections, every few hundred requests, walked all of them and stalled the
    # request they fell on: 24 and 45 ms in one side-by-side run of `make bench`, 11 ms
    # frozen. What requests make is collected as before.
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    # A dead worker's gauges must stop counting; its counters stay in the totals.
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


# The IMAP connection slots (webmail/imap/slots.py): one folder per gunicorn instance, so
# the workers of this frontend share HERON_IMAP_MAX_PER_USER connections per account. Made
# once; a reload (SIGHUP) and its new workers keep it, as the environment remembers it.
if not os.environ.get("HERON_IMAP_SLOTS_DIR"):
    os.environ["HERON_IMAP_SLOTS_DIR"] = os.environ["HERON_MADE_SLOTS_DIR"] = (
        tempfile.mkdtemp(prefix="heron-imap-slots-", dir=worker_tmp_dir))


def on_exit(server):
    made = os.environ.get("HERON_MADE_METRICS_DIR")
    if made and made == os.environ["PROMETHEUS_MULTIPROC_DIR"]:
        shutil.rmtree(made, ignore_errors=True)
    made = os.environ.get("HERON_MADE_SLOTS_DIR")
    if made and made == os.environ["HERON_IMAP_SLOTS_DIR"]:
        shutil.rmtree(made, ignore_errors=True)
