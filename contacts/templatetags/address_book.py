"""{% contact_for email as card %}: the requesting user's card holding an address;
{{ label|label_text }}: an address or phone label in the user's language."""
from django import template

from contacts.forms import LABEL_CHOICES
from contacts.models import Card

register = template.Library()


@register.simple_tag(takes_context=True)
def contact_for(context, email):
    request = context.get("request")
    if request is None or not request.user.is_authenticated or not email:
        return None
    # One query on the path of every message opened: the user's cards, not the book first.
    return (Card.objects.filter(book__user=request.user, deleted=False,
                                emails__email=email.strip().lower()[:254])
            .order_by("id").first())


@register.filter
def label_text(tag):
    return dict(LABEL_CHOICES).get(tag, tag)
