from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django import forms
from django.core.exceptions import BadRequest
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from attachments.models import DRAFT_ID

from . import schedule, snooze
from .imap.search import SearchQuery, parse_words
from .imap.session import SORT_KEYS
from .params import (
    BAD_FOLDER,
    FIRST_DATE,
    LAST_DATE,
    check_folder_name,
    pick_value,
    uid_value,
    without_controls,
)
from .zones import zone_named

# The sort orders the IMAP layer offers (SORT_KEYS), with their names on the page: a key
# without a name stops start-up here.
_SORT_NAMES = {"date": _("Date"), "arrival": _("Arrival"), "from": _("Sender"),
               "to": _("Recipient"), "subject": _("Subject"), "size": _("Size")}
SORT_CHOICES = [(key, _SORT_NAMES[key]) for key in SORT_KEYS]
SEARCH_SCOPES = [("all", _("Everything")), ("subject", _("Subject")), ("from", _("From")),
                 ("to", _("To or Cc")), ("body", _("Message text"))]


class FolderField(forms.CharField):
    """A folder name as a request names it: checked by check_folder_name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("strip", False)
        super().__init__(validators=[check_folder_name], **kwargs)


# Queries worked out in this process, per form and request data (query_of).
KEPT_QUERIES = 2048
_KEPT_QUERY_CHARACTERS = 500


@lru_cache(maxsize=KEPT_QUERIES)
def _kept_query(form_class, items):
    data = QueryDict(mutable=True)
    for name, values in items:
        data.setlist(name, list(values))
    return form_class(data).query()


class FolderPageForm(forms.Form):
    """Which folder, page and order a list shows; bad values fall back to the defaults,
    except a folder name that is not one (a clear 400: the request was made up)."""

    mailbox = FolderField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10**7)
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)
    order = forms.ChoiceField(required=False, choices=[("desc", "desc"), ("asc", "asc")])
    threads = forms.BooleanField(required=False)

    @classmethod
    def query_of(cls, data):
        """cls(data).query(), kept per process for the same data: the form reads nothing
        else, so the same data always gives the same query (about 0.3 ms of a page). A
        copy each time, as views add to it; a BadRequest is raised each time. Data longer
        than a link's query string is worked out, not kept."""
        items = tuple((name, tuple(data.getlist(name)) if hasattr(data, "getlist")
                       else (data[name],)) for name in sorted(data))
        if sum(len(name) + sum(map(len, values)) for name, values in items) \
                > _KEPT_QUERY_CHARACTERS:
            return cls(data).query()
        return dict(_kept_query(cls, items))

    def query(self):
        data = self.cleaned_data if self.is_valid() else {}
        if "mailbox" in self.errors:
            raise BadRequest(BAD_FOLDER)
        return {
            "mailbox": data.get("mailbox") or "INBOX",
            "page": data.get("page") or 1,
            "sort": data.get("sort") or "date",
            "reverse": (data.get("order") or "desc") == "desc",
            "order": data.get("order") or "desc",
            "threads": bool(data.get("threads")),
        }


class MessageViewForm(FolderPageForm):
    """How to show one message: HTML or plain text, remote images or not."""

    view = forms.ChoiceField(required=False, choices=[("html", "html"), ("text", "text")])
    # Where the list that linked here had the message (a hint: checked, never trusted).
    at = forms.IntegerField(required=False, min_value=0, max_value=10**9)

    def query(self):
        query = super().query()
        data = self.cleaned_data if self.is_valid() else {}
        query["view"] = data.get("view") or "html"
        query["at"] = data.get("at")
        # Only "1" allows images: a BooleanField would read "0" as true.
        query["images"] = self.data.get("images") == "1"
        return query


# The notice after each action: singular and plural, with %(count)s and %(target)s.
_MOVED = ("Moved %(count)s message to %(target)s", "Moved %(count)s messages to %(target)s")
ACTIONS = {
    "read": ("Marked %(count)s message as read", "Marked %(count)s messages as read"),
    "unread": ("Marked %(count)s message as unread", "Marked %(count)s messages as unread"),
    "flag": ("Flagged %(count)s message", "Flagged %(count)s messages"),
    "unflag": ("Removed the flag from %(count)s message",
               "Removed the flag from %(count)s messages"),
    "move": _MOVED,
    "copy": ("Copied %(count)s message to %(target)s", "Copied %(count)s messages to %(target)s"),
    "delete": ("Deleted %(count)s message", "Deleted %(count)s messages"),
    "archive": _MOVED, "junk": _MOVED, "notjunk": _MOVED,
}
MOVED = _MOVED


