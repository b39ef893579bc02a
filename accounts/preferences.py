"""A user's preferences, kept in the database so that every frontend and every device of
the user sees the same choice, resolved against the defaults and locks of the user's
domain (Domain admin): a locked setting takes the domain's value; else the user's own
choice; else the domain's default; else Heron's (accounts/preference_fields.py)."""
import hashlib

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import JSONField, OuterRef, Subquery, Value
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from webmail.cachejson import drop_until_committed, keep_as_written, read

from . import preference_fields, readahead
from .domains import domain_of
from .models import Domain, Preferences

# The list keeps at least this share of the space beside (or above) the reading pane,
# and leaves the pane at least as much.
LIST_SHARE_RANGE = (20, 80)
# After Send, a message waits this many seconds (at most) while Undo can take it back.
UNDO_RANGE = preference_fields.BY_NAME["undo_seconds"].span


class Shown(dict):
    """The effective value of every setting ({name: value}; also as attributes, for
    templates and callers that read prefs.layout), with list_share and the browser's
    time_zone; locked: the names the domain fixes; inherited: what each would be
    without the user's own choice."""

    def __init__(self, values, locked, inherited):
        super().__init__(values)
        self.locked = locked
        self.inherited = inherited

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def preferences_for(user):
    """The user's Preferences row, made on first use, with domain_defaults and
    domain_locks read in the same query. Never None.

    Read once per user object, that is once per request: the page's settings, its time
    zone and its Send all ask."""
    found = getattr(user, "_heron_preferences", None)
    if found is None:
        found = _read(user)
        user._heron_preferences = found
        user._heron_shown = None
    return found


def shown(user):
    """The user's effective preferences (a Shown), once per request."""
    preferences = preferences_for(user)
    found = getattr(user, "_heron_shown", None)
    if found is None:
        found = _resolve(preferences)
        user._heron_shown = found
    return found


def effective(user, name):
    """The value of one setting for this user: the domain's when it is locked, else the
    user's choice, else the domain's default, else Heron's. For "language": a code of
    settings.LANGUAGES, or "" for the browser's Accept-Language."""
    return shown(user)[name]


def _domain_value(field):
    return Subquery(Domain.objects.filter(name=OuterRef("domain_name")).values(field)[:1],
                    output_field=JSONField())


# Every page reads the user's row and the domain's defaults and locks: both are kept in the
# shared cache, read in one round trip. The user's entry is rewritten on each of the user's
# writes (choose, keep_list_share, remember_zone: store()); the domain's is dropped when
# the Domain admin saves (forget_domain_defaults) and lives a minute at most besides.
USER_SECONDS = 600
DOMAIN_SECONDS = 60
SHAPE = 1  # the version of the cached values' shape, named in their keys
_USER_SHAPE = {"pk": int, "chosen": dict, "list_share": int, "time_zone": str}
_DOMAIN_SHAPE = {"defaults": (None, dict), "locks": (None, list)}


def _user_key(user):
    return _user_id_key(user.pk)


@readahead.register
def _user_id_key(user_id):
    return f"user-prefs:v{SHAPE}:{user_id}"


@readahead.register_domain
def _domain_key(domain):
    digest = hashlib.sha256(domain.encode()).hexdigest()[:24]
    return f"domain-prefs:v{SHAPE}:{digest}"


def _read(user):
    user_key, domain_key = _user_key(user), _domain_key(domain_of(user.username))
    own = read(readahead.take(user, user_key), _USER_SHAPE)
    domain = read(readahead.take(user, domain_key), _DOMAIN_SHAPE)
    if own is not None and domain is not None:
        found = Preferences(pk=own["pk"], user_id=user.pk, chosen=own["chosen"],
                            list_share=own["list_share"], time_zone=own["time_zone"])
        found.domain_defaults, found.domain_locks = domain["defaults"], domain["locks"]
        return found
    found = _read_row(user)
    cache.set(user_key, _user_json(found), USER_SECONDS)
    cache.set(domain_key, {"defaults": found.domain_defaults, "locks": found.domain_locks},
              DOMAIN_SECONDS)
    return found


def _user_json(preferences):
    return {"pk": preferences.pk, "chosen": preferences.chosen,
            "list_share": preferences.list_share, "time_zone": preferences.time_zone}


def store(user, preferences):
    """Keep the user's row as just written (webmail.cachejson.keep_as_written)."""
    keep_as_written(cache, _user_key(user), _user_json(preferences), USER_SECONDS)


@receiver(post_save, sender=Preferences, dispatch_uid="accounts.preferences.saved")
@receiver(post_delete, sender=Preferences, dispatch_uid="accounts.preferences.deleted")
def _row_changed(sender, instance, **kwargs):
    # A row saved whole (not by this module's updates, which keep it as written).
    drop_until_committed(cache, _user_id_key(instance.user_id))


def forget_domain_defaults(domain):
    """Drop the kept defaults and locks of a mail domain (its admin changed them)."""
    cache.delete(_domain_key(domain))


def _read_row(user):
    annotated = (Preferences.objects.filter(user=user)
                 .annotate(domain_name=Value(domain_of(user.username)))
                 .annotate(domain_defaults=_domain_value("preference_defaults"),
                           domain_locks=_domain_value("preference_locks")))
    found = annotated.first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            Preferences.objects.create(user=user)
    except IntegrityError:
        pass  # a concurrent request made them first
    return annotated.get()


def _resolve(preferences):
    defaults = preference_fields.cleaned(getattr(preferences, "domain_defaults", None))
    locks = getattr(preferences, "domain_locks", None)
    locked = frozenset(name for name in (locks if isinstance(locks, list) else ())
                       if name in preference_fields.BY_NAME)
    inherited = {**preference_fields.DEFAULTS, **defaults}
    own = preference_fields.cleaned(preferences.chosen)
    values = {name: inherited[name] if name in locked else own.get(name, inherited[name])
              for name in preference_fields.BY_NAME}
    return Shown({**values, "list_share": preferences.list_share,
                  "time_zone": preferences.time_zone}, locked, inherited)


def choose(user, values):
    """Keep the user's choices ({name: value}, already valid); a locked setting is left
    as the domain sets it, and a choice equal to what the user would inherit is dropped so
    that it follows the domain's default. Returns the names refused as locked."""
    now = shown(user)
    refused = sorted(name for name in values if name in now.locked)
    preferences = preferences_for(user)
    chosen = preference_fields.cleaned(preferences.chosen)
    for name, value in values.items():
        if name in now.locked:
            continue
        value = preference_fields.BY_NAME[name].clean(value)
        if value == now.inherited[name]:
            chosen.pop(name, None)
        else:
            chosen[name] = value
    Preferences.objects.filter(pk=preferences.pk).update(chosen=chosen)
    preferences.chosen = chosen
    store(user, preferences)
    user._heron_shown = None
    return refused


def keep_list_share(user, share):
    """Remember where the divider was dragged to; share is clamped to LIST_SHARE_RANGE."""
    low, high = LIST_SHARE_RANGE
    share = min(max(int(share), low), high)
    preferences = preferences_for(user)
    Preferences.objects.filter(pk=preferences.pk).update(list_share=share)
    preferences.list_share = share
    store(user, preferences)
    return share
