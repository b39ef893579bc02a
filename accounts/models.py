import hashlib
from email.headerregistry import Address

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .routing import validate_host, validate_route_pattern
from .senders import validate_allowed_senders

SECURITY_CHOICES = [("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", "None (loopback only)")]
SIEVE_SECURITY_CHOICES = [("starttls-if-offered", _("STARTTLS when offered")),
                          ("starttls", "STARTTLS"), ("ssl", "SSL/TLS"),
                          ("none", _("None (loopback only)"))]
SIEVE_FOLDER_CHOICES = [("utf-8", _("UTF-8 (the standard; Dovecot)")),
                        ("utf-7", _("Modified UTF-7 (Cyrus, unless sieve_utf8fileinto is on)"))]


class Domain(models.Model):
    """Which IMAP and SMTP servers serve one mail domain (logins user@name)."""

    name = models.CharField(max_length=253, unique=True,
                            help_text=_("The mail domain, e.g. example.org"))
    imap_host = models.CharField(max_length=253)
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(max_length=10, choices=SECURITY_CHOICES, default="ssl")
    smtp_host = models.CharField(max_length=253)
    smtp_port = models.PositiveIntegerField(default=587)
    smtp_security = models.CharField(max_length=10, choices=SECURITY_CHOICES, default="starttls")
    sieve_host = models.CharField(
        _("ManageSieve host"), max_length=253, blank=True,
        help_text=_("The server where users' filters and vacation replies are kept; blank: "
                    "the IMAP host."))
    sieve_port = models.PositiveIntegerField(
        _("ManageSieve port"), default=4190,
        help_text=_("Usually 4190. 0: this domain has no ManageSieve server, and Filters "
                    "says that filters are not available."))
    sieve_security = models.CharField(_("ManageSieve security"), max_length=20,
                                      choices=SIEVE_SECURITY_CHOICES,
                                      default="starttls-if-offered")
    sieve_folder_encoding = models.CharField(
        _("Folder names in Sieve scripts"), max_length=8, choices=SIEVE_FOLDER_CHOICES,
        default="utf-8",
        help_text=_("How the server reads folder names in filters: Cyrus wants modified "
                    "UTF-7 unless its imapd.conf has sieve_utf8fileinto: yes."))
    active = models.BooleanField(default=True, help_text=_("Inactive domains cannot log in."))
    allowed_senders = models.TextField(
        _("Addresses users may send as"), blank=True, validators=[validate_allowed_senders],
        help_text=_("One a line, usable by every user of this domain without confirming it: "
                    "an address (sales@example.org), any address at a domain (*@example.org), "
                    "or the user's own name at another domain ({local}@example.net). Users "
                    "can always send as their login address, and as an address they confirm "
                    "by a link mailed to it."))
    trusted_relay = models.BooleanField(
        _("Send without SMTP login"), default=False,
        help_text=_("Only for an SMTP server that offers no login (AUTH) and accepts mail from "
                    "Heron's address alone. Heron then sends without logging in, and that "
                    "server cannot check who is sending: a user could send as anyone unless "
                    "the server itself restricts senders. Leave off unless that is intended; "
                    "when it is off, Heron refuses to send through a server that offers no "
                    "login."))

    # Settings every user of the domain starts from ({name: value}), and the names users
    # cannot change (accounts/preference_fields.py; the Domain admin checks both).
    preference_defaults = models.JSONField(default=dict, blank=True)
    preference_locks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def save(self, *args, **kwargs):
        self.name = self.name.strip().lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return self.name


class Route(models.Model):
    """Where one user's mail lives, or the mail of the users a pattern names, ahead of their
    Domain: for a mailbox moved to another server, or a domain split over several."""

    pattern = models.CharField(
        max_length=254, unique=True, validators=[validate_route_pattern],
        help_text=_("A login (frank@example.org), or a pattern where * stands for any "
                    "characters and ? for one (a*@example.org, *@sales.example.org). An "
                    "exact login wins over a pattern, and a longer pattern over a shorter."))
    imap_host = models.CharField(max_length=253, validators=[validate_host])
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(max_length=10, choices=SECURITY_CHOICES, default="ssl")
    smtp_host = models.CharField(
        max_length=253, blank=True, validators=[validate_host],
        help_text=_("Blank: the SMTP server of the user's domain."))
    smtp_port = models.PositiveIntegerField(default=587)
    smtp_security = models.CharField(max_length=10, choices=SECURITY_CHOICES,
                                     default="starttls")
    sieve_host = models.CharField(
        _("ManageSieve host"), max_length=253, blank=True, validators=[validate_host],
        help_text=_("Blank: the IMAP host above (filters live with the mailbox)."))
    sieve_port = models.PositiveIntegerField(
        _("ManageSieve port"), default=4190,
        help_text=_("0: no ManageSieve server; Filters says filters are not available."))
    sieve_security = models.CharField(_("ManageSieve security"), max_length=20,
                                      choices=SIEVE_SECURITY_CHOICES,
                                      default="starttls-if-offered")
    sieve_folder_encoding = models.CharField(
        _("Folder names in Sieve scripts"), max_length=8, blank=True,
        choices=SIEVE_FOLDER_CHOICES, help_text=_("Blank: as the user's domain says."))
    note = models.CharField(max_length=200, blank=True,
                            help_text=_("For operators, e.g. why and until when."))

    class Meta:
        ordering = ["pattern"]

    def clean_fields(self, exclude=None):
        # Before the uniqueness check, which would otherwise pass "Frank@..." beside "frank@...".
        self.pattern = (self.pattern or "").strip().lower()
        super().clean_fields(exclude)

    def save(self, *args, **kwargs):
        self.pattern = self.pattern.strip().lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return self.pattern


