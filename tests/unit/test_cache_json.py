"""What the shared cache holds is data: JSON with a shape version in every key, never a
pickle. Every cached type reads back as written; a value of another shape, or bytes that
are not JSON, reads as a miss and never raises."""
import dataclasses
import json
import os
import pickle
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils.safestring import SafeData
from django_redis.cache import RedisCache

from accounts import domains
from accounts import readahead as user_readahead
from accounts.models import Domain
from tests.helpers import make_summaries
from webmail import cachejson
from webmail import mail as mail_module
from webmail.cachejson import JSONSerializer, NotData, SessionSerializer
from webmail.imap import readahead, state
from webmail.imap.state import FolderState, MailboxCache
from webmail.imap.types import (
    Address,
    Mailbox,
    Message,
    MessageSummary,
    Outline,
    Part,
    Quota,
    ServerConfig,
)

ROOT = Path(__file__).resolve().parents[2]
STATE = FolderState(uidvalidity=7, uidnext=4000, exists=3000, modseq=55)


class JsonCache:
    """Django's cache API over a dict of bytes written by the JSON serializer, as Redis
    holds them: what does not survive JSON does not survive here either."""

    def __init__(self):
        self.data = {}
        self.serializer = JSONSerializer({})

    def set(self, key, value, timeout=None):
        self.data[key] = self.serializer.dumps(value)

    def add(self, key, value, timeout=None):
        if key in self.data:
            return False
        self.set(key, value)
        return True

    def get(self, key, default=None):
        raw = self.data.get(key)
        return default if raw is None else self.serializer.loads(raw)

    def set_many(self, values, timeout=None):
        for key, value in values.items():
            self.set(key, value)

    def get_many(self, keys):
        return {key: self.get(key) for key in keys if key in self.data}

    def delete(self, key):
        self.data.pop(key, None)

    def spoil(self, how):
        """Rewrite every stored value: how(value) -> new value, or bytes stored as they are."""
        for key, raw in list(self.data.items()):
            spoiled = how(json.loads(raw))
            self.data[key] = spoiled if isinstance(spoiled, bytes) else json.dumps(
                spoiled).encode()


@pytest.fixture
def shared(monkeypatch):
    kept = JsonCache()
    for module in (state, readahead, user_readahead, mail_module, domains):
        monkeypatch.setattr(module, "cache", kept)
    return kept


def _first_dict(value):
    if isinstance(value, dict):
        return value
    for item in value if isinstance(value, list) else ():
        found = _first_dict(item)
        if found is not None:
            return found
    return None


def _missing(value):
    found = _first_dict(value)
    found.pop(next(iter(found)))
    return value


def _extra(value):
    _first_dict(value)["later"] = 1
    return value


def _mistyped(value):
    found = _first_dict(value)
    name = next(iter(found))
    found[name] = 5 if isinstance(found[name], (str, list)) else "five"
    return value


SPOILERS = {
    "a field missing": _missing,
    "a field more": _extra,
    "a field of another type": _mistyped,
    "bytes that are not JSON": lambda value: b"\x80\x04\x95garbage",
    "a pickle of the older release": lambda value: pickle.dumps(value),
    "an empty value": lambda value: b"",
}

# --- what every cached type reads back as ---------------------------------------------


def _outline(uid=12):
    summary = make_summaries(1, start_uid=uid)[0]
    return Outline(
        summary=MessageSummary(**{**summary.__dict__, "flags": None}),
        cc=(Address("Cc", "cc@x.test"),), reply_to=(), message_id="<m@x>",
        in_reply_to="<p@x>", references="<p@x> <q@x>", single=False,
        parts=(Part("1", "text/plain", "", 10, "7bit", "utf-8", ""),
               Part("2", "image/png", "pic.png", 99, "base64", "", "inline", True, "pic1",
                    "1")),
        parts_total=300, too_deep=1)


def _folders():
    return [Mailbox("INBOX", "Inbox", "/", "inbox", 0, True, 3, 10),
            Mailbox("Projects/Heron", "Heron", "/", "", 1, False, 0, 0, "Projects")]


