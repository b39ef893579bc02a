"""Arbitrary request values (any text, control characters, very long) at every form and
query parameter that reaches IMAP: never a 5xx, never a stray line on the wire.

Hypothesis draws the values; the run is derandomised (the same examples every run), so
a failure is found again by the next run rather than now and then. The requests go
through the recording proxy to the stack's Dovecot, logged in as bob.
"""
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import stack_account
from .test_injection_wire import PAYLOADS, canary_removed_at_the_end, wired  # noqa: F401


@pytest.fixture
def account(stack_users):
    """bob's account on the stack's Dovecot (the injection tests cover Cyrus too)."""
    return stack_account("dovecot", stack_users)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

DRAFT = uuid.uuid4().hex
NO_SUCH = f"NoSuchFolder-{uuid.uuid4().hex[:8]}"

# Any text: every code point but lone surrogates (which no request can carry).
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
VALUES = st.one_of(
    ANY_TEXT,
    st.text(st.characters(max_codepoint=0x1f), max_size=10),  # control characters only
    st.text(st.sampled_from('\r\n\x00 "\\{}()*%]'), max_size=20),  # IMAP's specials
    st.integers(-2**70, 2**70).map(str),
    st.sampled_from(PAYLOADS),
    st.builds(lambda text, n: text * n, ANY_TEXT.filter(bool), st.integers(500, 3000)),
)
GETS = [("/mail/", ("mailbox", "q", "scope", "where", "since", "until", "sort", "order",
                    "page", "threads", "unread")),
        ("/api/messages/", ("mailbox", "q", "page", "sort", "order", "since")),
        ("/api/poll/", ("mailbox",)),
        ("/mail/message/{uid}/", ("mailbox", "view", "at", "images", "sort")),
        ("/mail/message/{uid}/body/", ("mailbox", "view", "images")),
        ("/mail/message/{uid}/source/", ("mailbox", "download")),
        ("/mail/message/{uid}/part/1/", ("mailbox", "inline")),
        ("/mail/thread/{uid}/", ("mailbox",)),
        ("/mail/compose/", ("mailbox", "reply", "draft", "all", "to", "cc", "subject")),
        ("/mail/compose/reload/", ("key",)),
        ("/accounts/contacts/", ("q",))]
POSTS = [("/mail/actions/", {"action": "read", "mailbox": "INBOX"},
          ("mailbox", "uids", "picks", "target")),
         ("/mail/actions/", {"action": "move", "mailbox": NO_SUCH}, ("uids", "target")),
         ("/mail/folders/create/", {}, ("name", "parent")),
         ("/mail/folders/rename/", {"mailbox": NO_SUCH}, ("name",)),
         ("/mail/folders/rename/", {"name": "x"}, ("mailbox",)),
         ("/mail/folders/delete/", {}, ("mailbox",)),
         ("/mail/folders/subscribe/", {}, ("mailbox", "subscribed")),
         ("/mail/folders/empty/", {}, ("mailbox",)),
         ("/mail/compose/forward/", {"mailbox": "INBOX"}, ("uid", "mailbox", "as")),
         ("/mail/compose/save/", {"draft": DRAFT},
          ("to", "cc", "bcc", "subject", "body", "html", "format", "identity", "version",
           "in_reply_to", "references", "answers", "forwards")),
         ("/mail/compose/discard/", {}, ("draft",)),
         ("/mail/trust-sender/", {}, ("email", "next"))]


def _request(draw_from):
    """A strategy of (method, path, data): one endpoint, a subset of its parameters."""
    gets = st.sampled_from(GETS).flatmap(lambda entry: st.tuples(
        st.just("get"), st.just(entry[0]), st.just({}), st.dictionaries(
            st.sampled_from(entry[1]), draw_from, min_size=1, max_size=3)))
    posts = st.sampled_from(POSTS).flatmap(lambda entry: st.tuples(
        st.just("post"), st.just(entry[0]), st.just(entry[1]), st.dictionaries(
            st.sampled_from(entry[2]), draw_from, min_size=1, max_size=3)))
    return st.one_of(gets, posts)


def test_arbitrary_values_never_make_a_5xx_nor_reach_the_wire_raw(wired):
    """(The wired fixture checks the wire and the account when the test ends.)"""
    client, proxy, uid = wired
    failures = []

    @settings(max_examples=400, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(_request(VALUES))
    def one_request(request):
        method, path, fixed, values = request
        response = getattr(client, method)(path.format(uid=uid), {**fixed, **values})
        if response.status_code >= 500:
            failures.append((method, path, values, response.status_code))
        assert response.status_code < 500, (method, path, values)

    try:
        one_request()
    finally:
        client.post("/mail/compose/discard/", {"draft": DRAFT})
    assert not failures
    assert len(proxy.sent()) >= 1


@pytest.fixture
def login_client(client, settings):
    # Thousands of failed logins from one address: the throttle is not what is tested.
    settings.LOGIN_IP_FAILURES_BEFORE_LOCK = settings.LOGIN_FAILURES_BEFORE_LOCK = 10**6
    settings.LOGIN_FAILURES_BEFORE_DELAY = 10**6
    return client


def test_arbitrary_logins_never_make_a_5xx_nor_reach_the_wire_raw(wired, login_client):
    _client, proxy, _uid = wired
    login_client.logout()

    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(VALUES, VALUES.map(lambda text: f"bob@heron.test{text}"),
                     VALUES.map(lambda text: f"{text}@heron.test")), VALUES)
    def one_login(username, password):
        response = login_client.post("/accounts/login/", {"username": username,
                                                          "password": password})
        assert response.status_code == 200, (username, password)

    one_login()