class LoginEvent(models.Model):
    """One login attempt, kept for the admin's audit."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Logged in")
        BAD_CREDENTIALS = "bad_credentials", _("Wrong address or password")
        SERVER_UNAVAILABLE = "server_unavailable", _("Mail server unreachable")
        THROTTLED = "throttled", _("Refused: too many failures")
        UNKNOWN_DOMAIN = "unknown_domain", _("Domain not served")
        LOGOUT = "logout", _("Logged out")

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=254, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="login_events")
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.username} {self.outcome} {self.created:%Y-%m-%d %H:%M}"


class TrustedSender(models.Model):
    """A sender whose remote images a user chose to always show."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="trusted_senders")
    email = models.EmailField(max_length=254)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "email"],
                                               name="one_trust_per_sender")]

    def __str__(self):
        return f"{self.user} trusts {self.email}"


SIGNATURE_MAX_LENGTH = 10_000


class Identity(models.Model):
    """A From address a user sends as: display name, address, Reply-To and signature."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="identities")
    name = models.CharField(_("Name"), max_length=200, blank=True)
    email = models.EmailField(_("Email address"), max_length=254)
    reply_to = models.EmailField(_("Reply-To"), max_length=254, blank=True)
    signature = models.TextField(_("Signature"), max_length=SIGNATURE_MAX_LENGTH, blank=True,
                                 help_text=_("Plain text, added below your messages."))
    is_default = models.BooleanField(_("Use as default"), default=False)
    created = models.DateTimeField(auto_now_add=True)
    # The address the user confirmed by the link mailed to it. The identity is confirmed
    # while it still sends as that address: changing the address undoes it.
    confirmed_email = models.EmailField(max_length=254, blank=True, editable=False)
    # Bound into the link last mailed; a new link or a confirmation replaces it, so every
    # link works once and only the latest one works.
    confirm_nonce = models.CharField(max_length=32, blank=True, editable=False)
    confirm_sent = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-is_default", "created", "id"]
        verbose_name_plural = _("identities")
        constraints = [models.UniqueConstraint(fields=["user"], condition=models.Q(is_default=True),
                                               name="one_default_identity_per_user")]

    def from_address(self):
        return Address(display_name=self.name, addr_spec=self.email)

    def is_confirmed(self):
        """Whether the user confirmed this identity's present address."""
        return bool(self.email) and self.confirmed_email.lower() == self.email.strip().lower()

    def signature_block(self):
        """What goes below a message body: the "-- " delimiter line, then the signature."""
        return f"\n\n-- \n{self.signature}" if self.signature else ""

    def __str__(self):
        return str(self.from_address())


class Contact(models.Model):
    """Someone a user has exchanged mail with, remembered to suggest recipients."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="contacts")
    email = models.CharField(max_length=254, help_text=_("Stored in lower case."))
    name = models.CharField(max_length=200, blank=True)
    times = models.PositiveIntegerField(default=1, help_text=_("How often this address was seen."))
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["-times", "-last_seen"]
        constraints = [models.UniqueConstraint(fields=["user", "email"],
                                               name="one_contact_per_address")]
        indexes = [models.Index(fields=["user", "last_seen"], name="contact_user_last_seen")]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.name else self.email


class UserSession(models.Model):
    """One logged-in session, recorded so an operator can list a user's sessions and end them.

    The session store cannot list one user's sessions (Redis holds them by key alone), so a
    login records a row and a logout removes it (accounts/sessions.py).

    session_key is the raw key, because ending a session means deleting it from the store,
    which is addressed by that key; a hash could list sessions but never end one. The key
    is a bearer credential, so it is never shown: admin shows fingerprint() instead, and
    the row goes away with the session (logout, "sign out everywhere", prune_sessions). It
    adds no new kind of exposure: the session store holds the same keys in the clear (Redis
    key names, or django_session rows), and a key alone does not open the mailbox, whose
    password needs the vault key in the user's own cookie.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="sessions")
    session_key = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(
        db_index=True, help_text=_("Updated at most every few minutes, not on every request."))
    client_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = _("active session")

    def fingerprint(self):
        """A short, harmless name for the session: the start of the key's SHA-256."""
        return hashlib.sha256(self.session_key.encode("ascii")).hexdigest()[:12]

    def __str__(self):
        return f"{self.user} session {self.fingerprint()}"


class Preferences(models.Model):
    """How Heron looks and behaves for one user, on every frontend and device.

    chosen holds only the settings the user set ({name: value}, as
    accounts/preference_fields.py defines them); any other follows the domain's default,
    else Heron's (see accounts/preferences.py)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="preferences")
    chosen = models.JSONField(default=dict, blank=True)
    # Where the divider between the list and the reading pane was dragged to: the list's
    # share of the width (pane on the right) or of the height (pane below), in percent.
    list_share = models.PositiveSmallIntegerField(default=50)
    # The IANA time zone the browser last reported, for Send later and Snooze when the
    # user keeps the browser's zone.
    time_zone = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return gettext("Preferences of %(user)s") % {"user": self.user}
