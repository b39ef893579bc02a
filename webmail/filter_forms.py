"""The Filters pages' forms: a rule's rows of conditions and actions as posted, the
vacation reply, a script's raw text.

A rule form posts its rows as parallel lists (cond_field, cond_header, cond_op,
cond_value; action_kind, action_folder, action_value), one entry per row, so that it works
without JavaScript; "Add a condition" and "Remove" are submit buttons that come back to
the same form with what was typed kept.
"""
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .sieve.rules import Action, Condition, Rule

FIELDS = [("from", gettext_lazy("From")), ("to", gettext_lazy("To")),
          ("cc", gettext_lazy("Cc")), ("subject", gettext_lazy("Subject")),
          ("header", gettext_lazy("Header named…")), ("size", gettext_lazy("Size"))]
TEXT_OPS = [("contains", gettext_lazy("contains")),
            ("!contains", gettext_lazy("does not contain")),
            ("is", gettext_lazy("is")), ("!is", gettext_lazy("is not")),
            ("matches", gettext_lazy("matches (with * and ?)")),
            ("!matches", gettext_lazy("does not match (with * and ?)"))]
REGEX_OPS = [("regex", gettext_lazy("matches the regular expression")),
             ("!regex", gettext_lazy("does not match the regular expression"))]
SIZE_OPS = [("over", gettext_lazy("is over")), ("under", gettext_lazy("is under"))]
ACTIONS = [("move", gettext_lazy("Move to folder")), ("copy", gettext_lazy("Copy to folder")),
           ("mark_read", gettext_lazy("Mark as read")), ("flag", gettext_lazy("Flag")),
           ("forward", gettext_lazy("Forward to (keep no copy)")),
           ("forward_copy", gettext_lazy("Forward to (keep a copy)")),
           ("reject", gettext_lazy("Reject with message")),
           ("discard", gettext_lazy("Discard")),
           ("stop", gettext_lazy("Stop (apply no more rules)"))]
FOLDER_ACTIONS = {"move", "copy"}
VALUE_ACTIONS = {"forward", "forward_copy", "reject"}
MAX_NAME = 100
MAX_VALUE = 1000
MAX_REJECT = 5000


def ops_for(extensions):
    return TEXT_OPS + (REGEX_OPS if "regex" in extensions else []) + SIZE_OPS


@dataclass
class ConditionRow:
    field: str = "from"
    header: str = ""
    op: str = "contains"
    value: str = ""


@dataclass
class ActionRow:
    kind: str = "move"
    folder: str = ""
    value: str = ""


@dataclass
class RuleEditor:
    """A rule as its form shows it; rule is the Rule when the rows make one, else errors
    say why."""
    name: str
    enabled: bool
    match: str
    conditions: list
    actions: list
    errors: list
    rule: Rule | None = None
    offered_subject: str = ""  # "Filter messages like this": the subject, to add if wanted


def editor_for(rule):
    """The form of an existing Rule (or a blank one when rule is None)."""
    if rule is None:
        return RuleEditor("", True, "all", [ConditionRow()], [ActionRow()], [])
    conditions = [ConditionRow(c.field, c.header, ("!" if c.negate else "") + c.op, c.value)
                  for c in rule.conditions]
    actions = [ActionRow(a.kind, a.value if a.kind in FOLDER_ACTIONS else "",
                         a.value if a.kind not in FOLDER_ACTIONS else "") for a in rule.actions]
    return RuleEditor(rule.name, rule.enabled, rule.match, conditions or [ConditionRow()],
                      actions or [ActionRow()], [], rule)


def prefilled(sender="", subject="", list_id=""):
    """A new rule for "Filter messages like this": List-Id contains the list's id when the
    message came from a list, else From is its sender. The subject is not a condition
    unless the user adds it (offered_subject)."""
    sender, list_id = sender[:MAX_VALUE], list_id[:MAX_VALUE]
    if list_id:
        row = ConditionRow("header", "List-Id", "contains", list_id)
    elif sender:
        row = ConditionRow("from", "", "is", sender)
    else:
        row = ConditionRow()
    editor = RuleEditor((list_id or sender)[:MAX_NAME], True, "all", [row], [ActionRow()], [])
    editor.offered_subject = subject[:MAX_VALUE] if (list_id or sender) else ""
    return editor


