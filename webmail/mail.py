"""From a request to a logged-in MailSession: the vault, the user's servers and the pool."""
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils.safestring import SafeData, SafeString

from accounts import readahead, vault
from accounts.domains import MailServers, servers_for, user_servers

from . import metrics
from .cachejson import read
from .imap.errors import AuthFailed
from .imap.pool import SessionPool
from .imap.session import MailSession
from .imap.slots import Slots
from .imap.types import Quota
from .links import compose_link
from .memo import Memo
from .mime.display import Shown, show_body

# The connections of one account this frontend's processes may hold together (slots.py).
SLOTS = (Slots(settings.HERON_IMAP_SLOTS_DIR, settings.HERON_IMAP_MAX_PER_USER,
               settings.HERON_IMAP_SLOT_WAIT_SECONDS)
         if settings.HERON_IMAP_MAX_PER_USER > 0 else None)
POOL = SessionPool(max_size=settings.IMAP_POOL_MAX, idle_seconds=settings.IMAP_POOL_IDLE_SECONDS,
                   gate=SLOTS)


def _key(request):
    return _pool_key(request.session.session_key, request.user.username)


def _pool_key(session_key, username):
    return f"{session_key}:{username}"


@dataclass(frozen=True)
class Account:
    """Who speaks to the mail servers, for whom, and which servers those are.

    username and password are the login. act_as, when set, is the user that login acts
    for (a worker's service login, see service_account): the mail is act_as's."""
    username: str
    password: str = field(repr=False)
    servers: MailServers
    act_as: str | None = None

    @property
    def owner(self):
        """Whose mail this is: the user acted for, else the login's own."""
        return self.act_as or self.username


def account_for(request):
    """The request user's Account: the vault opened and the servers resolved once per
    request, however many blocks of mail_for() and sends the request makes. Raises
    AuthFailed if the vault is shut."""
    account = getattr(request, "_heron_account", None)
    if account is None:
        password = vault.open_vault(request)
        if password is None or not request.session.session_key:
            raise AuthFailed("the credential vault cannot be opened")
        username = request.user.username
        account = Account(username, password, user_servers(request.user))
        request._heron_account = account
    return account


MAX_GUESS = 1000  # only a digest of it is read, but a long one is no folder anyway
# user id -> the digest naming the user's account in the shared cache, of the users whose
# mail this process served: what the request's first read needs to read that mail's state
_accounts = {}


def forget_accounts():
    """Forget whose accounts this process served (tests)."""
    _accounts.clear()


def mailbox_guess(request):
    """The folder a GET request is most likely about: the one it names, else the inbox."""
    return str(request.GET.get("mailbox") or "INBOX")[:MAX_GUESS]


@readahead.register_request
def _first_read_keys(user_id, mailbox):
    """The watcher's vouch, the folder's confirmed state and the folder list: read with
    the session, when this process served the user's mail before."""
    account = _accounts.get(user_id)
    return MailSession.expected_keys(account, mailbox) if account is not None else []


@contextmanager
def mail_for(request):
    """The request user's MailSession for the block; raises AuthFailed if the vault is shut.

    IMAP command counts and time are added to request.imap_stats for Server-Timing.
    """
    account = account_for(request)
    session = None
    try:
        with POOL.session(_key(request), account.servers.imap, account.username,
                          account.password, timeout=settings.IMAP_TIMEOUT) as session:
            digest = session.account
            if request.method == "GET":
                # Most pages name their folder (the inbox when none): its state can come
                # with the first read of the shared cache, the session's (or else with
                # the watcher's record).
                mailbox = mailbox_guess(request)
                session.expect(mailbox, digest and readahead.take_first(
                    MailSession.expected_keys(digest, mailbox)))
            if digest is not None:
                readahead.remember(_accounts, request.user.pk, digest)
            yield session
    finally:
        if session is not None:
            commands, seconds = getattr(request, "imap_stats", (0, 0.0))
            request.imap_stats = (commands + session.commands, seconds + session.imap_seconds)


