"""Groups on a CardDAV server: a group is a card of its own, vCard 4.0 KIND:group with
MEMBER lines, or in vCard 3.0 Apple's X-ADDRESSBOOKSERVER-KIND/-MEMBER (what most servers
and clients use with 3.0). Members are named by their UID as urn:uuid:…
"""
from . import vcards
from .models import Card, Group

MEMBER_PREFIX = "urn:uuid:"
_KIND = {"4.0": ("KIND", "MEMBER"),
         "3.0": ("X-ADDRESSBOOKSERVER-KIND", "X-ADDRESSBOOKSERVER-MEMBER")}


def member_ref(uid):
    return uid if uid.startswith(MEMBER_PREFIX) else MEMBER_PREFIX + uid


def _component(group):
    if group.vcard:
        try:
            return vcards.parse_one(group.vcard)
        except vcards.CardSyntaxError:
            pass  # rebuilt from the group's name and members below
    return vcards.new_component(group.uid)


def _drop(component, *names):
    for line in [line for line in component.getChildren() if line.name in names]:
        component.remove(line)


def text_of(group):
    """The group's vCard text: its stored text with FN, kind and members brought up to
    date (other lines kept)."""
    return _filled(_component(group), group)


def text_as(group, version):
    """The group's vCard text as vCard `version` ("3.0" or "4.0"), for an export: the
    kind and member lines take that version's names."""
    return _filled(vcards.convert(_component(group), version), group)


def _filled(component, group):
    kind, member = _KIND[vcards.version_of(component)]
    _drop(component, "FN", "KIND", "MEMBER", "X-ADDRESSBOOKSERVER-KIND",
          "X-ADDRESSBOOKSERVER-MEMBER")
    component.add("fn").value = vcards.escape(group.name)
    if not [line for line in component.getChildren() if line.name == "N"]:
        component.add("n").value = vcards.escape(group.name) + ";;;;"
    component.add(kind.lower()).value = "group"
    for uid in group.members.order_by("id").values_list("uid", flat=True):
        component.add(member.lower()).value = member_ref(uid)
    return vcards.serialize(component)


def take(book, group, href, etag, text, data):
    """A group card from the server comes in: name, members (cards of the book whose UID
    it names) and its text; returns the Group."""
    if group is None:
        group = Group.objects.filter(book=book, uid=data.uid).first() if data.uid else None
    if group is None:
        group = Group(book=book, uid=data.uid)
    group.name = (data.full_name or data.uid or "?")[:200]
    group.vcard, group.href, group.etag = text, href, etag
    group.dirty = group.deleted = False
    group.save()
    wanted = {ref.removeprefix(MEMBER_PREFIX) for ref in data.members} | set(data.members)
    group.members.set(Card.objects.filter(book=book, uid__in=wanted, conflict_of=None))
    return group

