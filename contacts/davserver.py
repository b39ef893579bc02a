"""Which CardDAV server holds the address books of a mail domain (set in the Domain admin)."""
import re
from urllib.parse import quote, urlsplit

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
