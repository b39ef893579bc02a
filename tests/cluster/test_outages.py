"""Redis or the storage going away: a clear answer instead of a crash, every frontend out
of the balancer's readiness, nothing saved lost, and service back when the part returns."""
import re

import pytest
import requests

from tests.cluster.conftest import ALICE, eventually, taken_away

pytestmark = pytest.mark.cluster
UNAVAILABLE = "Temporarily unavailable"


def readiness(url):
    response = requests.get(f"{url}/readyz", timeout=15)
    return response.status_code, response.json()["checks"]


def assert_not_ready_for(failing, frontend_urls, cluster_url):
    for url in [*frontend_urls, cluster_url]:
        status, checks = readiness(url)
        assert status == 503, f"{url}/readyz: {status} {checks}"
        assert set(checks) >= {"database", "cache", "storage"}
        assert checks[failing].startswith("failing"), checks
        assert all(value == "ok" for name, value in checks.items() if name != failing), checks


def wait_until_ready(frontend_urls):
    for url in frontend_urls:
        eventually(lambda url=url: readiness(url)[0] == 200, f"{url}/readyz answers 200 again")


def inbox_uids(person):
    response = person.get("/api/messages/")
    assert response.status_code == 200, response.text[:300]
    return [message["uid"] for message in response.json()["messages"]]


def assert_clear_error_page(response):
    assert response.status_code != 302, (
        f"a logged-in user was sent to {response.headers.get('Location')} as if logged out: "
        "the session store took Redis being down for an unknown session")
    assert response.status_code == 503, f"{response.status_code}: {response.text[:500]}"
    assert UNAVAILABLE in response.text, response.text[:500]
    assert "Traceback" not in response.text and "Server Error" not in response.text


def test_without_redis_pages_say_so_and_service_resumes_when_it_returns(
        all_frontends, frontend_urls, cluster_url, alice, saved_identity, stack_users):
    uids = inbox_uids(alice)
    with taken_away("redis"):
        for _ in all_frontends:
            assert_clear_error_page(alice.get("/mail/"))
        assert sorted(alice.frontends[-len(all_frontends):]) == all_frontends
        api = alice.get("/api/messages/")
        assert api.status_code == 503 and api.json()["error"], api.text[:300]
        assert_not_ready_for("cache", frontend_urls, cluster_url)

    wait_until_ready(frontend_urls)
    page = alice.get("/mail/")
    if page.status_code == 302:
        # The stack's Redis keeps nothing on disk: its sessions went with it.
        assert page.headers["Location"].startswith("/accounts/login/")
        alice.log_in(ALICE, stack_users[ALICE])
    else:
        assert page.status_code == 200, page.text[:300]
    assert inbox_uids(alice) == uids, "the mail is all there"
    assert saved_identity in alice.get("/accounts/settings/").text, "the settings are all there"


def test_without_storage_uploads_say_so_pages_work_and_uploads_resume(
        all_frontends, frontend_urls, cluster_url, alice):
    page = alice.get("/mail/compose/")
    draft = re.search(r'name="draft" value="([0-9a-f]{32})"', page.text).group(1)

    def upload():
        return alice.post("/attachments/upload/", {"draft": draft},
                          headers={"Accept": "application/json"},
                          files={"file": ("notes.txt", b"for the record\n", "text/plain")})

    with taken_away("s3"):
        refused = upload()
        assert refused.status_code == 503, refused.text[:300]
        assert "cannot be stored" in refused.json()["error"]
        for _ in all_frontends:
            shown = alice.get("/mail/")
            assert shown.status_code == 200, f"{shown.status_code}: {shown.text[:300]}"
        assert_not_ready_for("storage", frontend_urls, cluster_url)

    wait_until_ready(frontend_urls)
    stored = upload()
    assert stored.status_code == 200, stored.text[:300]
    [kept] = stored.json()["uploads"]
    assert kept["name"] == "notes.txt"
    assert alice.post(kept["delete_url"]).status_code == 200