def new_session(config):
    """A MailSession to log in with (the login check), bounded as the pooled ones are, so
    that the pool can adopt it."""
    return POOL.new_session(config, timeout=settings.IMAP_TIMEOUT)


def adopt(request, session):
    """Pool the connection that the login made, under the new session key."""
    if not request.session.session_key:
        request.session.save()
    POOL.give_back(_key(request), session)


def release(request):
    """Close the request session's pooled connections (logout)."""
    if request.user.is_authenticated and request.session.session_key:
        POOL.discard(_key(request))


def release_session(session_key, username):
    """Close this process's pooled connections of a session ended from another request.

    Other processes cannot be reached from here; their connections of that session are
    never checked out again (the session is gone) and close when idle.
    """
    POOL.discard(_pool_key(session_key, username))


def service_available():
    """True when a service login is configured (HERON_SERVICE_USER): workers may then act
    for users who are logged out (send later, undo send, snooze). Off, those are off."""
    return bool(settings.HERON_SERVICE_USER)


def service_account(username):
    """The Account a worker uses for the user `username`: the user's servers, the service
    login, act_as=username. No password of the user's is needed or kept.

    Raises AuthFailed when no service login is configured, when username is no active
    Heron user (one who logged in with their own password once), or when the user's mail
    domain is disabled (the user could not log in either)."""
    if not service_available():
        raise AuthFailed("no service login is configured (HERON_SERVICE_USER)")
    # The servers take any name they know, and Cyrus any name at all (creating its
    # mailbox): Heron acts only for its own users.
    if not get_user_model().objects.filter(username=username, is_active=True).exists():
        raise AuthFailed("not an active Heron user")
    # Past any IMAP proxy, to the user's own server: nginx's mail proxy passes on no
    # authorization identity, so the service login could only log in as itself there.
    servers = servers_for(username, backend=True)
    if not servers.active:
        raise AuthFailed("the user's mail domain is disabled")
    return Account(settings.HERON_SERVICE_USER, settings.HERON_SERVICE_PASSWORD, servers,
                   act_as=username)


def _service_key(username):
    # A tuple: every browser session's key is a str (_pool_key), so the two never meet.
    return ("service", username)


@contextmanager
def service_mail(username):
    """The MailSession of the user `username`, logged in with the service login, for the
    block; pooled in this process under a key no browser session has.

    Raises AuthFailed (see service_account; or the server refused the service login or
    knows no such user), MailServerUnavailable or UnsafeInput, as a login does."""
    account = service_account(username)
    with POOL.session(_service_key(username), account.servers.imap, account.username,
                      account.password, timeout=settings.IMAP_TIMEOUT,
                      act_as=account.act_as) as session:
        yield session


QUOTA_SECONDS = 300
QUOTA_SHAPE = 2  # the version of the cached value's shape, named in its key (2: digested)


@readahead.register_address  # read with the session and the user (the first read)
def _quota_key(login):
    return f"quota:v{QUOTA_SHAPE}:{hashlib.sha256(login.encode()).hexdigest()[:24]}"


def quota_for(request, mail):
    """The account's quota, asked of the server at most every QUOTA_SECONDS.

    Every folder page shows it; the shared cache spares one GETQUOTAROOT per page view.
    The key names the account (a digest: no address in a key), so no user sees another's
    figures.
    """
    key = _quota_key(request.user.username)
    found = read(readahead.take(request.user, key), ({"used_kb": int, "limit_kb": int}, False),
                 lambda value: value and Quota(**value))
    metrics.cache_lookup("quota", found is not None)
    if found is None:
        found = mail.quota() or False  # False: the server has no quota, remembered too
        cache.set(key, found and {"used_kb": found.used_kb, "limit_kb": found.limit_kb},
                  QUOTA_SECONDS)
    return found or None


RENDERED_SECONDS = 3600


def shown_body(mail, message, allow_remote=False, cid_url=None):
    """show_body() of a message, kept in the shared cache for an hour (see shown_bodies)."""
    return shown_bodies(mail, [message], allow_remote, cid_url and (lambda m: cid_url))[0]