class ActionForm(forms.Form):
    """An organising action on messages of one folder (`uids`), or of several (`picks`).

    Search results over all folders name each message as "<uid> <folder>" in `picks`."""

    mailbox = FolderField(required=False)
    action = forms.ChoiceField(choices=[(name, name) for name in ACTIONS])
    uids = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    picks = forms.MultipleChoiceField(required=False, choices=())
    target = FolderField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # UIDs are any positive numbers; the server decides which exist.
        self.fields["uids"].valid_value = lambda value: uid_value(value) is not None
        self.fields["picks"].valid_value = lambda value: pick_value(value) is not None

    def clean(self):
        data = super().clean()
        if data.get("action") in ("move", "copy") and not data.get("target"):
            raise forms.ValidationError(_("Choose a folder to move or copy to."))
        groups = {}
        if data.get("uids"):
            if not data.get("mailbox"):
                raise forms.ValidationError(_("Say which folder the messages are in."))
            groups[data["mailbox"]] = list(data["uids"])
        for uid, mailbox in filter(None, map(pick_value, data.get("picks") or ())):
            groups.setdefault(mailbox, []).append(uid)
        count = sum(len(uids) for uids in groups.values())
        if not count:
            raise forms.ValidationError(_("Select at least one message."))
        if count > 5000:
            raise forms.ValidationError(_("Select at most 5,000 messages at a time."))
        data["groups"] = groups
        return data


class FolderForm(forms.Form):
    name = FolderField(max_length=200, label=_("Folder name"), strip=True,
                       error_messages={"required": _("Give the new folder a name.")})
    parent = FolderField(required=False, label="Inside")



class SearchForm(forms.Form):
    """The search box and its filters; empty means "no search".

    The box may hold query words (from:carol is:unread before:2026-03-01, see
    imap.search.parse_words); a date that is no day, or a range that ends before it starts,
    is an error on the page rather than an empty list."""

    q = forms.CharField(required=False, max_length=500, label=_("Search mail"))
    scope = forms.ChoiceField(required=False, label=_("Search in"), choices=SEARCH_SCOPES)
    where = forms.ChoiceField(required=False, label="Folders", choices=[
        ("here", _("This folder")), ("everywhere", _("All folders"))])
    unread = forms.BooleanField(required=False, label="Unread")
    flagged = forms.BooleanField(required=False, label="Flagged")
    attachment = forms.BooleanField(required=False, label=_("Has attachment"))
    since = forms.DateField(required=False, label=_("From date"))
    until = forms.DateField(required=False, label=_("To date"))

    def clean_q(self):
        return without_controls(self.cleaned_data.get("q") or "")

    def clean(self):
        data = super().clean()
        words = parse_words(data.get("q") or "")
        for problem in words.problems:
            self.add_error("q", problem)
        days = [("since", data.get("since")), ("until", data.get("until")),
                ("q", words.after), ("q", words.before)]
        for name, day in days:
            if day is not None and not FIRST_DATE <= day <= LAST_DATE:
                self.add_error(name, gettext("Choose a date between %(first)s and %(last)s.")
                               % {"first": FIRST_DATE.year, "last": LAST_DATE.year})
        firsts = [day for day in (data.get("since"), words.after) if day]
        ends = [day + timedelta(days=1) for day in (data.get("until"),) if day]
        ends += [words.before] if words.before else []
        if firsts and ends and max(firsts) >= min(ends) and not words.problems:
            self.add_error(None, gettext(
                "The dates are the wrong way round: no message can be from %(first)s and "
                "before %(end)s.") % {"first": f"{max(firsts):%Y-%m-%d}",
                                      "end": f"{min(ends):%Y-%m-%d}"})
        return data

    def query(self):
        data = self.cleaned_data if self.is_valid() else {}
        return SearchQuery(
            text=data.get("q") or "", scope=data.get("scope") or "all",
            unread=bool(data.get("unread")), flagged=bool(data.get("flagged")),
            attachment=bool(data.get("attachment")) or parse_words(data.get("q")).attachment,
            since=data.get("since"), until=data.get("until"),
            everywhere=data.get("where") == "everywhere")

    def heron_kept_key(self):
        """What the form shows is its data's, so its data stands for it in the key of a kept
        part of a page (webmail/templatetags/kept.py)."""
        return type(self).__name__, tuple(sorted(
            (name, tuple(self.data.getlist(name))) for name in self.data))

    @property
    def kept(self):
        """(name, value) of each search field the request filled: what another form of the
        list page (its sort order) sends again so that the search stays."""
        return [(name, self.data[name]) for name in self.fields if self.data.get(name)]

    def problems(self):
        """What is wrong with the search, in words for the page."""
        return [problem for errors in self.errors.values() for problem in errors]

    def chips(self):
        """The active filters, each a Chip whose link shows the list without it."""
        if not self.is_valid():
            return []
        data, found = self.cleaned_data, []
        words = parse_words(data["q"]).words
        for word in words:
            rest = " ".join(other.raw for other in words if other is not word)
            found.append(Chip(_chip_label(word), self._without("q", rest)))
        for name, label in _CHIP_FIELDS.items():
            value = data.get(name)
            if value and value not in ("all", "here"):
                shown = (dict(self.fields[name].choices)[value] if name in ("scope", "where")
                         else f"{value:%Y-%m-%d}" if name in ("since", "until") else "")
                found.append(Chip(str(label) % {"value": shown}, self._without(name)))
        return found

    def _without(self, name, value=None):
        params = self.data.copy()
        params.pop("page", None)
        params.pop(name, None)
        if value:
            params[name] = value
        return f"{reverse('webmail:mailbox')}?{params.urlencode()}"


