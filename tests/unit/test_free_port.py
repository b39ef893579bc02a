"""The ports tests start their own servers on (tests.helpers.free_port)."""
import itertools
import socket

import pytest

from tests import helpers


@pytest.fixture(autouse=True)
def own_bookkeeping(monkeypatch):
    # The run's own ports still to hand out are left as they were for the tests that follow.
    monkeypatch.setattr(helpers, "_own_ports", iter(helpers.OWN_PORTS))


def test_ports_asked_for_one_after_another_differ_before_any_is_bound():
    # Two frontends started one after the other ask before either binds: the kernel's
    # bind-to-0 handed both the same port once the stack reserved 51000-59999.
    ports = [helpers.free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(port in helpers.OWN_PORTS for port in ports)


def test_a_port_something_listens_on_is_never_handed_out(monkeypatch):
    busy = helpers.free_port()
    # Offered again first, now that something listens on it.
    monkeypatch.setattr(helpers, "_own_ports", itertools.chain([busy], helpers._own_ports))
    with socket.create_server(("127.0.0.1", busy)):
        given = {helpers.free_port() for _ in range(len(helpers.OWN_PORTS) - 50)}
    assert busy not in given
