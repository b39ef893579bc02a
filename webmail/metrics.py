"""/metrics: this frontend's Prometheus metrics, and the small functions that count them.

Counted: requests by view name (never the raw path) with their latency, IMAP commands and
their latency, reads of the shared cache (hit or miss), idle pooled IMAP connections, and
login attempts by outcome.

gunicorn runs several worker processes. When PROMETHEUS_MULTIPROC_DIR is set (deploy/
gunicorn.conf.py sets it before the workers start), prometheus-client keeps each worker's
values in files there and a scrape adds them up; otherwise (runserver, tests) the process's
own registry is served.

The endpoint is not public: it answers a client address in METRICS_ALLOWED_IPS (loopback
unless set) or a request carrying "Authorization: Bearer <METRICS_TOKEN>", and 404 to
anyone else.
"""
import hmac
import os
from ipaddress import IPv6Address, ip_address

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from accounts.client import client_ip, is_trusted_proxy

from .imap import hooks

REQUESTS = Counter(
    "heron_requests", "Requests answered, by view name, method and status.",
    ["view", "method", "status"])
REQUEST_SECONDS = Histogram(
    "heron_request_duration_seconds", "Time until a response starts, by view name.", ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
IMAP_SECONDS = Histogram(
    "heron_imap_command_duration_seconds",
    "IMAP commands sent and their time, by command (the IMAP layer's operation name); "
    "_count is the number of commands.", ["command"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15))
CACHE_LOOKUPS = Counter(
    "heron_cache_lookups", "Reads of the shared cache, by use and result (hit or miss).",
    ["use", "result"])
LOGIN_ATTEMPTS = Counter(
    "heron_login_attempts", "Login attempts, by outcome (success, bad_credentials, "
    "throttled, server_unavailable, unknown_domain).", ["outcome"])
POOL_CONNECTIONS = Gauge(
    "heron_imap_pool_connections", "Idle logged-in IMAP connections pooled by this frontend's "
    "live worker processes.", multiprocess_mode="livesum")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def view_name(request):
    """The URL name of the view that answered ("webmail:mailbox"), or "unmatched"."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else "unmatched"


def observe_request(request, response, seconds):
    view = view_name(request)
    method = request.method if request.method in _METHODS else "other"
    REQUESTS.labels(view, method, str(response.status_code)).inc()
    REQUEST_SECONDS.labels(view).observe(seconds)
    POOL_CONNECTIONS.set(_pool_size())


def _pool_size():
    return 0  # until install() connects the pool


def _queue_figures():
    return None  # until install() connects the queue


def install(pool_size, queue_figures=None):
    """Count what the mail core reports (through imap/hooks.py), and pool_size() after
    each request. Called from WebmailConfig.ready(): the core sits below this module and
    may not import it, and the pool belongs to webmail/mail.py, a service above it that
    this module may not import, so both are connected from the top."""
    global _pool_size, _queue_figures
    _pool_size = pool_size
    if queue_figures is not None:
        _queue_figures = queue_figures
    hooks.install(on_command=imap_command, on_cache_lookups=cache_lookups)


def imap_command(command, seconds):
    IMAP_SECONDS.labels(command).observe(seconds)


def cache_lookup(use, hit):
    """Count one read of the shared cache; use names what it was for ("quota")."""
    CACHE_LOOKUPS.labels(use, "hit" if hit else "miss").inc()


def cache_lookups(use, hits, misses):
    """Count the keys of one get_many: how many were found and how many were not."""
    if hits:
        CACHE_LOOKUPS.labels(use, "hit").inc(hits)
    if misses:
        CACHE_LOOKUPS.labels(use, "miss").inc(misses)


def login_attempt(outcome):
    LOGIN_ATTEMPTS.labels(str(outcome)).inc()


def exposition():
    """The metrics in Prometheus text format: every worker's when in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_QUEUE)


class _QueueCollector:
    """The task queue's state, read from the primary at each scrape: the same for every
    frontend, so it is not summed across worker processes."""

    def describe(self):
        return []

    def collect(self):
        try:
            figures = _queue_figures()
        except Exception:  # noqa: BLE001 - a scrape must not fail for want of the database
            figures = None
        if figures is None:
            return
        for name, value in figures.items():
            yield GaugeMetricFamily(f"heron_queue_{name}", QUEUE_HELP.get(name, name),
                                    value=value)


QUEUE_HELP = {
    "jobs_waiting": "Jobs in the task queue waiting to run, due or not.",
    "jobs_due": "Jobs whose time has come, not taken by a worker yet.",
    "oldest_due_seconds": "How long the oldest due job has waited (0 when none): a queue "
                          "no worker takes from grows it.",
    "jobs_running": "Jobs a worker has taken and not finished.",
    "jobs_failed_last_day": "Jobs that failed in the last 24 hours.",
    "held_waiting": "Held messages waiting for their time, being sent or filed.",
    "held_failures": "Held messages refused or perhaps sent, not yet taken back by their "
                     "user.",
}


_QUEUE = CollectorRegistry(auto_describe=False)
_QUEUE.register(_QueueCollector())


def allowed(request):
    """True for a bearer of METRICS_TOKEN or a client address in METRICS_ALLOWED_IPS."""
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "").encode()
        if hmac.compare_digest(sent, f"Bearer {token}".encode()):
            return True
    if ("HTTP_X_FORWARDED_FOR" in request.META
            and not is_trusted_proxy(request.META.get("REMOTE_ADDR", ""))):
        # Relayed by a proxy we do not trust (say nginx on this host without TRUSTED_PROXIES):
        # the peer address is the proxy's, so it says nothing about who is asking.
        return False
    address = client_ip(request)
    if address is None:
        return False
    address = ip_address(address)
    if isinstance(address, IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address.version == network.version and address in network
               for network in settings.METRICS_ALLOWED_IPS)


@never_cache
def metrics(request):
    if not allowed(request):
        raise Http404("No such page.")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
