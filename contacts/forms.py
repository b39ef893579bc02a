"""The forms of the Contacts page: a card, a group, an import, an export."""
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from webmail.params import without_controls

from . import photos, vcards


def one_line(text):
    return " ".join(without_controls(str(text or "")).split())


LABEL_CHOICES = [("", _("No label")), ("home", _("Home")), ("work", _("Work")),
                 ("cell", _("Mobile")), ("other", _("Other"))]


class CardForm(forms.Form):
    """A card's fields; its addresses and phones come as repeated inputs (email,
    email_label, phone, phone_label) so that a row can be added without JavaScript."""

    full_name = forms.CharField(label=_("Display name"), max_length=500, required=False)
    given_name = forms.CharField(label=_("First name"), max_length=200, required=False)
    family_name = forms.CharField(label=_("Last name"), max_length=200, required=False)
    organisation = forms.CharField(label=_("Organisation"), max_length=500, required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("Notes"), max_length=20_000, required=False,
                            widget=forms.Textarea(attrs={"rows": 4}))
    photo = forms.FileField(label=_("Photo"), required=False,
                            widget=forms.ClearableFileInput(
                                attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}))
    remove_photo = forms.BooleanField(label=_("Remove the photo"), required=False)

    def __init__(self, data=None, files=None, **kwargs):
        super().__init__(data, files, **kwargs)
        self.emails, self.phones = [], []
        if data is not None:
            self.emails = list(zip(data.getlist("email"), data.getlist("email_label")))
            self.phones = list(zip(data.getlist("phone"), data.getlist("phone_label")))

    def clean(self):
        data = super().clean()
        for name in ("full_name", "given_name", "family_name", "organisation"):
            data[name] = one_line(data.get(name) or "")
        data["notes"] = "".join(ch for ch in data.get("notes") or ""
                                if ch.isprintable() or ch in "\n\t")
        data["emails"] = self._rows(self.emails, vcards.MAX_ADDRESSES, email=True)
        data["phones"] = self._rows(self.phones, vcards.MAX_PHONES, email=False)
        if not (data["full_name"] or data["given_name"] or data["family_name"]
                or data["organisation"] or data["emails"]):
            raise ValidationError(gettext("Give the contact a name or an email address."))
        upload = data.get("photo")
        if upload:
            try:
                data["photo"] = photos.small_copy(upload.read(photos.MAX_UPLOAD + 1))
            except photos.PhotoRefused as refused:
                self.add_error("photo", str(refused))
        return data

    def _rows(self, rows, cap, *, email):
        kept, seen = [], set()
        for value, tag in rows:
            value = one_line(value)[:254 if email else 100]
            # A label the card came with (Apple's "Summer house") is offered again as
            # is, so saving the form does not drop it.
            tag = one_line(tag).replace('"', "")[:100]
            if not value:
                continue
            if email:
                value = value.lower()
                try:
                    validate_email(value)
                except ValidationError:
                    self.add_error(None, gettext("“%(value)s” is not an email address.")
                                   % {"value": value})
                    continue
                if value in seen:
                    continue
                seen.add(value)
            kept.append((value, tag))
        if len(kept) > cap:
            self.add_error(None, ngettext("A contact can have at most %(cap)d entry here.",
                                          "A contact can have at most %(cap)d entries here.",
                                          cap) % {"cap": cap})
        return kept[:cap]


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=200)

    def clean_name(self):
        name = one_line(self.cleaned_data["name"])
        if not name or "@" in name or any(ch in name for ch in ',;<>"'):
            raise ValidationError(gettext("A group name cannot contain @ , ; < > or quotes."))
        return name


class ImportForm(forms.Form):
    file = forms.FileField(label=_("vCard file (.vcf)"))


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=[
        ("vcf3", _("vCard 3.0")), ("vcf4", _("vCard 4.0")), ("csv", _("CSV (spreadsheet)"))])
    group = forms.IntegerField(required=False, min_value=1, max_value=2**62)

    def selected(self):
        """The card ids ticked in the list (?card=…), at most 5,000; bad ones ignored."""
        return [int(v) for v in self.data.getlist("card")[:5000] if v.isdigit() and len(v) < 18]