def test_a_folder_list_read_again_is_made_once_and_a_new_one_is_read_anew(shared,
                                                                          monkeypatch):
    """Each list written gets a stamp of its own: read again under that stamp it is the
    list this process already checked and made; a list written since (another stamp) is
    read and checked anew, so a change never hides behind the kept one."""
    kept = MailboxCache("imap.test", 143, "alice@heron.test")
    kept.keep_folders(_folders())
    assert kept.folders() == _folders()
    checks = []
    real_read = state.read
    monkeypatch.setattr(state, "read", lambda *args: checks.append(1) or real_read(*args))
    shown = kept.folders()
    assert shown == _folders() and checks == []
    shown.pop()  # a page's own copy: what is kept stays whole
    assert kept.folders() == _folders()
    changed = [dataclasses.replace(_folders()[0], unread=4), _folders()[1]]
    kept.keep_folders(changed)
    assert kept.folders() == changed and checks == [1]


def test_a_stamped_folder_list_of_another_shape_is_a_miss(shared):
    kept = MailboxCache("imap.test", 143, "alice@heron.test")
    shared.set(kept.folders_key, {"epoch": "", "stamp": "s1", "list": [{"name": "INBOX"}]})
    assert kept.folders() is None


def test_each_mailbox_cache_value_reads_back_as_it_was_kept(shared):
    kept = MailboxCache("imap.test", 143, "alice@heron.test")
    kept.keep_folders(_folders())
    assert kept.folders() == _folders()

    short, long = list(range(1, 40)), list(range(1, 2600))
    kept.keep_sorted("INBOX", STATE, "date", short)
    kept.keep_sorted("Sent", STATE, "date", long)
    assert kept.sorted("INBOX", STATE, "date").uids == short
    assert kept.sorted("Sent", STATE, "date").uids == long
    assert kept.sorted_window("Sent", STATE, "date", 21, 50) == (long[1000:1050], 2599, 21)
    assert kept.sorted_around("Sent", STATE, "date", 999) == long[998:1001]

    summaries = make_summaries(3)
    kept.keep_summaries("INBOX", STATE, summaries)
    assert kept.summaries("INBOX", STATE, [1, 2, 3, 4]) == {
        s.uid: MessageSummary(**{**s.__dict__, "flags": None}) for s in summaries}

    kept.keep_outlines("INBOX", STATE, [_outline()])
    assert kept.outlines("INBOX", STATE, [12]) == {12: _outline()}

    kept.keep_flags("INBOX", STATE, {1: ("\\Seen", "$Label1"), 2: ()})
    assert kept.flags("INBOX", STATE, [1, 2]) == {1: (55, ("\\Seen", "$Label1")), 2: (55, ())}


class _Mail:
    """What quota_for and shown_bodies ask of a MailSession."""

    def __init__(self):
        self.asked = 0

    def quota(self):
        self.asked += 1
        return Quota(used_kb=512, limit_kb=2048)

    def rendered_key(self, mailbox, uid, variant):
        return MailboxCache("imap.test", 143, "alice@heron.test").rendered_key(
            mailbox, 1, uid, variant)

    def with_bodies(self, messages):
        self.asked += len(messages)
        return messages


def _message():
    text = b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello there"
    body = Part("1", "text/plain", "", len(text), "7bit", "utf-8", "")
    return Message(uid=9, mailbox="INBOX", subject="", sender=Address("", "a@x.test"),
                   to=(), cc=(), reply_to=(), date=None, size=1, flags=(), body=body,
                   body_raw=text, body_truncated=False, attachments=(), parts=(body,),
                   too_deep=1)


def test_a_quota_and_a_shown_body_read_back_as_they_were_kept(shared):
    request, mail = SimpleNamespace(user=SimpleNamespace(username="alice@heron.test")), _Mail()
    assert mail_module.quota_for(request, mail) == Quota(512, 2048)
    assert mail_module.quota_for(request, mail) == Quota(512, 2048)
    first = mail_module.shown_body(mail, _message())
    again = mail_module.shown_body(mail, _message())
    assert again == first and first.notices, "notices are kept with the body"
    assert isinstance(again.html, SafeData), "a text body stays marked escaped"
    assert mail.asked == 2, "each was asked of the server once"


