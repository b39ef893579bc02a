"""A small CardDAV client (RFC 6352, sync by RFC 6578): one user's one address book.

Every href that comes back is checked before use: on the book's own server, under the
book's path, no CR/LF/NUL. Errors of any kind are CardDavError, whose text is for the user.
"""
import re
import uuid
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit

from django.utils.translation import gettext as _

from . import davxml
from .davhttp import CardDavError, Rejected, TooLarge, Wire, origin

# The characters a path segment keeps unescaped; everything else is %-encoded, so that one
# href has one spelling whatever the server sent (Radicale sends "@" as "%40").
_SAFE = "/:@!$&'()*+,;=-._~"
MULTIGET_BATCH = 50
_UID_HREF = re.compile(r"[A-Za-z0-9._-]{1,100}")

__all__ = ["CardDavClient", "CardDavError", "Conflict", "Changes", "RemoteCard", "discover"]


class Conflict(CardDavError):
    """The card changed on the server since Heron read it (412), or exists already."""


@dataclass(frozen=True)
class RemoteCard:
    href: str
    etag: str
    vcard: str


@dataclass(frozen=True)
class Changes:
    """What changed on the server: {href: etag} changed or new, hrefs removed. complete:
    changed holds every card of the book (a first or fallback listing), so any card Heron
    knows that is not in it was deleted on the server."""
    changed: dict
    removed: list
    token: str
    complete: bool


def canonical_path(path):
    return quote(unquote(path), safe=_SAFE)


def _text(answer):
    return answer.body.decode("utf-8", "replace")


class CardDavClient:
    """Speaks to the book at book_url. Use as a context manager around one sync."""

    def __init__(self, book_url, username, password, *, seconds=10, max_bytes=2_000_000):
        if not book_url.endswith("/"):
            book_url += "/"
        self.book_url = book_url
        self.book_path = canonical_path(urlsplit(book_url).path)
        self.origin = origin(book_url)
        self._wire = Wire(username, password, seconds=seconds, max_bytes=max_bytes)
        self.too_large = 0  # cards left on the server for being over the size limit

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._wire.__exit__(*exc)

    # -- hrefs --------------------------------------------------------------------------

    def href_of(self, raw):
        """The canonical path of an href the server sent, or None when it is not a card of
        this book (another server, outside the book's path, control characters)."""
        if not raw or any(ch in raw for ch in "\r\n\0") or len(raw) > 2000:
            return None
        absolute = urljoin(self.book_url, raw)
        if origin(absolute) != self.origin:
            return None
        path = canonical_path(urlsplit(absolute).path)
        if not path.startswith(self.book_path) or path == self.book_path or "/../" in path:
            return None
        return path

    def url_of(self, href):
        return urljoin(self.book_url, href)

    def new_href(self, uid):
        name = uid if _UID_HREF.fullmatch(uid or "") else uuid.uuid4().hex
        return f"{self.book_path}{name}.vcf"

    # -- exchanges ----------------------------------------------------------------------

    def _dav(self, method, url, body, depth):
        answer = self._wire.send(method, url, body, {
            "Content-Type": "application/xml; charset=utf-8", "Depth": depth})
        if answer.status != 207:
            raise Rejected(_("The address book server refused the request (HTTP %(status)s).")
                           % {"status": answer.status}, answer.status)
        if answer.content_type() not in ("application/xml", "text/xml"):
            raise CardDavError(_("The address book server sent an answer Heron cannot read."))
        return davxml.parse_multistatus(answer.body)

    def state(self):
        """(ctag, sync token or "", whether the book offers sync-collection)."""
        found = self._dav("PROPFIND", self.book_url, davxml.propfind(
            davxml.GETCTAG, davxml.SYNC_TOKEN, davxml.SUPPORTED_REPORTS, davxml.RESOURCETYPE),
            "0")
        if not found.items or not davxml.is_addressbook(found.items[0]):
            raise CardDavError(_("The address book server has no address book at this address."))
        item = found.items[0]
        return (item.text(davxml.GETCTAG), item.text(davxml.SYNC_TOKEN),
                davxml.SYNC_COLLECTION in davxml.reports_of(item))

    def sync(self, token):
        """Changes since token (RFC 6578); an empty token lists the whole book. Raises
        Rejected (403/409) when the server no longer knows the token."""
        found = self._dav("REPORT", self.book_url, davxml.sync_collection(token), "1")
        changed, removed = {}, []
        for item in found.items:
            href = self.href_of(item.href)
            if href is None:
                continue
            if item.status == 404:
                removed.append(href)
            elif item.text(davxml.GETETAG):
                changed[href] = item.text(davxml.GETETAG)
        return Changes(changed, removed, found.sync_token, complete=not token)

    def listing(self):
        """Every card of the book with its ETag (the fallback without sync-collection)."""
        found = self._dav("PROPFIND", self.book_url,
                          davxml.propfind(davxml.GETETAG, davxml.RESOURCETYPE), "1")
        changed = {}
        for item in found.items:
            href = self.href_of(item.href)
            if href is not None and item.text(davxml.GETETAG):
                changed[href] = item.text(davxml.GETETAG)
        return Changes(changed, [], "", complete=True)

    def fetch(self, hrefs):
        """The cards at these hrefs (addressbook-multiget), in batches; a card gone since
        is left out."""
        hrefs = list(hrefs)
        cards = []
        for start in range(0, len(hrefs), MULTIGET_BATCH):
            batch = hrefs[start:start + MULTIGET_BATCH]
            try:
                found = self._dav("REPORT", self.book_url, davxml.multiget(batch), "1")
            except TooLarge:
                # Cards with large photos: one at a time, each within the limit; a card
                # larger than the limit on its own is left on the server (counted).
                cards.extend(self._one_by_one(batch))
                continue
            for item in found.items:
                href = self.href_of(item.href)
                data = item.text(davxml.ADDRESS_DATA)
                if href is not None and data and item.status in (None, 200):
                    cards.append(RemoteCard(href, item.text(davxml.GETETAG), data))
        return cards

    def _one_by_one(self, hrefs):
        for href in hrefs:
            try:
                found = self.get(href)
            except TooLarge:
                self.too_large += 1
                continue
            if found is not None:
                yield RemoteCard(href, found[1], found[0])

    def put(self, href, vcard, etag=None):
        """Write the card: over the version etag (If-Match), or as new (If-None-Match: *).
        Returns the new ETag. Raises Conflict when the server's card is not that version."""
        headers = {"Content-Type": "text/vcard; charset=utf-8"}
        if etag:
            headers["If-Match"] = etag
        else:
            headers["If-None-Match"] = "*"
        answer = self._wire.send("PUT", self.url_of(href), vcard.encode("utf-8"), headers)
        if answer.status == 412:
            raise Conflict(_("The card was changed on the address book server meanwhile."))
        if answer.status not in (200, 201, 204):
            raise Rejected(_("The address book server refused the card (HTTP %(status)s).")
                           % {"status": answer.status}, answer.status)
        new_etag = answer.headers.get("etag", "")
        if not new_etag:
            found = self._dav("PROPFIND", self.url_of(href), davxml.propfind(davxml.GETETAG), "0")
            new_etag = found.items[0].text(davxml.GETETAG) if found.items else ""
        return new_etag

    def delete(self, href, etag):
        """Delete the card if it is still version etag; a card already gone is fine.
        Raises Conflict when the server's card changed meanwhile."""
        headers = {"If-Match": etag} if etag else {}
        answer = self._wire.send("DELETE", self.url_of(href), b"", headers)
        if answer.status == 412:
            raise Conflict(_("The card was changed on the address book server meanwhile."))
        if answer.status not in (200, 204, 404, 410):
            raise Rejected(_("The address book server refused to delete the card "
                             "(HTTP %(status)s).") % {"status": answer.status}, answer.status)

    def get(self, href):
        """(vcard, etag) of one card, or None when it is gone."""
        answer = self._wire.send("GET", self.url_of(href))
        if answer.status in (404, 410):
            return None
        if answer.status != 200:
            raise Rejected(_("The address book server refused the request (HTTP %(status)s).")
                           % {"status": answer.status}, answer.status)
        return _text(answer), answer.headers.get("etag", "")


