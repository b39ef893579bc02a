"""Which CardDAV server holds the address books of a mail domain (set in the Domain admin)."""
import hashlib
import re
from urllib.parse import quote, urlsplit

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

PLACEHOLDERS = ("{user}", "{local}", "{domain}")
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def validate_server_url(value):
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Enter an http:// or https:// address."))
    if any(ch in value for ch in "\r\n\0 ") or parts.username or parts.password:
        raise ValidationError(_("The address may hold no spaces, line breaks or login."))
    unknown = [p for p in _PLACEHOLDER.findall(value) if p not in PLACEHOLDERS]
    if unknown or any(p in parts.netloc for p in PLACEHOLDERS):
        raise ValidationError(_("Only {user}, {local} and {domain} may stand in the path."))


class CardDavServer(models.Model):
    """A Domain's CardDAV server: its users' address book is their book there."""

    domain = models.OneToOneField("accounts.Domain", on_delete=models.CASCADE,
                                  related_name="carddav")
    url = models.CharField(
        _("CardDAV address"), max_length=2000, validators=[validate_server_url],
        help_text=_("The address of each user's book, with {user} (the login address), "
                    "{local} (before the @) or {domain} (after it), e.g. "
                    "https://dav.example.org/{user}/contacts/ ; or the server's root, "
                    "e.g. https://dav.example.org/, to find the user's first book there. "
                    "Heron logs in as the user with the mail password."))

    class Meta:
        verbose_name = _("CardDAV server")
        verbose_name_plural = _("CardDAV server")

    def __str__(self):
        return self.url

    def needs_discovery(self):
        return not any(p in self.url for p in PLACEHOLDERS)

    def book_url(self, username):
        """The user's book URL from the template (None when the URL is a server root)."""
        if self.needs_discovery():
            return None
        local, _at, domain = username.partition("@")
        url = self.url
        for placeholder, value in (("{user}", username), ("{local}", local),
                                   ("{domain}", domain)):
            url = url.replace(placeholder, quote(value, safe="@"))
        return url if url.endswith("/") else url + "/"


CACHE_SECONDS = 300
CACHE_SHAPE = 1


def _cache_key(domain_name):
    digest = hashlib.sha256(domain_name.lower().encode("utf-8", "replace")).hexdigest()[:32]
    return f"heron:carddav-server:v{CACHE_SHAPE}:{digest}"


def server_of_domain(domain_name):
    """The CardDavServer of a mail domain (unsaved, its URL only), or None; asked of the
    database at most every CACHE_SECONDS per domain (suggestions ask on each keystroke).
    Saving the domain in admin forgets it (forget_server)."""
    if not domain_name:
        return None
    key = _cache_key(domain_name)
    url = cache.get(key)
    if not isinstance(url, str):
        url = (CardDavServer.objects.filter(domain__name=domain_name.lower())
               .values_list("url", flat=True).first() or "")
        cache.set(key, url, CACHE_SECONDS)
    return CardDavServer(url=url) if url else None


def forget_server(domain_name):
    cache.delete(_cache_key(domain_name))
