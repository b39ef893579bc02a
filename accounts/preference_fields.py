"""Every user preference in one table: its section, label, choices or range and default.

The Preferences model's columns, the Settings forms, the Domain admin's defaults and locks
and the resolution of a value (accounts/preferences.py) all read this table, so a setting's
choices are written once."""
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from webmail.imap.ordering import SORT_KEYS

# The sections of Settings, in page order: (key, heading).
SECTIONS = [("mailbox", _("Mailbox")), ("reading", _("Reading")), ("writing", _("Writing")),
            ("general", _("General"))]

_SORT_NAMES = {"date": _("Date"), "arrival": _("Arrival"), "from": _("Sender"),
               "to": _("Recipient"), "subject": _("Subject"), "size": _("Size")}


@dataclass(frozen=True)
class Setting:
    """One preference. choices: ((stored value, label), …); or, for a number without
    choices, span: (lowest, highest); kind: str, int or bool."""

    name: str
    section: str
    label: object
    default: object
    kind: type = str
    choices: tuple = ()
    span: tuple = ()
    help: object = ""
    widget: str = "select"  # "select", "radio" or "number"
    suffix: object = field(default="")

    @property
    def is_bool(self):
        return self.kind is bool

    def clean(self, value):
        """The stored form of value, or ValueError when it is not one of the setting's."""
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if value in ("on", "true", "1", 1, "True"):
                return True
            if value in ("off", "false", "0", 0, "False", "", None):
                return False
            raise ValueError(self.name)
        if self.kind is int:
            number = int(value)  # ValueError/TypeError for anything else
            if self.span and not self.span[0] <= number <= self.span[1]:
                raise ValueError(self.name)
        else:
            if not isinstance(value, str) or len(value) > 64:
                raise ValueError(self.name)
            number = value
        if self.choices and number not in {key for key, _label in self.all_choices()}:
            raise ValueError(self.name)
        return number

    def all_choices(self):
        return _zone_choices() if self.name == "zone" else self.choices

    def form_field(self, **kwargs):
        """A form field for this setting; kwargs pass on (required, disabled…)."""
        kwargs.setdefault("label", self.label)
        kwargs.setdefault("help_text", self.help)
        if self.kind is bool:
            return forms.BooleanField(required=False, **{k: v for k, v in kwargs.items()
                                                         if k != "required"})
        if self.choices:
            coerce = int if self.kind is int else str
            widget = forms.RadioSelect if self.widget == "radio" else forms.Select
            # "" is a choice of its own (the browser's language or zone), not "no answer".
            kwargs.setdefault("required", all(key != "" for key, _label in self.choices))
            return forms.TypedChoiceField(choices=self.all_choices(), coerce=coerce,
                                          widget=widget, empty_value="", **kwargs)
        low, high = self.span
        message = _("Enter a whole number from %(low)s to %(high)s.") % {
            "low": low, "high": high}
        return forms.IntegerField(
            min_value=low, max_value=high,
            error_messages={key: message for key in ("invalid", "min_value", "max_value",
                                                     "required")},
            widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}), **kwargs)


@cache
def _zone_choices():
    return (("", _("The browser's time zone")),
            *((zone, zone.replace("_", " ")) for zone in sorted(available_timezones())))


def _languages():
    return (("", _("The browser's language")),
            *((code, name) for code, name in settings.LANGUAGES))


