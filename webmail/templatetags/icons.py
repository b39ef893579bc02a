from django import template
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def icon(name, css_class=""):
    """An icon from static/icons/sprite.svg, hidden from assistive technology.

    The control around it carries the accessible name (its text or aria-label).
    """
    classes = f"icon {css_class}".strip()
    return format_html('<svg class="{}" aria-hidden="true" focusable="false">'
                       '<use href="{}#{}"></use></svg>', classes, static("icons/sprite.svg"), name)
