"""A card's vCard text from a CardDAV server into the Card row, through contacts/vcards.py.

The fields Heron shows, its addresses and phones are read from the text, and the text is
kept whole (contacts/cards.py saves both).
"""
from django.utils.translation import gettext as _

from . import cards, vcards
from .models import Card


class UnreadableCard(ValueError):
    pass


def parse(text):
    """The CardData of one card's text; UnreadableCard if it is no card Heron can keep."""
    if len(text) > vcards.MAX_CARD_CHARS:
        raise UnreadableCard(_("card larger than 2 MB"))
    try:
        data = vcards.data_from_component(vcards.parse_one(text))
        vcards.check_limits(1, data)
    except vcards.CardSyntaxError as error:
        raise UnreadableCard(error.message) from error
    return data


def with_uid(text, uid):
    """text with its UID replaced by uid (everything else kept)."""
    component = vcards.parse_one(text)
    data = vcards.data_from_component(component)
    data.uid = uid
    return vcards.serialize(vcards.update_component(component, data))


def store(card: Card, text, data=None):
    """Save card (of a server's book) with text as its vCard and the fields read from it;
    the card is level with the server afterwards (not dirty)."""
    component = vcards.parse_one(text)
    data = data or vcards.data_from_component(component)
    card.dirty = False
    return cards.save(card.book, data, card, component=component, from_server=True)


def store_edit(card: Card, text):
    """Save card with text as the user's own edit (to be written to the server)."""
    component = vcards.parse_one(text)
    return cards.save(card.book, vcards.data_from_component(component), card,
                      component=component)