@pytest.mark.django_db
def test_a_domain_row_and_no_row_read_back_as_they_were_kept(shared, settings):
    Domain.objects.create(name="heron.test", imap_host="imap.heron.test", imap_port=993,
                          imap_security="ssl", smtp_host="smtp.heron.test", smtp_port=587,
                          smtp_security="starttls", active=False)
    expected = domains.MailServers(ServerConfig("imap.heron.test", 993, "ssl"),
                                   ServerConfig("smtp.heron.test", 587, "starttls"), False,
                                   ServerConfig("imap.heron.test", 4190, "starttls-if-offered"))
    assert domains.servers_for("a@heron.test") == expected
    assert domains.servers_for("a@heron.test") == expected  # from the cache
    settings.IMAP_HOST = "canary.test"
    assert domains.servers_for("a@elsewhere.test").imap.host == "canary.test"
    assert shared.get(domains._cache_key("elsewhere.test")) == "default"
    assert domains.servers_for("a@elsewhere.test").imap.host == "canary.test"


# --- another shape is a miss -------------------------------------------------------------

def test_a_summary_keeps_its_snippet_and_one_kept_without_is_a_miss(shared):
    kept = MailboxCache("imap.test", 143, "alice@heron.test")
    first, second = make_summaries(2)
    kept.keep_summaries("INBOX", STATE, [dataclasses.replace(first, snippet="Hi – ok")])
    assert kept.summaries("INBOX", STATE, [1])[1].snippet == "Hi – ok"
    # A summary as the release before wrote it (no snippet), under this shape's key.
    key = next(key for key in shared.data if key.startswith("heron:summary:"))
    assert f":v{state.SHAPES['summary']}:" in key and state.SHAPES["summary"] >= 2
    shared.set(key.rsplit(":", 1)[0] + ":2", {name: value for name, value in json.loads(
        shared.data[key]).items() if name != "p"})
    assert kept.summaries("INBOX", STATE, [2]) == {}


@pytest.mark.parametrize("spoil", SPOILERS.values(), ids=SPOILERS.keys())
def test_a_mailbox_cache_value_of_another_shape_is_a_miss(shared, spoil):
    kept = MailboxCache("imap.test", 143, "alice@heron.test")
    kept.keep_folders(_folders())
    kept.keep_sorted("INBOX", STATE, "date", list(range(1, 40)))
    kept.keep_sorted("Sent", STATE, "date", list(range(1, 2600)))
    kept.keep_summaries("INBOX", STATE, make_summaries(3))
    kept.keep_outlines("INBOX", STATE, [_outline()])
    kept.keep_flags("INBOX", STATE, {1: ("\\Seen",)})
    shared.spoil(spoil)

    assert kept.folders() is None
    assert kept.sorted("INBOX", STATE, "date") is None
    assert kept.sorted("Sent", STATE, "date") is None
    assert kept.sorted_window("Sent", STATE, "date", 1, 50) is None
    assert kept.summaries("INBOX", STATE, [1, 2, 3]) == {}
    assert kept.outlines("INBOX", STATE, [12]) == {}
    assert kept.flags("INBOX", STATE, [1]) == {}


@pytest.mark.parametrize("spoil", SPOILERS.values(), ids=SPOILERS.keys())
def test_a_quota_or_shown_body_of_another_shape_is_made_again(shared, spoil):
    request, mail = SimpleNamespace(user=SimpleNamespace(username="alice@heron.test")), _Mail()
    mail_module.quota_for(request, mail)
    first = mail_module.shown_body(mail, _message())
    shared.spoil(spoil)
    mail_module.forget_kept_bodies()  # as another process, which kept no body of its own
    assert mail_module.quota_for(request, mail) == Quota(512, 2048)
    assert mail_module.shown_body(mail, _message()) == first
    assert mail.asked == 4, "each was asked of the server again"


def test_a_body_shown_again_in_the_same_process_is_read_from_nowhere(shared):
    mail = _Mail()
    first = mail_module.shown_body(mail, _message())
    shared.data.clear()  # neither the shared cache...
    assert mail_module.shown_body(mail, _message()) == first
    assert mail.asked == 1, "...nor the server was asked again"