def with_subject(editor):
    """The editor with "Subject contains" its offered subject as a second condition."""
    editor.conditions.append(ConditionRow("subject", "", "contains", editor.offered_subject))
    editor.offered_subject = ""
    return editor


def _cut(value, limit):
    return value[:limit]


def read_post(post, extensions):
    """The RuleEditor of a posted rule form, its rows as typed, and its Rule when valid.
    The number of rows is checked before any row is read."""
    errors = []
    fields = post.getlist("cond_field")
    kinds = post.getlist("action_kind")
    if len(fields) > settings.HERON_SIEVE_MAX_CONDITIONS:
        errors.append(_("A rule may have at most %(count)d conditions.") % {
            "count": settings.HERON_SIEVE_MAX_CONDITIONS})
    if len(kinds) > settings.HERON_SIEVE_MAX_ACTIONS:
        errors.append(_("A rule may have at most %(count)d actions.") % {
            "count": settings.HERON_SIEVE_MAX_ACTIONS})
    if errors:
        # Far too many rows: show the rows allowed, keep the rest out of the page.
        fields = fields[:settings.HERON_SIEVE_MAX_CONDITIONS]
        kinds = kinds[:settings.HERON_SIEVE_MAX_ACTIONS]
    conditions = [ConditionRow(_cut(f, 20), _cut(h, MAX_VALUE), _cut(o, 20), _cut(v, MAX_VALUE))
                  for f, h, o, v in zip(fields, _padded(post, "cond_header", len(fields)),
                                        _padded(post, "cond_op", len(fields)),
                                        _padded(post, "cond_value", len(fields)))]
    actions = [ActionRow(_cut(k, 20), _cut(f, MAX_VALUE), _cut(v, MAX_REJECT))
               for k, f, v in zip(kinds, _padded(post, "action_folder", len(kinds)),
                                  _padded(post, "action_value", len(kinds)))]
    editor = RuleEditor(_cut(post.get("name", "").strip(), MAX_NAME + 1),
                        post.get("enabled") == "on", post.get("match", "all"),
                        conditions, actions, errors)
    if not errors:
        _build(editor, extensions)
    return editor


def _padded(post, name, length):
    values = post.getlist(name)[:length]
    return values + [""] * (length - len(values))


def _build(editor, extensions):
    errors = editor.errors
    if not editor.name:
        errors.append(_("Give the rule a name."))
    elif len(editor.name) > MAX_NAME:
        errors.append(_("A rule's name may be at most %(count)d characters.") % {
            "count": MAX_NAME})
    if editor.match not in ("all", "any"):
        errors.append(_("Choose whether all or any of the conditions must match."))
    known_ops = dict(ops_for(extensions))
    conditions = []
    for row in editor.conditions:
        if row.field not in dict(FIELDS) or row.op not in known_ops:
            errors.append(_("Choose a field and a comparison for each condition."))
            continue
        negate, op = row.op.startswith("!"), row.op.lstrip("!")
        if (row.field == "size") != (op in ("over", "under")):
            errors.append(_("Compare the size with “is over” or “is under”, and other "
                            "fields with the other comparisons."))
            continue
        conditions.append(Condition(row.field, op, row.value,
                                    header=row.header.strip() if row.field == "header" else "",
                                    negate=negate))
    actions = []
    for row in editor.actions:
        if row.kind not in dict(ACTIONS):
            errors.append(_("Choose what to do for each action."))
            continue
        value = (row.folder if row.kind in FOLDER_ACTIONS
                 else row.value.strip() if row.kind in VALUE_ACTIONS else "")
        if row.kind in FOLDER_ACTIONS and not value:
            errors.append(_("Choose the folder to move or copy to."))
        if row.kind in ("forward", "forward_copy"):
            try:
                validate_email(value)
            except forms.ValidationError:
                errors.append(_("Forward to needs a valid address."))
        actions.append(Action(row.kind, value))
    if not conditions and not errors:
        errors.append(_("Add at least one condition."))
    if not actions and not errors:
        errors.append(_("Add at least one action."))
    if not errors:
        editor.rule = Rule(editor.name, editor.enabled, editor.match, tuple(conditions),
                           tuple(actions))


