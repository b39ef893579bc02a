"""The XML of WebDAV/CardDAV: request bodies built, multistatus answers read.

Answers come from a server Heron does not control, so they are parsed with defusedxml with
DTDs forbidden outright (entity bombs and external entities need a DTD), never with the
standard library's parser alone.
"""
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

from .davhttp import CardDavError

DAV = "DAV:"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
CS = "http://calendarserver.org/ns/"


def q(namespace, name):
    return f"{{{namespace}}}{name}"


GETETAG = q(DAV, "getetag")
SYNC_TOKEN = q(DAV, "sync-token")
GETCTAG = q(CS, "getctag")
RESOURCETYPE = q(DAV, "resourcetype")
SUPPORTED_REPORTS = q(DAV, "supported-report-set")
PRINCIPAL = q(DAV, "current-user-principal")
HOME_SET = q(CARDDAV, "addressbook-home-set")
ADDRESS_DATA = q(CARDDAV, "address-data")
ADDRESSBOOK = q(CARDDAV, "addressbook")
SYNC_COLLECTION = q(DAV, "sync-collection")


@dataclass
class Item:
    """One <response>: its href, its status when it has no properties (404 in a sync),
    and the properties found (200 propstat), as elements by tag."""
    href: str
    status: int | None = None
    props: dict = field(default_factory=dict)

    def text(self, tag):
        element = self.props.get(tag)
        return (element.text or "").strip() if element is not None else ""

    def child_hrefs(self, tag):
        element = self.props.get(tag)
        if element is None:
            return []
        return [(href.text or "").strip() for href in element.iter(q(DAV, "href"))]


@dataclass
class Multistatus:
    items: list
    sync_token: str = ""


def _status_code(element):
    text = (element.findtext(q(DAV, "status")) or "").split()
    return int(text[1]) if len(text) > 1 and text[1].isdigit() else None


def _unreadable():
    return CardDavError(_("The address book server sent an answer Heron cannot read."))


def parse_multistatus(body):
    """The <multistatus> of a 207 answer. Raises CardDavError for anything else."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise _unreadable() from error
    if root.tag != q(DAV, "multistatus"):
        raise _unreadable()
    items = []
    for response in root.findall(q(DAV, "response")):
        item = Item(href=(response.findtext(q(DAV, "href")) or "").strip(),
                    status=_status_code(response))
        for propstat in response.findall(q(DAV, "propstat")):
            if _status_code(propstat) != 200:
                continue
            for prop in propstat.findall(q(DAV, "prop")):
                for element in prop:
                    item.props[element.tag] = element
        items.append(item)
    return Multistatus(items, (root.findtext(SYNC_TOKEN) or "").strip())


def _document(root):
    return tostring(root, encoding="utf-8", xml_declaration=True)


def propfind(*tags):
    root = Element(q(DAV, "propfind"))
    prop = SubElement(root, q(DAV, "prop"))
    for tag in tags:
        SubElement(prop, tag)
    return _document(root)


def sync_collection(token):
    root = Element(SYNC_COLLECTION)
    SubElement(root, SYNC_TOKEN).text = token or ""
    SubElement(root, q(DAV, "sync-level")).text = "1"
    SubElement(SubElement(root, q(DAV, "prop")), GETETAG)
    return _document(root)


def multiget(hrefs):
    root = Element(q(CARDDAV, "addressbook-multiget"))
    prop = SubElement(root, q(DAV, "prop"))
    SubElement(prop, GETETAG)
    SubElement(prop, ADDRESS_DATA)
    for href in hrefs:
        SubElement(root, q(DAV, "href")).text = href
    return _document(root)


def reports_of(item):
    """The REPORT names (as tags) a collection says it supports."""
    element = item.props.get(SUPPORTED_REPORTS)
    if element is None:
        return set()
    found = set()
    for report in element.iter(q(DAV, "report")):
        found.update(child.tag for child in report)
    return found


def is_addressbook(item):
    element = item.props.get(RESOURCETYPE)
    return element is not None and element.find(ADDRESSBOOK) is not None
