"""Frontends a cluster test starts for itself, next to the cluster, and an nginx of its own
before them (round robin); the test stops them all in a finally."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.cluster.conftest import ROOT
from tests.helpers import free_port

GUNICORN = Path(os.environ.get("PYTHON", ROOT / ".venv/bin/python")).parent / "gunicorn"


class Frontend:
    """One gunicorn of one release's code, in a process group of its own."""

    def __init__(self, name, code, port, env, logs, workers=2):
        self.name, self.url, self.log = name, f"http://127.0.0.1:{port}", logs / f"{name}.log"
        self.code = code
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "webmail.wsgi", "-c", str(code / "deploy/gunicorn.conf.py"),
                 "--chdir", str(code), "--name", f"heron-{name}", "--bind", f"127.0.0.1:{port}",
                 "--workers", str(workers), "--timeout", "60", "--graceful-timeout", "5"],
                cwd=code, env={**env, "HERON_FRONTEND_NAME": name}, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, deadline):
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited on start:\n{self.log.read_text()[-3000:]}")
            if answers(self.url, timeout=2):
                return
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name}: no /healthz:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)

    def errors(self, levels=("ERROR",)):
        """Its log's lines at these levels, and its tracebacks."""
        marks = [f'"level": "{level}"' for level in levels]
        return [line for line in self.log.read_text(errors="replace").splitlines()
                if "Traceback" in line or any(mark in line for mark in marks)]


NGINX_CONF = """
user root root;
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream frontends {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://frontends;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_next_upstream off;
        }}
    }}
}}
"""


def start_balancer(work, urls, deadline, port=None):
    """(nginx process, its URL): round robin over the frontends at urls, its files in work."""
    port = port or free_port()
    servers = "\n".join(f"        server {url.split('://', 1)[1]};" for url in urls)
    (work / "nginx.conf").write_text(NGINX_CONF.format(dir=work, port=port, servers=servers))
    nginx = subprocess.Popen(["nginx", "-p", f"{work}/", "-c", str(work / "nginx.conf"),
                              "-e", str(work / "nginx-error.log")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                             start_new_session=True)
    balancer = f"http://127.0.0.1:{port}"
    while not answers(balancer):
        if nginx.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"nginx did not start: {(work / 'nginx-error.log').read_text()}")
        time.sleep(0.1)
    return nginx, balancer


def stop_all(nginx, frontends):
    """Stop the balancer (None: never started) and the frontends."""
    if nginx is not None and nginx.poll() is None:
        nginx.terminate()
        nginx.wait(10)
    for frontend in frontends:
        frontend.stop()


def answers(url, timeout=1):
    try:
        return requests.get(f"{url}/healthz", timeout=timeout).ok
    except requests.RequestException:
        return False