def test_a_large_body_is_read_from_the_shared_cache_each_time(shared, monkeypatch):
    monkeypatch.setattr(mail_module, "BODY_KEPT_CHARS", 5)
    mail = _Mail()
    first = mail_module.shown_body(mail, _message())
    shared.data.clear()
    assert mail_module.shown_body(mail, _message()) == first
    assert mail.asked == 2, "not kept in the process: made again"


@pytest.mark.django_db
@pytest.mark.parametrize("spoil", SPOILERS.values(), ids=SPOILERS.keys())
def test_a_domain_entry_of_another_shape_is_looked_up_again(shared, spoil):
    Domain.objects.create(name="heron.test", imap_host="imap.heron.test", imap_port=993,
                          imap_security="ssl", smtp_host="smtp.heron.test", smtp_port=587,
                          smtp_security="starttls")
    first = domains.servers_for("a@heron.test")
    shared.spoil(spoil)
    assert domains.servers_for("a@heron.test") == first


def test_a_key_names_the_shape_of_its_value():
    kept = MailboxCache("imap.test", 143, "alice@heron.test")
    assert f":summary:v{state.SHAPES['summary']}:" in kept._key("summary", "INBOX", STATE, 5)
    assert f":outline:v{state.SHAPES['outline']}:" in kept._key("outline", "INBOX", STATE, 5)
    assert ":body:v1:" in kept.rendered_key("INBOX", 7, 5, "1:0:0")
    assert domains._cache_key("heron.test") == f"domain-servers:v{domains.SHAPE}:heron.test"


# --- the serializers -------------------------------------------------------------------

DATA = {"s": "héron ✉", "n": [1, -2, 3.5, True, None], "d": {"k": []}}


def test_json_types_read_back_exactly():
    serializer = JSONSerializer({})
    assert serializer.loads(serializer.dumps(DATA)) == DATA


@pytest.mark.parametrize("value", [
    (1, 2), {1: "a"}, {"a": {1, 2}}, b"bytes", datetime.now(timezone.utc),
    Address("A", "a@x.test"), float("nan"), [object()], {"deep": [[("tuple",)]]},
], ids=repr)
def test_writing_anything_but_json_types_raises(value):
    with pytest.raises(NotData):
        JSONSerializer({}).dumps(value)
    with pytest.raises(NotData):
        SessionSerializer({"SESSION_CACHE_FORMAT": "pickle-data"}).dumps(value)


@pytest.mark.parametrize("raw", [b"\x80\x04K\x01.", b"{", b"\xff\xfe", b""], ids=repr)
def test_bytes_that_are_not_json_read_as_a_miss(raw):
    assert JSONSerializer({}).loads(raw) is None


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch /tmp/heron-pwned",))


def test_a_session_pickle_that_names_a_function_is_refused_without_calling_it():
    evil = pickle.dumps({"_auth_user_id": "1", "x": _Boom()})
    assert SessionSerializer({}).loads(evil) is None
    assert SessionSerializer({}).loads(pickle.dumps({"when": datetime.now()})) is None
    assert SessionSerializer({}).loads(pickle.dumps(["not", "a", "dict"])) is None
    assert not Path("/tmp/heron-pwned").exists()


def test_a_session_is_written_as_the_older_release_reads_it_and_read_either_way():
    session = {"_auth_user_id": "3", "heron_undo": [{"uids": [1, 2], "folder": "INBOX"}]}
    during = SessionSerializer({"SESSION_CACHE_FORMAT": "pickle-data"})
    after = SessionSerializer({"SESSION_CACHE_FORMAT": "json"})
    assert pickle.loads(during.dumps(session)) == session, "the older release reads it"
    assert json.loads(after.dumps(session)) == session
    for writer in (during, after):
        for reader in (during, after):
            assert reader.loads(writer.dumps(session)) == session
    # Written by the older release itself (django-redis's pickle, highest protocol).
    assert after.loads(pickle.dumps(session, pickle.HIGHEST_PROTOCOL)) == session


_SHOW_CACHES = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({"caches": settings.CACHES, "engine": settings.SESSION_ENGINE,
                  "alias": settings.SESSION_CACHE_ALIAS}))