SETTINGS = [
    # Mailbox
    Setting("per_page", "mailbox", _("Messages per page"), 50, int,
            choices=((25, "25"), (50, "50"), (100, "100"), (200, "200"))),
    Setting("sort", "mailbox", _("Sort by"), "date",
            choices=tuple((key, _SORT_NAMES[key]) for key in SORT_KEYS)),
    Setting("order", "mailbox", _("Order"), "desc",
            choices=(("desc", _("Newest or largest first")),
                     ("asc", _("Oldest or smallest first")))),
    Setting("conversations", "mailbox", _("Group messages into conversations"), False, bool),
    Setting("layout", "mailbox", _("Reading pane"), "right", widget="radio",
            choices=(("right", _("Reading pane on the right")),
                     ("below", _("Reading pane below the list")),
                     ("off", _("No reading pane (list, then message)")))),
    Setting("density", "mailbox", _("Rows"), "comfortable", widget="radio",
            choices=(("comfortable", _("Comfortable")), ("compact", _("Compact")))),
    Setting("check_seconds", "mailbox", _("Check for new mail"), 30, int,
            choices=((15, _("Every 15 seconds")), (30, _("Every 30 seconds")),
                     (60, _("Every minute")), (300, _("Every 5 minutes")),
                     (900, _("Every 15 minutes")), (0, _("Never (reload the page)"))),
            help=_("While a mail page is open and visible.")),
    # Reading
    Setting("remote_content", "reading", _("Images and other content from the web"),
            "trusted", widget="radio",
            choices=(("never", _("Never load it")),
                     ("ask", _("Ask each time")),
                     ("trusted", _("Load it from senders I trust, ask for others")),
                     ("always", _("Always load it"))),
            help=_("Content from the web tells a sender when and where you read their "
                   "mail.")),
    Setting("mark_read", "reading", _("Mark as read"), "now", widget="radio",
            choices=(("now", _("As soon as a message opens")),
                     ("delay", _("After the message has been open a while")),
                     ("never", _("Never (I mark messages myself)")))),
    Setting("mark_read_seconds", "reading", _("Seconds before marking as read"), 5, int,
            span=(1, 120), widget="number", suffix=_("seconds"),
            help=_("Used when Mark as read is set to after a while (1 to 120).")),
    Setting("prefer", "reading", _("Show messages as"), "html", widget="radio",
            choices=(("html", _("Formatted (HTML) where there is a formatted version")),
                     ("text", _("Plain text")))),
    # Writing
    Setting("compose_format", "writing", _("Write new messages as"), "text", widget="radio",
            choices=(("text", _("Plain text")), ("html", _("Rich text")))),
    Setting("reply_position", "writing", _("Write replies"), "above", widget="radio",
            choices=(("above", _("Above the quoted message")),
                     ("below", _("Below the quoted message")))),
    Setting("signature_position", "writing", _("Put the signature"), "reply", widget="radio",
            choices=(("reply", _("Right below my reply")),
                     ("end", _("At the end, below the quoted message")))),
    Setting("undo_seconds", "writing", _("Undo send"), 10, int, span=(0, 30),
            widget="number", suffix=_("seconds"),
            help=_("Seconds a message waits after Send, while you can undo it (0 to 30; "
                   "0 sends at once).")),
    Setting("ask_subject", "writing", _("Ask before sending a message without a subject"),
            True, bool),
    Setting("ask_attachment", "writing",
            _("Ask before sending when the text mentions an attachment but none is "
              "attached"), True, bool),
    # General
    Setting("language", "general", _("Language"), "", choices=_languages()),
    Setting("zone", "general", _("Time zone"), "", choices=(("", ""),),
            help=_("The browser's time zone follows you when you travel.")),
    Setting("time_format", "general", _("Time format"), "locale",
            choices=(("locale", _("As usual in my language")), ("24", _("24-hour (17:30)")),
                     ("12", _("12-hour (5:30 PM)")))),
    Setting("date_format", "general", _("Date format"), "locale",
            choices=(("locale", _("As usual in my language")),
                     ("dmy", _("Day, month, year (31/12/2026)")),
                     ("mdy", _("Month, day, year (12/31/2026)")),
                     ("iso", _("Year-month-day (2026-12-31)")))),
    Setting("shortcuts", "general", _("Single-key shortcuts"), True, bool,
            help=_("Keys such as j, k, e and # act at once. Turn off if you use speech input "
                   "or press keys by accident.")),
    Setting("theme", "general", _("Theme"), "system", widget="radio",
            choices=(("system", _("As the system is set")), ("light", _("Light")),
                     ("dark", _("Dark")))),
]

BY_NAME = {setting.name: setting for setting in SETTINGS}
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


def in_section(section):
    return [setting for setting in SETTINGS if setting.section == section]


def cleaned(values):
    """Of a {name: value} dict (a Domain's stored defaults), the known names with valid
    values, in stored form; anything else is dropped."""
    found = {}
    for name, value in (values or {}).items() if isinstance(values, dict) else ():
        setting = BY_NAME.get(name)
        if setting is None:
            continue
        try:
            found[name] = setting.clean(value)
        except (TypeError, ValueError):
            continue
    return found
