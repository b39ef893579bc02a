"""What nginx itself does in front of the frontends."""
import re

import pytest
import requests

from tests.cluster.conftest import CLUSTER_STATE, ROOT, eventually

pytestmark = pytest.mark.cluster


def test_static_files_are_served_by_the_balancer_itself(cluster_url):
    response = requests.get(f"{cluster_url}/static/css/heron.css", timeout=5)
    assert response.status_code == 200
    assert "X-Heron-Frontend" not in response.headers, "no frontend was asked"
    assert response.content == (ROOT / "staticfiles" / "css" / "heron.css").read_bytes()


def test_a_request_has_one_id_at_the_balancer_and_at_the_frontend(cluster_url):
    response = requests.get(f"{cluster_url}/healthz", timeout=5)
    rid = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid), rid
    access_log = CLUSTER_STATE / "nginx" / "access.log"
    eventually(lambda: f"rid={rid} " in access_log.read_text(), "nginx logged the same id",
               timeout=5)
