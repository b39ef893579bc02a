"""What makes a rule or a vacation unfit to be written: each problem a sentence for the
user. Limits come from settings (HERON_SIEVE_MAX_CONDITIONS, HERON_SIEVE_MAX_ACTIONS), with
the plan's defaults where a deployment has not set them."""
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext, ngettext

from .rules import ACTION_KINDS, FIELDS, MATCHES, SIZE_OPS, TEXT_OPS, VALUED_ACTIONS

MAX_NAME = 100
MAX_VALUE = 1000
MAX_FOLDER = 500
MAX_MESSAGE = 10_000
MAX_DAYS = 365
_BREAKS = re.compile(r"[\r\n\x00]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# RFC 5322 section 3.6.8: a field name is printable US-ASCII but the colon.
_FIELD_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]{1,76}")
_SIZE = re.compile(r"[0-9]{1,9}[KMG]?", re.IGNORECASE)
_ZONE = re.compile(r"[+-](?:[01]\d|2[0-3])[0-5]\d")
# The extension each action needs on the server.
_ACTION_NEEDS = {"move": ("fileinto",), "copy": ("fileinto", "copy"),
                 "forward_copy": ("copy",), "reject": ("reject",),
                 "mark_read": ("imap4flags",), "flag": ("imap4flags",)}


def _limit(name, default):
    return getattr(settings, name, default)


def max_script_bytes():
    """The most a script may be, in UTF-8 bytes (HERON_SIEVE_MAX_BYTES)."""
    return _limit("HERON_SIEVE_MAX_BYTES", 256 * 1024)


def _bad_text(value, breaks_allowed=False):
    pattern = r"[\x00]" if breaks_allowed else _BREAKS
    return bool(re.search(pattern, value) or _SURROGATE.search(value))


def _is_address(value):
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def validate_rule(rule, extensions):
    """The problems of the rule for a server offering `extensions` (lower case), as
    user-facing sentences; [] when it can be written."""
    problems = []
    name = rule.name.strip()
    if not name:
        problems.append(gettext("Give the rule a name."))
    elif len(rule.name) > MAX_NAME or _bad_text(rule.name) or _CONTROL.search(rule.name):
        problems.append(gettext("A rule name must be at most %(count)d characters on one "
                                "line.") % {"count": MAX_NAME})
    if rule.match not in MATCHES:
        problems.append(gettext("Choose whether all or any of the conditions must match."))
    problems += _conditions(rule.conditions, extensions)
    problems += _actions(rule.actions, extensions)
    return problems


def _conditions(conditions, extensions):
    most = _limit("HERON_SIEVE_MAX_CONDITIONS", 50)
    if not conditions:
        return [gettext("Add at least one condition.")]
    if len(conditions) > most:
        return [ngettext("A rule can have at most %(count)d condition.",
                         "A rule can have at most %(count)d conditions.", most)
                % {"count": most}]
    problems = []
    for condition in conditions:
        problem = _condition(condition, extensions)
        if problem and problem not in problems:
            problems.append(problem)
    return problems


def _condition(condition, extensions):
    if condition.field not in FIELDS:
        return gettext("Choose what a condition looks at.")
    if condition.field == "size":
        if condition.op not in SIZE_OPS:
            return gettext("A size condition is either over or under a size.")
        if not _SIZE.fullmatch(condition.value):
            return gettext("A size is a whole number, optionally followed by K, M or G "
                           "(like 100K).")
        return None
    if condition.op not in TEXT_OPS:
        return gettext("Choose how a condition compares (contains, is, matches, regex).")
    if condition.op == "regex" and "regex" not in extensions:
        return gettext("This mail server does not offer regular expressions in filters.")
    if condition.field == "header" and not _FIELD_NAME.fullmatch(condition.header):
        return gettext("A header name is 1 to 76 printable characters without spaces or "
                       "colons (like X-Spam-Flag).")
    if len(condition.value) > MAX_VALUE or _bad_text(condition.value):
        return gettext("A condition's text must be at most %(count)d characters on one "
                       "line.") % {"count": MAX_VALUE}
    if not condition.value and condition.op != "is":
        return gettext("Fill in the text each condition looks for.")
    return None


def _actions(actions, extensions):
    most = _limit("HERON_SIEVE_MAX_ACTIONS", 20)
    if not actions:
        return [gettext("Add at least one action.")]
    if len(actions) > most:
        return [ngettext("A rule can have at most %(count)d action.",
                         "A rule can have at most %(count)d actions.", most)
                % {"count": most}]
    problems = []
    for action in actions:
        problem = _action(action, extensions)
        if problem and problem not in problems:
            problems.append(problem)
    return problems


def _action(action, extensions):
    if action.kind not in ACTION_KINDS:
        return gettext("Choose what an action does.")
    needs = _ACTION_NEEDS.get(action.kind, ())
    flags_offered = "imap4flags" in extensions or "imapflags" in extensions
    if any(need not in extensions and not (need == "imap4flags" and flags_offered)
           for need in needs):
        return gettext("This mail server does not offer that action in filters.")
    if action.kind not in VALUED_ACTIONS:
        return None
    if action.kind in ("move", "copy"):
        if not action.value.strip():
            return gettext("Choose the folder to file messages into.")
        if len(action.value) > MAX_FOLDER or _bad_text(action.value):
            return gettext("That folder name cannot be used in a filter.")
    elif action.kind in ("forward", "forward_copy"):
        if _bad_text(action.value) or not _is_address(action.value):
            return gettext("Forward to a valid email address (like name@example.com).")
    elif not action.value.strip():
        return gettext("Write the message a rejected sender receives.")
    elif len(action.value) > MAX_MESSAGE or _bad_text(action.value, breaks_allowed=True):
        return gettext("A reject message must be at most %(count)d characters.") % {
            "count": MAX_MESSAGE}
    return None


def validate_vacation(vacation, extensions):
    """The problems of the vacation reply, as user-facing sentences; [] when it can be
    written."""
    problems = []
    if "vacation" not in extensions:
        problems.append(gettext("This mail server does not offer vacation replies."))
    if (vacation.first_day or vacation.last_day) and not {"date", "relational"} <= extensions:
        problems.append(gettext("This mail server cannot limit a vacation reply to dates."))
    if vacation.first_day and vacation.last_day and vacation.first_day > vacation.last_day:
        problems.append(gettext("The last day comes before the first day."))
    if not _ZONE.fullmatch(vacation.utc_offset):
        problems.append(gettext("The time zone offset must look like +0100 or -0500."))
    if not 1 <= vacation.days <= MAX_DAYS:
        problems.append(gettext("Days between replies must be from 1 to %(count)d.")
                        % {"count": MAX_DAYS})
    if len(vacation.subject) > MAX_VALUE or _bad_text(vacation.subject):
        problems.append(gettext("The subject must be at most %(count)d characters on one "
                                "line.") % {"count": MAX_VALUE})
    if not vacation.message.strip():
        problems.append(gettext("Write the reply's message."))
    elif len(vacation.message) > MAX_MESSAGE or _bad_text(vacation.message, True):
        problems.append(gettext("The reply's message must be at most %(count)d characters.")
                        % {"count": MAX_MESSAGE})
    bad = [address for address in vacation.addresses
           if _bad_text(address) or not _is_address(address)]
    if vacation.sender and (_bad_text(vacation.sender) or not _is_address(vacation.sender)):
        bad.append(vacation.sender)
    if bad:
        shown = [_CONTROL.sub(" ", address)[:100] for address in bad]
        problems.append(gettext("These are not valid email addresses: %(addresses)s")
                        % {"addresses": ", ".join(shown)})
    return problems
