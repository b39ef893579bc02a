"""Production settings pass `manage.py check --deploy`; development keeps plain http working;
the deploy/ configs parse."""
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "mail.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://mail.example.org",
    "TRUSTED_PROXIES": "127.0.0.1",
}
_SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in (
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "SECURE_REDIRECT_EXEMPT", "LOG_FORMAT")}))
"""


def _clean_env(**values):
    """The environment of a fresh server: none of the stack's or this shell's settings."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(DJANGO_SETTINGS_MODULE="webmail.settings", **values)
    return env


def _run(args, **env):
    return subprocess.run(args, cwd=ROOT, env=_clean_env(**env), capture_output=True, text=True,
                          timeout=120)


def _settings(**env):
    done = _run([sys.executable, "-c", _SHOW_SETTINGS], **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_production_settings_pass_check_deploy_without_warnings():
    done = _run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                **PRODUCTION)
    assert done.returncode == 0, done.stdout + done.stderr


def test_production_is_https_only_behind_nginx():
    found = _settings(**PRODUCTION)
    assert found["SESSION_COOKIE_SECURE"] and found["CSRF_COOKIE_SECURE"]
    assert found["SECURE_SSL_REDIRECT"] and found["SECURE_HSTS_SECONDS"] >= 180 * 24 * 3600
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # Probes and the scraper talk to a frontend directly over http.
    assert {"^healthz$", "^readyz$", "^metrics$"} <= set(found["SECURE_REDIRECT_EXEMPT"])
    assert found["LOG_FORMAT"] == "json"


def test_make_run_stays_on_plain_http():
    found = _settings(DEBUG="1")
    assert not found["SESSION_COOKIE_SECURE"] and not found["CSRF_COOKIE_SECURE"]
    assert not found["SECURE_SSL_REDIRECT"] and not found["SECURE_HSTS_SECONDS"]
    assert found["SECURE_PROXY_SSL_HEADER"] is None
    assert found["LOG_FORMAT"] == "text"


def test_a_site_served_over_http_does_not_get_secure_cookies():
    found = _settings(DEBUG="0", ALLOWED_HOSTS="127.0.0.1",
                      CSRF_TRUSTED_ORIGINS="http://127.0.0.1:8080")
    assert not found["SESSION_COOKIE_SECURE"] and not found["SECURE_SSL_REDIRECT"]


def test_a_malformed_metrics_network_stops_start_up_with_its_name():
    done = _run([sys.executable, "-c", _SHOW_SETTINGS], METRICS_ALLOWED_IPS="10.0.0.0/33")
    assert done.returncode != 0 and "METRICS_ALLOWED_IPS" in done.stderr


def test_the_gunicorn_config_loads(tmp_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    done = _run([str(gunicorn), "--check-config", "-c", "deploy/gunicorn.conf.py",
                 "webmail.wsgi"], WEB_CONCURRENCY="3", GUNICORN_BIND="127.0.0.1:8123",
                PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
                SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_worker_leaves_what_it_loaded_out_of_the_full_collections(tmp_path):
    # gunicorn calls post_worker_init once the worker has loaded the app; what is alive
    # then is frozen, so a full collection during a request no longer walks all of it.
    script = (
        "import gc, runpy\n"
        "conf = runpy.run_path('deploy/gunicorn.conf.py')\n"
        "import django; django.setup()\n"
        "import webmail.wsgi\n"
        "assert gc.get_freeze_count() == 0\n"
        "conf['post_worker_init'](None)\n"
        "print(gc.get_freeze_count(), len(gc.get_objects(generation=2)))\n")
    done = _run([sys.executable, "-c", script], SECRET_KEY=PRODUCTION["SECRET_KEY"],
                PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
                HERON_IMAP_SLOTS_DIR=str(tmp_path / "slots"))
    assert done.returncode == 0, done.stdout + done.stderr
    frozen, left_in_the_oldest = map(int, done.stdout.split())
    assert frozen > 50_000
    assert left_in_the_oldest < frozen / 100


@pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"),
                    reason="nginx and openssl are needed to check deploy/nginx.conf")
def test_the_production_nginx_config_is_valid(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=mail.example.org", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    # Only what names this machine changes: the certificate, and files nginx would write.
    config = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", config)
    config = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", config)
    config = re.sub(r"^pid\s+\S+;", f"pid {tmp_path}/nginx.pid;", config, flags=re.M)
    config = re.sub(r"^user\s+\S+;", "", config, flags=re.M)
    config = re.sub(r"(error_log|access_log)\s+/var/log/nginx/", rf"\1 {tmp_path}/", config)
    copy = tmp_path / "nginx.conf"
    copy.write_text(config)
    done = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-e", str(tmp_path / "err.log"),
                           "-c", str(copy)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_production_without_its_own_secret_key_refuses_to_start():
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    done = _run([sys.executable, "-c", _SHOW_SETTINGS], **env)
    assert done.returncode != 0 and "SECRET_KEY must be set" in done.stderr