@dataclass(frozen=True)
class Chip:
    """One active search filter as shown above the results, with the link that drops it."""
    label: str
    remove_url: str


_CHIP_FIELDS = {"scope": _("Only in: %(value)s"), "where": "%(value)s", "unread": _("Unread"),
                "flagged": _("Flagged"), "attachment": _("Has attachment"),
                "since": _("On or after %(value)s"), "until": _("On or before %(value)s")}
_WORD_LABELS = {"from": _("From: %(value)s"), "to": _("To: %(value)s"),
                "subject": _("Subject: %(value)s"), "after": _("On or after %(value)s"),
                "before": _("Before %(value)s"), "has": _("Has attachment"),
                "is": "%(value)s", "": _("Contains: %(value)s")}
# What is:… names, as a chip shows it.
_IS_WORDS = {"unread": _("Unread"), "read": _("Read"), "flagged": _("Flagged"),
             "unflagged": _("Unflagged")}


def _chip_label(word):
    value = {"starred": "flagged"}.get(word.value, word.value)
    if word.key == "is":
        value = _IS_WORDS.get(value, value.capitalize())
    return str(_WORD_LABELS[word.key]) % {"value": value}


class IdentitySelect(forms.Select):
    """The From choice: identities the user may not send from yet are shown disabled,
    except the one chosen (a draft keeps it; sending then says what is missing)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unconfirmed = set()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.unconfirmed and not selected:
            option["attrs"]["disabled"] = True
        return option


class ComposeForm(forms.Form):
    """A message being written. Addresses are checked when sending, not when saving: a
    draft keeps whatever was typed."""

    draft = forms.RegexField(regex=DRAFT_ID, min_length=32, max_length=32,
                             widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    identity = forms.TypedChoiceField(label="From", coerce=int, choices=(),
                                      widget=IdentitySelect)
    to = forms.CharField(label="To", required=False, max_length=20_000)
    cc = forms.CharField(label="Cc", required=False, max_length=20_000)
    bcc = forms.CharField(label="Bcc", required=False, max_length=20_000)
    subject = forms.CharField(label="Subject", required=False, max_length=998)
    format = forms.ChoiceField(label="Format", required=False, initial="text",
                               choices=[("text", _("Plain text")), ("html", _("Rich text"))],
                               widget=forms.RadioSelect)
    body = forms.CharField(label="Message", required=False, max_length=4_000_000,
                           strip=False, widget=forms.Textarea(attrs={"rows": 18}))
    html = forms.CharField(required=False, max_length=8_000_000, strip=False,
                           widget=forms.HiddenInput)
    in_reply_to = forms.CharField(required=False, max_length=998, widget=forms.HiddenInput)
    references = forms.CharField(required=False, max_length=20_000, widget=forms.HiddenInput)
    answers = forms.CharField(required=False, max_length=1100, widget=forms.HiddenInput)
    forwards = forms.CharField(required=False, max_length=1100, widget=forms.HiddenInput)

    def __init__(self, *args, identities=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Identities carry may_send when the caller knows (identities.with_sending_state).
        self.fields["identity"].choices = [
            (i.id, str(i.from_address()) if getattr(i, "may_send", True)
             # Translators: after a From address the user has not yet confirmed.
             else gettext("%(address)s (not confirmed)") % {"address": i.from_address()})
            for i in identities]
        self.fields["identity"].widget.unconfirmed = {
            str(i.id) for i in identities if not getattr(i, "may_send", True)}
        for name in ("to", "cc", "bcc"):
            self.fields[name].widget.attrs.update(
                {"autocomplete": "off", "data-contacts": "1", "spellcheck": "false"})

    def _clean_pick(self, name):
        # "<uid> <folder>" of the message this one answers or forwards, or "".
        value = self.cleaned_data.get(name) or ""
        return value if pick_value(value) else ""

    def clean_answers(self):
        return self._clean_pick("answers")

    def clean_forwards(self):
        return self._clean_pick("forwards")

    def clean(self):
        data = super().clean()
        data["version"] = data.get("version") or 0
        data["format"] = data.get("format") or "text"
        return data


class SendAtForm(forms.Form):
    """When to send a held message: a preset's moment (`send_at`, ISO 8601 with its
    offset) or a date and time picked in the user's zone (`send_at_local`, as a
    datetime-local input posts it). `time_zone` is the browser's IANA zone; without a valid
    one the zone the page was drawn in (`zone`) is used."""

    send_at = forms.CharField(required=False, max_length=40)
    send_at_local = forms.CharField(required=False, max_length=40, label=_("Date and time"))
    time_zone = forms.CharField(required=False, max_length=64)

    def __init__(self, *args, zone, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone, self.now = zone, now

    def clean(self):
        data = super().clean()
        data["zone"] = zone_named(data.get("time_zone")) or self.zone
        try:
            data["when"] = schedule.chosen(data.get("send_at"), data.get("send_at_local"),
                                           data["zone"], self.now)
        except schedule.TimeRefused as refused:
            raise forms.ValidationError(refused.message) from None
        return data

    def problem(self):
        return " ".join(e for errors in self.errors.values() for e in errors)


class SnoozeForm(forms.Form):
    """Messages to snooze and until when: `uids` of `mailbox` (each with its conversation
    in the folder when `conversations`), and a preset's moment (`until`, ISO 8601 with its
    offset) or, with until "pick", a date and time picked in the user's zone
    (`until_local`, as a datetime-local input posts it)."""

    mailbox = FolderField(error_messages={"required": _("Say which folder the messages are in.")})
    uids = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), error_messages={"required": _("Select a message to snooze.")})
    conversations = forms.BooleanField(required=False)
    until = forms.CharField(required=False, max_length=40)
    until_local = forms.CharField(required=False, max_length=40)

    def __init__(self, *args, zone, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone, self.now = zone, now
        self.fields["uids"].valid_value = lambda value: uid_value(value) is not None

    def clean(self):
        data = super().clean()
        try:
            data["wake_at"] = snooze.wake_time(data.get("until"), data.get("until_local"),
                                               self.zone, self.now)
        except schedule.TimeRefused as refused:
            raise forms.ValidationError(refused.message) from None
        return data

    def problem(self):
        return " ".join(e for errors in self.errors.values() for e in errors)
