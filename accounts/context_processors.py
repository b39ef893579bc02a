"""Template context every page may need: the user's screen preferences and the prompt for
a display name."""
from django.db import DatabaseError
from redis.exceptions import RedisError

from . import identities
from .preferences import shown

# An error page (Redis or the database down: webmail/middleware.py) is drawn with these
# too; what they cannot read then is left out, so the page itself still shows.
_OUTAGES = (RedisError, DatabaseError)

# In the session: "named" once the default identity has a name, "skipped" when the user
# said not now; the prompt is not shown (and the database not asked) again in the session.
NAME_STATE = "heron_name_state"


def name_prompt(request):
    """ask_name (the address mail goes out under) on the mail pages (not over compose's
    Send) while the user's default identity has no display name: mail would go out as a
    bare address."""
    try:
        return _name_prompt(request)
    except _OUTAGES:
        return {}


def _name_prompt(request):
    user = getattr(request, "user", None)
    if (user is None or not user.is_authenticated or not request.path.startswith("/mail/")
            or request.path.startswith("/mail/compose/") or request.session.get(NAME_STATE)):
        return {}
    default = identities.default_sender(user)  # kept in the shared cache
    if default["name"].strip():
        request.session[NAME_STATE] = "named"
        return {}
    return {"ask_name": default["email"]}


def screen(request):
    """prefs: the user's layout, density and shortcut choices, for the page's <body>."""
    try:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return {}
        return {"prefs": shown(user)}
    except _OUTAGES:
        return {}
