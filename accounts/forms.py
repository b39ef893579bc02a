import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from . import preference_fields
from .models import Domain, Identity

LOGIN_ADDRESS_ERROR = _("Enter your full email address, like name@example.org.")


class LoginForm(forms.Form):
    """The login: the user name must be a plain mail address (it is the IMAP login name,
    and the throttle's key); the password is passed on as typed."""

    username = forms.CharField(
        label=_("Email address"), max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email",
                                      "autocapitalize": "none", "autofocus": True}))
    password = forms.CharField(
        label=_("Password"), max_length=1024, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def clean_username(self):
        address = self.cleaned_data["username"].strip().lower()
        # A quoted local part ("a b"@x) is valid mail syntax but no IMAP login name.
        if any(ch.isspace() or not ch.isprintable() or ch in '"\\' for ch in address):
            raise ValidationError(LOGIN_ADDRESS_ERROR)
        try:
            validate_email(address)
            local, _at, domain = address.rpartition("@")
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
        help_texts = {"reply_to": _("Optional: where replies should go, if not to this address.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_default:
            field = self.fields["is_default"]
            field.disabled = True
            field.help_text = _("This is your default. "
                                "Make another identity the default to change it.")

    def clean_name(self):
        name = self.cleaned_data["name"]
        if any(not ch.isprintable() for ch in name):
            raise ValidationError(_("The name cannot contain line breaks or control characters."))
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

    name = forms.CharField(label=_("Your name"), max_length=200, error_messages={
                               "required": _("Type the name people should see, or choose "
                                             "Not now.")},
                           widget=forms.TextInput(attrs={"autocomplete": "name",
                                                         "autofocus": True}))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if any(not ch.isprintable() for ch in name):
            raise ValidationError(_("The name cannot contain line breaks or control characters."))
        return name


class PreferencesForm(forms.Form):
    """One section of Settings (preference_fields.SECTIONS), from the same table as the
    stored values. A setting the domain locks is a disabled field: what a POST says for it
    is ignored, and the page says who set it."""

    def __init__(self, section, shown, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.section = section
        self.locked = []
        for setting in preference_fields.in_section(section):
            locked = setting.name in shown.locked
            self.fields[setting.name] = setting.form_field(disabled=locked)
            self.fields[setting.name].setting = setting
            self.initial[setting.name] = shown[setting.name]
            if locked:
                self.locked.append(setting.name)

    def chosen(self):
        """{name: value} of the settings the user may change."""
        return {name: value for name, value in self.cleaned_data.items()
                if name not in self.locked}


UNSET = "-"


def _default_field(setting):
    label = _("Default: %(setting)s") % {"setting": setting.label}
    if setting.span and not setting.choices:
        low, high = setting.span
        return forms.IntegerField(label=label, required=False, min_value=low,
                                  max_value=high, help_text=_("Empty: Heron's default."))
    choices = (((("1", _("On")), ("0", _("Off")))) if setting.is_bool
               else tuple((str(key), text) for key, text in setting.all_choices()))
    return forms.ChoiceField(label=label, required=False,
                             choices=((UNSET, _("Heron's default")), *choices))


def _lock_field(setting):
    return forms.BooleanField(label=_("Lock %(setting)s") % {"setting": setting.label},
                              required=False,
                              help_text=_("Users see this setting but cannot change it."))


class _DomainForm(forms.ModelForm):
    """The Domain admin, with a default and a lock for every user preference
    (preference_fields): a default is what users of the domain start from; a locked
    setting is fixed at the default (or Heron's own) and shown read-only to users."""

    class Meta:
        model = Domain
        exclude = ["preference_defaults", "preference_locks"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = preference_fields.cleaned(self.instance.preference_defaults)
        locks = self.instance.preference_locks or []
        for setting in preference_fields.SETTINGS:
            if setting.name in stored:
                value = stored[setting.name]
                self.initial[f"default_{setting.name}"] = (
                    ("1" if value else "0") if setting.is_bool else value)
            self.initial[f"lock_{setting.name}"] = setting.name in locks

    def clean(self):
        data = super().clean()
        defaults = {}
        for setting in preference_fields.SETTINGS:
            value = data.get(f"default_{setting.name}")
            # Not sent at all (a form of before these fields) is "not set" too.
            if value in (None, UNSET) or f"default_{setting.name}" not in self.data:
                continue
            try:
                defaults[setting.name] = setting.clean(
                    value == "1" if setting.is_bool else value)
            except (TypeError, ValueError):
                self.add_error(f"default_{setting.name}", _("Choose one of the options."))
        self.instance.preference_defaults = defaults
        self.instance.preference_locks = [setting.name for setting in preference_fields.SETTINGS
                                          if data.get(f"lock_{setting.name}")]
        return data


# Declared on the class (not added in __init__), as the admin's fieldsets need them.
DomainPreferencesForm = type(_DomainForm)("DomainPreferencesForm", (_DomainForm,), {
    "__module__": __name__,
    **{f"default_{s.name}": _default_field(s) for s in preference_fields.SETTINGS},
    **{f"lock_{s.name}": _lock_field(s) for s in preference_fields.SETTINGS}})
