"""Filters and vacation for the request user: the service between the views and the Sieve
core (webmail/sieve/), over ManageSieve with the user's own login.

Heron edits the active script, whoever wrote it; with none active, the script `heron`
(made, and activated, at the first save), beside any others, which are never written
unless the user opens one in Filter sets. Every save re-reads the script and compares its
SHA-256 with the version the page was drawn from, so a save from a stale tab is refused,
and is checked by the server before it is stored, so a refused script never replaces the
one that works. Every load and save of the active script updates the user's
VacationSummary, which the mail pages read for their banner without asking the server.
"""
import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts import identities

from . import filter_folders
from .mail import account_for, mail_for
from .sieve import script as sieve_script
from .sieve.client import CHECK_NAME, SieveServer, check_script_name, open_sieve
from .sieve.errors import SieveError, SieveRefused, SieveTooLarge
from .sieve.rules import Rule, Vacation
from .vacation_summary import remember_vacation

OWN_SCRIPT = "heron"


class FiltersError(Exception):
    """A failure the user is told of as it is; message is translated."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class Unavailable(FiltersError):
    """No ManageSieve for the domain, or its server is down, slow or refuses the login."""


class NotOffered(Unavailable):
    """The domain has no ManageSieve at all (e.g. `make run`'s demo server): not a fault."""


class Conflict(FiltersError):
    """The script changed (another tab, another program) since the page was drawn."""


class Refused(FiltersError):
    """The server, or Heron's own checks, refused what was to be saved."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class State:
    """What the Filters pages show of the user's scripts."""
    name: str                  # the script Heron edits
    active: bool               # whether it is the active one (else: activated at first save)
    script: sieve_script.Script
    version: str               # SHA-256 hex of its text as loaded
    sets: tuple                # ScriptInfo of every script on the server
    extensions: frozenset

    @property
    def items(self):
        return self.script.items

    def rule_at(self, index):
        """The Rule at this position of the script, or None (out of range, a raw block)."""
        if 0 <= index < len(self.items) and isinstance(self.items[index], Rule):
            return self.items[index]
        return None


def version_of(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def valid_name(name):
    """Whether a script name from a form or URL may be sent to the server."""
    try:
        check_script_name(name)
    except SieveRefused:
        return False
    return name.isprintable()


# -- the connection ------------------------------------------------------------------------

@contextmanager
@sensitive_variables("account")
def _sieve(request):
    account = account_for(request)
    server = account.servers.sieve
    if server is None:
        raise NotOffered(_("Filters are not available on this server."))
    try:
        with open_sieve(SieveServer(server.host, server.port, server.security),
                        account.username, account.password,
                        seconds=settings.HERON_SIEVE_TIMEOUT) as session:
            yield session
    except SieveRefused as refused:
        raise Refused(refused.message, refused.line) from None
    except SieveTooLarge as large:
        raise Refused(large.message) from None
    except SieveError as error:
        raise Unavailable(error.message) from None


def _edited(session):
    """(name, active, text) of the script Heron edits."""
    scripts = session.list_scripts()
    active = next((info.name for info in scripts if info.active), None)
    name = active or OWN_SCRIPT
    return name, active is not None, session.get_script(name) or "", scripts


def _shown(request, text):
    """The script parsed, its folder names as the IMAP layer names them."""
    show, _write = filter_folders.for_server(account_for(request).servers.sieve_folders)
    parsed = sieve_script.parse(text)
    return sieve_script.with_items(parsed, filter_folders.recode(parsed.items, show))


def _written(request, script):
    """The script's text, its folder names as the server reads them."""
    _show, write = filter_folders.for_server(account_for(request).servers.sieve_folders)
    return sieve_script.render(sieve_script.with_items(
        script, filter_folders.recode(script.items, write)))


def _state(session, request):
    name, active, text, scripts = _edited(session)
    parsed = _shown(request, text)
    # A script that is not active does not answer anyone.
    remember_vacation(request.user, parsed.vacation if active else None)
    return State(name, active, parsed, version_of(text), tuple(scripts),
                 frozenset(session.extensions))


# -- reading -------------------------------------------------------------------------------

def load(request):
    """The State of the request user's filters. Raises Unavailable."""
    with _sieve(request) as session:
        return _state(session, request)


def load_set(request, name):
    """(text, version, extensions) of the script named name, or None when there is none."""
    with _sieve(request) as session:
        text = session.get_script(name)
        if text is None:
            return None
        return text, version_of(text), frozenset(session.extensions)


# -- saving --------------------------------------------------------------------------------

def _put(session, name, text, *, activate):
    if len(text.encode("utf-8")) > settings.HERON_SIEVE_MAX_BYTES:
        raise Refused(_("The script is too large: at most %(size)s KB.") % {
            "size": settings.HERON_SIEVE_MAX_BYTES // 1024})
    session.check_script(text)
    session.put_script(name, text)
    if activate:
        session.activate(name)


def _save(request, version, change):
    """Apply change(script) to the edited script, unless it changed since version; returns
    the new State."""
    with _sieve(request) as session:
        name, active, text, _scripts = _edited(session)
        if version_of(text) != version:
            raise Conflict(_("Your filters were changed elsewhere (another tab or program) "
                             "since this page was opened. Nothing was saved; the page now "
                             "shows them as they are."))
        _put(session, name, _written(request, change(_shown(request, text))),
             activate=not active)
        return _state(session, request)


def check_rule(rule, extensions):
    problems = sieve_script.validate_rule(rule, extensions)
    if problems:
        raise Refused(" ".join(problems))


def save_items(request, version, items):
    """Store the script's rules and raw blocks in this order and state."""
    if sum(isinstance(item, Rule) for item in items) > settings.HERON_SIEVE_MAX_RULES:
        raise Refused(_("At most %(count)d rules.") % {"count": settings.HERON_SIEVE_MAX_RULES})
    return _save(request, version, lambda script: sieve_script.with_items(script, tuple(items)))


def save_rule(request, version, index, rule):
    """Store rule at index (None: a new rule, appended)."""
    def change(script):
        items = list(script.items)
        if index is None:
            items.append(rule)
        elif 0 <= index < len(items) and isinstance(items[index], Rule):
            items[index] = rule
        else:
            raise Conflict(_("That rule is no longer there. Nothing was saved."))
        return sieve_script.with_items(script, tuple(items))
    return _save(request, version, change)


def move(items, index, step):
    """items with the rule at index swapped with its neighbour step (-1 or 1) away, or
    None when there is no such rule or neighbour."""
    other = index + step
    if not (0 <= index < len(items) and 0 <= other < len(items)
            and isinstance(items[index], Rule)):
        return None
    items = list(items)
    items[index], items[other] = items[other], items[index]
    return tuple(items)


def reorder(items, order):
    """items in the order of the list of positions order, or None unless order is a
    permutation of all of them."""
    if sorted(order) != list(range(len(items))):
        return None
    return tuple(items[position] for position in order)


def save_vacation(request, version, vacation, extensions):
    """Store the vacation reply, after the core's checks for this server."""
    problems = sieve_script.validate_vacation(vacation, extensions)
    if problems:
        raise Refused(" ".join(problems))
    return _save(request, version, lambda script: sieve_script.with_vacation(script, vacation))


def vacation_off(request):
    """Turn the vacation reply off, keeping its settings; True when it was on."""
    state = load(request)
    vacation = state.script.vacation
    if vacation is None or not vacation.enabled:
        return False
    save_vacation(request, state.version, replace(vacation, enabled=False), state.extensions)
    return True


def save_set(request, name, version, text):
    """Store the raw text of the script name (checked by the server first); a new name is
    created. Returns the new version."""
    with _sieve(request) as session:
        current = session.get_script(name)
        if version_of(current or "") != version:
            raise Conflict(_("This script was changed elsewhere since you opened it. "
                             "Nothing was saved: your text is below; compare it with the "
                             "script as it is now before saving again."))
        if "\r\n" not in (current or ""):
            # A browser sends a textarea's lines ended by CRLF; keep the script's own ends.
            text = text.replace("\r\n", "\n")
        scripts = session.list_scripts()
        # The script Heron edits when none is active starts being used at its first save.
        starts = name == OWN_SCRIPT and not any(info.active for info in scripts)
        _put(session, name, text, activate=starts)
        scripts = session.list_scripts()
        if any(info.name == name and info.active for info in scripts):
            remember_vacation(request.user, sieve_script.parse(text).vacation)
        return version_of(text)


def create_set(request, name, source=""):
    """Store a new filter set named name, empty or a copy of the set named source; it is
    not activated. False when there is no set named source. Raises Refused for a bad or
    taken name or a script the server refuses (an empty script is valid Sieve, RFC 5228
    section 8.2)."""
    try:
        check_script_name(name)
    except SieveRefused as refused:
        raise Refused(refused.message) from None
    with _sieve(request) as session:
        # The scratch name the client checks scripts under where CHECKSCRIPT is missing.
        if name == CHECK_NAME or any(info.name == name for info in session.list_scripts()):
            raise Refused(_("There is already a filter set named “%(name)s”. Choose "
                            "another name.") % {"name": name})
        text = session.get_script(source) if source else ""
        if text is None:
            return False
        _put(session, name, text, activate=False)
        return True


def activate_set(request, name):
    """Make the script name the active one; False when there is none by that name."""
    with _sieve(request) as session:
        if session.get_script(name) is None:
            return False
        session.activate(name)
        _state(session, request)
        return True


def delete_set(request, name):
    """Delete the inactive script name; False when there is none or it is active."""
    with _sieve(request) as session:
        found = next((info for info in session.list_scripts() if info.name == name), None)
        if found is None or found.active:
            return False
        session.delete_script(name)
        return True


# -- vacation ------------------------------------------------------------------------------

def blank_vacation(user):
    """The vacation settings of a user who has none yet: off, answering for their
    identities' addresses, once a week per sender."""
    addresses = [identity.email for identity in identities.identities_for(user)]
    return Vacation(enabled=False, first_day=None, last_day=None, subject="", message="",
                    addresses=tuple(dict.fromkeys([user.username, *addresses])), days=7,
                    utc_offset=utc_offset())


def utc_offset():
    """The user's present offset from UTC as Sieve's date extension writes it ("+0100")."""
    return timezone.localtime().strftime("%z") or "+0000"


def switched(items, index, enabled):
    """items with the rule at index turned on or off, or None when there is no rule."""
    if not (0 <= index < len(items) and isinstance(items[index], Rule)):
        return None
    return (*items[:index], replace(items[index], enabled=enabled), *items[index + 1:])


def without(items, index):
    """items without the rule at index, or None when there is no rule."""
    if not (0 <= index < len(items) and isinstance(items[index], Rule)):
        return None
    return (*items[:index], *items[index + 1:])


def vacation_from(current, data):
    """The Vacation of the vacation form's cleaned data, in the user's present zone."""
    return replace(current, enabled=data["enabled"], first_day=data["first_day"],
                   last_day=data["last_day"], subject=data["subject"],
                   message=data["message"], addresses=data["addresses"], days=data["days"],
                   sender=data["sender"], utc_offset=utc_offset())


def sender_addresses(user):
    """The addresses a vacation reply may come from: the user's identities', in order."""
    return tuple(dict.fromkeys(identity.email for identity in identities.identities_for(user)))


# -- "Filter messages like this" ----------------------------------------------------------

_LIST_ID = re.compile(rb"<([\x21-\x3b\x3d\x3f-\x7e]{1,250})>")


def list_id_of(request, mailbox, uid):
    """The List-Id (the part in angle brackets, RFC 2919) of the user's message, or "".
    Only that one header field is fetched, and only its first 2 KB read."""
    with mail_for(request) as mail:
        raw = b"".join(mail.iter_section(mailbox, uid, "HEADER.FIELDS (LIST-ID)", limit=2048))
    found = _LIST_ID.search(raw)
    return found.group(1).decode("ascii") if found else ""