def discover(server_url, username, password, *, seconds=10, max_bytes=2_000_000):
    """The URL of the user's first address book on the server at server_url: its
    /.well-known/carddav (or its root), the user's principal, the principal's address-book
    home, the first address book there. Raises CardDavError."""
    base = server_url if server_url.endswith("/") else server_url + "/"
    with Wire(username, password, seconds=seconds, max_bytes=max_bytes) as wire:
        def props(url, depth, *tags):
            answer = wire.send("PROPFIND", url, davxml.propfind(*tags),
                               {"Content-Type": "application/xml; charset=utf-8",
                                "Depth": depth})
            if answer.status != 207:
                return None
            return davxml.parse_multistatus(answer.body)

        def same_origin(raw):
            url = urljoin(base, raw)
            if not raw or any(ch in raw for ch in "\r\n\0") or origin(url) != origin(base):
                raise CardDavError(_("The address book server sent Heron to another server."))
            return url

        principal = None
        for start in (urljoin(base, "/.well-known/carddav"), base):
            found = props(start, "0", davxml.PRINCIPAL)
            hrefs = found.items[0].child_hrefs(davxml.PRINCIPAL) if found and found.items else []
            if hrefs:
                principal = same_origin(hrefs[0])
                break
        if principal is None:
            raise CardDavError(_("The address book server does not say where your books are."))
        found = props(principal, "0", davxml.HOME_SET)
        homes = found.items[0].child_hrefs(davxml.HOME_SET) if found and found.items else []
        home = same_origin(homes[0]) if homes else principal
        found = props(home, "1", davxml.RESOURCETYPE)
        for item in (found.items if found else []):
            if davxml.is_addressbook(item):
                return same_origin(item.href)
    raise CardDavError(_("The address book server has no address book for you."))
