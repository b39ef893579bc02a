"""deploy/gunicorn.conf.py as production runs it: a SIGTERM lets the request in flight
finish, and /metrics adds up every worker. Needs gunicorn only, not the service stack."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
GRACEFUL_SECONDS = 10


@pytest.fixture
def start_frontend(tmp_path):
    started = []

    def start(workers):
        port = free_port()
        env = {key: value for key, value in os.environ.items()
               if key not in ("DATABASE_URL", "DATABASE_REPLICA_URLS", "REDIS_URL", "S3_BUCKET",
                              "PROMETHEUS_MULTIPROC_DIR")}
        env.update(DEBUG="0", ALLOWED_HOSTS="127.0.0.1", SECRET_KEY="gunicorn-test-" + "k" * 50,
                   SQLITE_PATH=str(tmp_path / "db.sqlite3"), GUNICORN_BIND=f"127.0.0.1:{port}",
                   WEB_CONCURRENCY=str(workers), GUNICORN_GRACEFUL_TIMEOUT=str(GRACEFUL_SECONDS))
        log = open(tmp_path / f"gunicorn-{port}.log", "w+")
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "deploy/gunicorn.conf.py",
             "webmail.wsgi"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((process, log))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return process, port, url
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail("gunicorn did not start: " + log.read()[-2000:])
            time.sleep(0.2)

    yield start
    for process, log in started:
        if process.poll() is None:
            process.terminate()  # lets gunicorn remove its metrics folder
            try:
                process.wait(timeout=GRACEFUL_SECONDS + 5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()


def test_sigterm_lets_the_request_in_flight_finish(start_frontend):
    process, port, _url = start_frontend(workers=1)
    with socket.create_connection(("127.0.0.1", port), timeout=GRACEFUL_SECONDS) as client:
        # Half a request: the worker has taken the connection and waits for the rest.
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(1)
        process.send_signal(signal.SIGTERM)
        time.sleep(1)
        client.sendall(b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert answer.endswith(b'{"status": "ok"}')
    assert process.wait(timeout=GRACEFUL_SECONDS + 5) == 0


def test_metrics_add_up_every_worker(start_frontend):
    process, port, url = start_frontend(workers=3)
    # Three requests open at once: each sync worker holds one, so all three workers serve.
    clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
    for client in clients:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(1)
    for client in clients:
        client.sendall(b"Connection: close\r\n\r\n")
        with client:
            assert client.recv(100).startswith(b"HTTP/1.1 200 ")
    text = requests.get(f"{url}/metrics", timeout=5).text
    counted = [line.split()[-1] for line in text.splitlines() if line.startswith(
        'heron_requests_total{method="GET",status="200",view="healthz"}')]
    # One worker alone has seen at most two of them (and the start-up probe).
    assert counted == ["4.0"], text
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=GRACEFUL_SECONDS + 5) == 0
