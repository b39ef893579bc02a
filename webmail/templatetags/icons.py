from functools import lru_cache

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()
# Icons that point somewhere: a right-to-left page mirrors them (.icon-directional in heron.css).
DIRECTIONAL = frozenset({
    "arrow-left", "arrow-right", "chevron-left", "chevron-right", "reply", "reply-all",
    "forward", "undo-2", "log-out", "send", "external-link",
})


@register.simple_tag
@lru_cache(maxsize=256)
def icon(name, css_class=""):
    """An icon from static/icons/sprite.svg, hidden from assistive technology.

    The control around it carries the accessible name (its text or aria-label). Kept per
    (name, class): the sprite's URL is the same for every request of a process, and a page
    draws dozens of icons.
    """
    classes = " ".join(filter(None, [
        "icon", "icon-directional" if name in DIRECTIONAL else "", css_class]))
    return format_html('<svg class="{}" aria-hidden="true" focusable="false">'
                       '<use href="{}#{}"></use></svg>', classes, static("icons/sprite.svg"), name)