def edit_rows(editor, post):
    """Apply an "add a row" or "remove a row" button of the form; False when the post
    was a save instead."""
    if "add_condition" in post and len(editor.conditions) < settings.HERON_SIEVE_MAX_CONDITIONS:
        editor.conditions.append(ConditionRow())
    elif "add_action" in post and len(editor.actions) < settings.HERON_SIEVE_MAX_ACTIONS:
        editor.actions.append(ActionRow())
    elif "remove_condition" in post:
        _remove(editor.conditions, post["remove_condition"], ConditionRow)
    elif "remove_action" in post:
        _remove(editor.actions, post["remove_action"], ActionRow)
    elif not any(key in post for key in ("add_condition", "add_action")):
        return False
    editor.errors = []
    return True


def _remove(rows, position, blank):
    if position.isdigit() and int(position) < len(rows):
        del rows[int(position)]
    if not rows:
        rows.append(blank())


def _no_controls(value):
    if any(c in value for c in "\r\n\0"):
        raise forms.ValidationError(_("Use a single line, without control characters."))


class DateInput(forms.DateInput):
    input_type = "date"


class VacationForm(forms.Form):
    enabled = forms.BooleanField(label=gettext_lazy("Send a vacation reply"), required=False)
    first_day = forms.DateField(label=gettext_lazy("First day"), required=False,
                                widget=DateInput(format="%Y-%m-%d"))
    last_day = forms.DateField(label=gettext_lazy("Last day"), required=False,
                               widget=DateInput(format="%Y-%m-%d"))
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200, required=False,
                              validators=[_no_controls])
    message = forms.CharField(label=gettext_lazy("Message"), max_length=10_000,
                              required=False, widget=forms.Textarea(attrs={"rows": 8}))
    addresses = forms.CharField(
        label=gettext_lazy("Your addresses"), max_length=5_000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One a line: mail to these addresses is answered."))
    days = forms.IntegerField(label=gettext_lazy("Days between replies to the same sender"),
                              min_value=1, max_value=60, initial=7)
    sender = forms.ChoiceField(
        label=gettext_lazy("Send replies from"), required=False,
        error_messages={"invalid_choice": gettext_lazy(
            "Send replies from one of your own addresses (your identities in Settings).")})

    def __init__(self, *args, senders=(), **kwargs):
        """senders: the addresses of the user's identities, the only ones replies may
        come from; "" (no :from) lets the server answer from the address written to."""
        super().__init__(*args, **kwargs)
        self.fields["sender"].choices = [("", gettext_lazy(
            "(the address the mail was sent to)"))] + [(address, address)
                                                       for address in senders]

    def clean_addresses(self):
        found = [line.strip() for line in self.cleaned_data["addresses"].splitlines()
                 if line.strip()]
        for address in found:
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(_("%(address)s is not an email address.") % {
                    "address": address}) from None
        if len(found) > 50:
            raise forms.ValidationError(_("At most 50 addresses."))
        return tuple(dict.fromkeys(found))

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("The last day comes before the first."))
        if data.get("enabled") and not (data.get("message") or "").strip():
            self.add_error("message", _("Write the message people will get."))
        return data

    @classmethod
    def of(cls, vacation, senders=()):
        return cls(senders=senders, initial={
            "enabled": vacation.enabled, "first_day": vacation.first_day,
            "last_day": vacation.last_day, "subject": vacation.subject,
            "message": vacation.message, "addresses": "\n".join(vacation.addresses),
            "days": vacation.days, "sender": vacation.sender})


class NewSetForm(forms.Form):
    """A new filter set's name (checked by the Sieve core when it is made) and the set it
    starts as a copy of ("" for an empty one)."""

    name = forms.CharField(label=gettext_lazy("Name of the new filter set"), max_length=128,
                           error_messages={"required": gettext_lazy("Give the filter set a "
                                                                    "name.")})
    # Checked by the view as any set name from a form: one not there answers 404.
    source = forms.CharField(label=gettext_lazy("Start from"), required=False, strip=False)


class ScriptForm(forms.Form):
    """A script's raw text; version is the SHA-256 of the text it was edited from."""

    text = forms.CharField(label=gettext_lazy("Script"), required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}))
    version = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_text(self):
        text = self.cleaned_data["text"]
        if len(text.encode("utf-8")) > settings.HERON_SIEVE_MAX_BYTES:
            raise forms.ValidationError(
                _("The script is too large: at most %(size)s KB.") % {
                    "size": settings.HERON_SIEVE_MAX_BYTES // 1024})
        if "\0" in text:
            raise forms.ValidationError(_("The script may not contain NUL characters."))
        return text
