"""{% contact_for email as card %}: the requesting user's card holding an address;
{{ label|label_text }}: an address or phone label in the user's language."""
from django import template

from contacts.forms import LABEL_CHOICES
from contacts.known import sender_card

register = template.Library()


@register.simple_tag(takes_context=True)
def contact_for(context, email):
    request = context.get("request")
    if request is None or not request.user.is_authenticated or not email:
        return None
    return sender_card(request.user, email)  # kept in the shared cache


@register.filter
def label_text(tag):
    return dict(LABEL_CHOICES).get(tag, tag)
