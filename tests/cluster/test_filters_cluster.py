"""Filters through the balancer: the rules live on the mail server and the vacation banner's
summary on the primary, so a rule saved through one frontend is listed by every other, and
the banner shows on every frontend at once, even while the replica lags."""
import os
import re

import pytest

from tests.cluster.conftest import ALICE
from tests.cluster.test_database import replay_paused
from webmail.sieve.client import SieveServer, open_sieve

pytestmark = pytest.mark.cluster
BANNER = "Your vacation reply is on until"


def version_in(page):
    return re.search(r'name="version" value="([0-9a-f]{64})"', page).group(1)


@pytest.fixture
def alice_scripts(stack_users):
    """Alice starts with no active script; afterwards her scripts are as they were."""
    server = SieveServer("127.0.0.1", int(os.environ["HERON_STACK_SIEVE_PORT"]), "none")

    def session():
        return open_sieve(server, ALICE, stack_users[ALICE], seconds=10)
    with session() as sieve:
        before = {info.name: info.active for info in sieve.list_scripts()}
        sieve.activate("")
    yield
    with session() as sieve:
        sieve.activate(next((name for name, on in before.items() if on), ""))
        for info in sieve.list_scripts():
            if info.name not in before:
                sieve.delete_script(info.name)


def test_a_rule_saved_through_one_frontend_is_listed_by_every_frontend(
        all_frontends, alice, alice_scripts, token):
    form = alice.get("/mail/filters/new/")
    assert form.status_code == 200, form.text[:300]
    saved = alice.post("/mail/filters/new/", {
        "version": version_in(form.text), "name": f"Cluster {token}", "enabled": "on",
        "match": "all", "cond_field": ["subject"], "cond_header": [""],
        "cond_op": ["contains"], "cond_value": [token], "action_kind": ["flag"],
        "action_folder": [""], "action_value": [""]})
    assert saved.status_code == 302, saved.text[:1000]
    pages = [alice.get("/mail/filters/") for _ in all_frontends]
    assert sorted(alice.frontends[-len(all_frontends):]) == all_frontends
    for page in pages:
        assert page.status_code == 200, page.text[:300]
        assert f"Cluster {token}" in page.text, f"{page.headers.get('X-Heron-Frontend')}"


def test_the_vacation_banner_shows_on_every_frontend_while_the_replica_lags(
        all_frontends, alice, alice_scripts, token):
    form = alice.get("/mail/filters/vacation/")
    assert form.status_code == 200, form.text[:300]
    try:
        with replay_paused():
            saved = alice.post("/mail/filters/vacation/", {
                "version": version_in(form.text), "enabled": "on", "first_day": "",
                "last_day": "2099-01-31", "subject": f"Away {token}",
                "message": "Back in a while.", "addresses": ALICE, "days": "1"})
            assert saved.status_code == 302, saved.text[:1000]
            pages = [alice.get("/mail/") for _ in all_frontends]
            assert sorted(alice.frontends[-len(all_frontends):]) == all_frontends
            for page in pages:
                assert BANNER in page.text, f"{page.headers.get('X-Heron-Frontend')}"
        off = alice.post("/mail/filters/vacation/off/", {})
        assert off.status_code == 302, off.text[:500]
        pages = [alice.get("/mail/") for _ in all_frontends]
        for page in pages:
            assert BANNER not in page.text, f"{page.headers.get('X-Heron-Frontend')}"
    finally:
        alice.post("/mail/filters/vacation/off/", {})