def shown_bodies(mail, messages, allow_remote=False, cid_url_for=None):
    """show_body() of each message, kept in the shared cache for an hour: the message
    page, its frame and the next visit (on any frontend) sanitize a body once, and fetch
    it once: the messages may come without their bodies' bytes (fetch_body=False), and
    only those missed here are fetched, together. A key names the account, folder,
    UIDVALIDITY, UID, the part shown, whether remote images are on and whether inline
    images are linked."""
    keys = {}
    for message in messages:
        part = message.body.section if message.body else "-"
        # Inline images are linked only where a cid_url is given (not in a conversation):
        # the two renderings are kept apart.
        keys[message.uid] = mail.rendered_key(
            message.mailbox, message.uid,
            f"{part}:{int(bool(allow_remote))}:{int(cid_url_for is not None)}")
    shown = {uid: _bodies_kept.get(key) for uid, key in keys.items() if key}
    shown = {uid: body for uid, body in shown.items() if body is not None}
    found = cache.get_many([key for uid, key in keys.items() if key and uid not in shown])
    from_cache = {uid: _shown(found.get(key)) for uid, key in keys.items()
                  if key and uid not in shown}
    from_cache = {uid: body for uid, body in from_cache.items() if body is not None}
    metrics.cache_lookups("rendered-body", len(shown) + len(from_cache),
                          len(messages) - len(shown) - len(from_cache))
    _keep_in_process(keys, from_cache)
    shown.update(from_cache)
    missing = [message for message in messages if message.uid not in shown]
    fresh = {}
    for message in mail.with_bodies(missing):
        fresh[message.uid] = show_body(message, allow_remote=allow_remote,
                                       cid_url=cid_url_for(message) if cid_url_for else None,
                                       mailto_url=compose_link)
    cache.set_many({keys[uid]: _shown_json(body) for uid, body in fresh.items() if keys[uid]},
                   RENDERED_SECONDS)
    _keep_in_process(keys, fresh)
    shown.update(fresh)
    return [shown[message.uid] for message in messages]


# Bodies as shown, kept in the process too under the same key: a key names one rendering
# of one message (UIDVALIDITY and UID never name another), so what is kept here is what
# the shared cache holds, without reading and decoding it again on each open. Only small
# ones (most mail): a large body is read from the shared cache each time.
BODIES_KEPT = 256
BODY_KEPT_CHARS = 64 * 1024
_bodies_kept = Memo(BODIES_KEPT, RENDERED_SECONDS)


def _keep_in_process(keys, bodies):
    for uid, body in bodies.items():
        if keys[uid] and len(body.html) <= BODY_KEPT_CHARS:
            _bodies_kept.put(keys[uid], body)


def forget_kept_bodies():
    """Every body kept in this process forgotten (tests, after emptying the cache)."""
    _bodies_kept.clear()


# A shown body in the cache; its key's version is state.SHAPES["body"] (rendered_key).
_SHOWN = {"html": str, "is_html": bool, "remote_blocked": int, "trackers": int,
          "has_remote": bool, "notices": [str], "escaped": bool}


def _shown_json(body):
    # str.__str__ gives the plain str of a SafeString (str() gives it back marked).
    return {"html": str.__str__(body.html), "is_html": body.is_html,
            "remote_blocked": body.remote_blocked, "trackers": body.trackers,
            "has_remote": body.has_remote, "notices": list(body.notices),
            "escaped": isinstance(body.html, SafeData)}


def _shown(value):
    def build(value):
        # show_body() marked a text body's HTML safe (text_to_html escaped it); JSON keeps
        # no marks, so the one it made is given back, exactly where it was.
        html = SafeString(value["html"]) if value["escaped"] else value["html"]
        return Shown(html, value["is_html"], value["remote_blocked"], value["trackers"],
                     value["has_remote"], tuple(value["notices"]))
    return read(value, _SHOWN, build)
