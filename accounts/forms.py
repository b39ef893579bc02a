import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .models import Identity, Preferences
from .preferences import UNDO_RANGE

LOGIN_ADDRESS_ERROR = "Enter your full email address, like name@example.org."


class LoginForm(forms.Form):
    """The login: the user name must be a plain mail address (it is the IMAP login name,
    and the throttle's key); the password is passed on as typed."""

    username = forms.CharField(
        label="Email address", max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email",
                                      "autocapitalize": "none", "autofocus": True}))
    password = forms.CharField(
        label="Password", max_length=1024, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def clean_username(self):
        address = self.cleaned_data["username"].strip().lower()
        # A quoted local part ("a b"@x) is valid mail syntax but no IMAP login name.
        if any(ch.isspace() or not ch.isprintable() or ch in '"\\' for ch in address):
            raise ValidationError(LOGIN_ADDRESS_ERROR)
        try:
            validate_email(address)
            local, _, domain = address.rpartition("@")
            # One spelling per domain (IDNA: fullwidth or accented forms become the ASCII
            # one), so the throttle and the Domain table see one name; no [1.2.3.4].
            domain = domain.encode("idna").decode("ascii").lower()
        except (ValidationError, UnicodeError):
            raise ValidationError(LOGIN_ADDRESS_ERROR) from None
        if domain.startswith("["):
            raise ValidationError(LOGIN_ADDRESS_ERROR)
        return f"{unicodedata.normalize('NFC', local)}@{domain}"


class IdentityForm(forms.ModelForm):
    """Add or edit an identity. The default identity's "Use as default" cannot be unticked:
    there is always one default, changed by making another identity the default."""

    class Meta:
        model = Identity
        fields = ["name", "email", "reply_to", "signature", "is_default"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
            "reply_to": forms.EmailInput(attrs={"autocapitalize": "none"}),
            "signature": forms.Textarea(attrs={"rows": 5, "spellcheck": "true"}),
        }
        help_texts = {"reply_to": "Optional: where replies should go, if not to this address."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_default:
            field = self.fields["is_default"]
            field.disabled = True
            field.help_text = ("This is your default. "
                               "Make another identity the default to change it.")

    def clean_name(self):
        name = self.cleaned_data["name"]
        if any(not ch.isprintable() for ch in name):
            raise ValidationError("The name cannot contain line breaks or control characters.")
        return name

    def clean_signature(self):
        text = self.cleaned_data["signature"].replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        # Heron adds the "-- " delimiter line itself; a pasted one would appear twice.
        if lines and lines[0].rstrip() == "--":
            lines = lines[1:]
        return "\n".join(line.rstrip() for line in lines).strip("\n")


class NameForm(forms.Form):
    """The name others see on the user's mail, asked once after the first login."""

    name = forms.CharField(label="Your name", max_length=200, error_messages={
                               "required": "Type the name people should see, or choose Not now."},
                           widget=forms.TextInput(attrs={"autocomplete": "name",
                                                         "autofocus": True}))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if any(not ch.isprintable() for ch in name):
            raise ValidationError("The name cannot contain line breaks or control characters.")
        return name


class PreferencesForm(forms.ModelForm):
    """Layout, row density, single-key shortcuts and the Undo send delay (Settings →
    Appearance and keys). A form without the delay keeps the one saved."""

    undo_seconds = forms.IntegerField(
        label="Undo send", required=False, min_value=UNDO_RANGE[0], max_value=UNDO_RANGE[1],
        help_text=f"Seconds a message waits after Send, while you can undo it "
                  f"({UNDO_RANGE[0]} to {UNDO_RANGE[1]}; 0 sends at once).",
        error_messages={key: f"Undo send takes {UNDO_RANGE[0]} to {UNDO_RANGE[1]} seconds."
                        for key in ("invalid", "min_value", "max_value")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}))

    class Meta:
        model = Preferences
        fields = ["layout", "density", "shortcuts", "undo_seconds"]
        widgets = {"layout": forms.RadioSelect, "density": forms.RadioSelect}

    def clean_undo_seconds(self):
        seconds = self.cleaned_data.get("undo_seconds")
        return self.instance.undo_seconds if seconds is None else seconds