"""


def _production_caches():
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(DJANGO_SETTINGS_MODULE="webmail.settings", REDIS_URL="redis://127.0.0.1:9/0")
    done = subprocess.run([sys.executable, "-c", _SHOW_CACHES], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_cache_alias_writes_json_and_none_pickles():
    found = _production_caches()
    serializers = {alias: conf["OPTIONS"].get("SERIALIZER")
                   for alias, conf in found["caches"].items()}
    assert serializers == {"default": "webmail.cachejson.JSONSerializer",
                           "sessions": "webmail.cachejson.SessionSerializer"}
    assert found["engine"] == "webmail.session_store" and found["alias"] == "sessions"
    assert found["caches"]["default"]["VERSION"] == cachejson.CACHE_SCHEMA > 1, (
        "the pickling releases' keys (version 1) are never read")
    for alias, conf in found["caches"].items():
        client = RedisCache(conf["LOCATION"], conf).client  # no connection is made
        with pytest.raises(NotData):
            client.encode(Address("A", "a@x.test"))
        assert client.encode(41) == 41, f"{alias}: integers stay raw for incr/decr"
        assert client.decode(client.encode({"a": [1]})) == {"a": [1]}


def test_the_cache_without_redis_is_held_to_the_same_rule():
    # The backend settings.py chooses without REDIS_URL (make test runs the unit tests
    # with the stack's Redis, so it is built here rather than taken from caches).
    cache = cachejson.LocalCache("heron-test-local", {})
    with pytest.raises(NotData):
        cache.set("not-data", Address("A", "a@x.test"))
    with pytest.raises(NotData):
        cache.set_many({"not-data": (1, 2)})
    cache.set("data", {"a": [1]})
    assert cache.get("data") == {"a": [1]}


def test_login_counters_are_raw_integers_that_every_release_shares():
    from django.core.cache import caches

    from accounts import throttle

    throttle.begin("shared@heron.test", "10.0.0.9")
    for part in ("tries", "since"):
        value = caches["default"].get(throttle._key(part, "user", "shared@heron.test"),
                                      version=1)
        assert type(value) is int, f"{part}: an int reads the same under any encoding"


@pytest.mark.parametrize("value", [
    0, 7, -12, 10**20, 1.5, -0.25, "", "12", " 12", "text", [], [1, "a"], {},
    {"uid": 5, "flags": ["\\Seen"]}, True, False, None, "-", "+3",
])
def test_the_redis_client_reads_every_value_as_django_redis_does(value):
    """webmail.cachejson.RedisClient skips django-redis's try as a bare integer only where
    that try must fail: what it reads back is what django-redis's own client reads."""
    from django_redis.client import DefaultClient

    client = _redis_client()
    stored = client.encode(value)
    raw = str(stored).encode() if isinstance(stored, int) else stored
    assert client.decode(raw) == DefaultClient.decode(client, raw) == value


@pytest.mark.parametrize("raw", [b"", b"abc", b"\x80\x04", b" 12", b"1_000", b"+7", b"-",
                                 b"12abc", b"\n3\n", "42", b"null"])
def test_the_redis_client_reads_raw_bytes_as_django_redis_does(raw):
    """Bytes it did not write (another release's, a hand-made key): the same value, or
    the same error, as django-redis's own decode."""
    from django_redis.client import DefaultClient

    client = _redis_client()

    def read(decode):
        try:
            return ("value", decode(raw))
        except Exception as error:  # the serializer's refusal, compared by its kind
            return ("error", type(error))

    assert read(client.decode) == read(lambda value: DefaultClient.decode(client, value))


def _redis_client():
    from django.core.cache import caches

    client = getattr(caches["default"], "client", None)
    if not isinstance(client, cachejson.RedisClient):
        pytest.fail("these tests read through Redis: source .stack/env (REDIS_URL)")
    return client


def test_the_redis_client_leaves_compressed_values_to_django_redis(monkeypatch):
    client = _redis_client()
    seen = []

    class Squeezed:
        def decompress(self, value):
            seen.append(value)
            return value

    monkeypatch.setattr(client, "_compressor", Squeezed())
    assert client.decode(b'{"a": 1}') == {"a": 1}
    assert seen == [b'{"a": 1}'], "the compressor still gets each value"
