"""Parts of a page drawn once per process for the values they show, then shown again.

    {% keep folders=folders current=current.name %} ... {% endkeep %}

draws what it encloses from the named values only (no request, no user, no context
processor's values), so the part can show nothing but those values. The values, where the
part is (template and line) and the page's language, time zone, day and URL prefix are the
memo's key: a part kept for a key is exactly the part any request with the same key would
draw. It cannot go stale (a changed count or name is another key) and cannot show one user
what another user's values did not already equal. A list is taken as a tuple, a dict as a
frozen dict, a value with a heron_kept_key() method (a bound form) by what that returns; a
part with a value that still cannot be part of a key is drawn, not kept.

The request's CSRF token is the one thing a kept part shows that is not in its key: the
part is drawn with a stand-in token, swapped for the request's own on the way out.
"""
import secrets

from django import template
from django.template.base import token_kwargs
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from webmail.memo import Memo

register = template.Library()
# Parts kept per process (least recently shown dropped first); most are 1-10 kB.
KEPT_PARTS = 4096
# Stands for the request's CSRF token in a kept part: letters and digits only, so no
# escaping changes it, and drawn anew by each process, so that no mail can hold it (a
# subject or an address spelling it would otherwise be shown with the token swapped in).
TOKEN_STAND_IN = "keptcsrf" + secrets.token_hex(16)


class FrozenDict(dict):
    """A dict that can be part of a key: only read once made."""

    def __hash__(self):
        return hash(tuple(sorted(self.items())))


class _ByKey:
    """A value whose heron_kept_key() stands for it in a key (a bound form: its data)."""

    def __init__(self, value):
        self.value, self.key = value, value.heron_kept_key()

    def __eq__(self, other):
        return isinstance(other, _ByKey) and self.key == other.key

    def __hash__(self):
        return hash(self.key)


def frozen(value):
    if callable(getattr(type(value), "heron_kept_key", None)):
        return _ByKey(value)
    if isinstance(value, dict):
        return FrozenDict((key, frozen(item)) for key, item in value.items())
    if isinstance(value, list):
        return tuple(frozen(item) for item in value)
    return value


class KeepNode(template.Node):
    def __init__(self, site, values, nodelist):
        self.site, self.values, self.nodelist = site, values, nodelist

    def render(self, context):
        values = tuple(sorted((name, frozen(value.resolve(context)))
                              for name, value in self.values.items()))
        token = context.get("csrf_token")
        token = "" if token is None else str(token)
        if not token or token == "NOTPROVIDED":  # no token to draw: nothing to swap in
            return self.draw(context, values, token)
        part = _parts.get_or_make((self, *place(), values),
                                  lambda: self.draw(context, values, TOKEN_STAND_IN))
        return mark_safe(part.replace(TOKEN_STAND_IN, token))

    def draw(self, context, values, token):
        # context.new() keeps the engine and autoescaping, and none of the page's values.
        values = {name: value.value if isinstance(value, _ByKey) else value
                  for name, value in values}
        return self.nodelist.render(context.new({**values, "csrf_token": token}))

    # A node is its place in a template: the same place in a template loaded again (the
    # development server reloads them) is the same part.
    def __eq__(self, other):
        return isinstance(other, KeepNode) and self.site == other.site

    def __hash__(self):
        return hash(self.site)


# key -> the part drawn. Only the key and the drawn text are kept: no request's context
# outlives its request.
_parts = Memo(KEPT_PARTS)


def place():
    """What every kept drawing (part, row, page) shows of the request besides its values:
    the language, the time zone, the day and the URL prefix."""
    return (translation.get_language(), str(timezone.get_current_timezone()),
            timezone.localdate(), get_script_prefix())


def kept_count():
    return len(_parts)


def forget_everything():
    """Every kept part forgotten (tests)."""
    _parts.clear()


@register.tag
def keep(parser, token):
    """{% keep name=value ... %}…{% endkeep %}: see the module's docstring."""
    bits = token.split_contents()[1:]
    values = token_kwargs(bits, parser)
    if bits:
        raise template.TemplateSyntaxError("keep takes only name=value arguments")
    nodelist = parser.parse(("endkeep",))
    parser.delete_first_token()
    site = (parser.origin.name if parser.origin else "", token.lineno, token.contents)
    return KeepNode(site, values, nodelist)
