from django.conf import settings
from django.db import models

SECURITY_CHOICES = [("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", "None (loopback only)")]


class Domain(models.Model):
    """Which IMAP and SMTP servers serve one mail domain (logins user@name)."""

    name = models.CharField(max_length=253, unique=True,
                            help_text="The mail domain, e.g. example.org")
    imap_host = models.CharField(max_length=253)
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(max_length=10, choices=SECURITY_CHOICES, default="ssl")
    smtp_host = models.CharField(max_length=253)
    smtp_port = models.PositiveIntegerField(default=587)
    smtp_security = models.CharField(max_length=10, choices=SECURITY_CHOICES, default="starttls")
    active = models.BooleanField(default=True, help_text="Inactive domains cannot log in.")

    class Meta:
        ordering = ["name"]

    def save(self, *args, **kwargs):
        self.name = self.name.strip().lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return self.name


class LoginEvent(models.Model):
    """One login attempt, kept for the admin's audit."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Logged in"
        BAD_CREDENTIALS = "bad_credentials", "Wrong address or password"
        SERVER_UNAVAILABLE = "server_unavailable", "Mail server unreachable"
        THROTTLED = "throttled", "Refused: too many failures"
        UNKNOWN_DOMAIN = "unknown_domain", "Domain not served"
        LOGOUT = "logout", "Logged out"

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
