from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DRAFT_ID

DRAFT_ERROR = _("The draft id must be 32 lower-case hex digits.")


class DraftForm(forms.Form):
    """Which draft a request is about: the compose page's id for it."""

    draft = forms.RegexField(regex=DRAFT_ID, max_length=32, min_length=32,
                             error_messages={"invalid": DRAFT_ERROR, "required": DRAFT_ERROR,
                                             "min_length": DRAFT_ERROR,
                                             "max_length": DRAFT_ERROR})

    def first_error(self):
        return next(iter(self.errors.values()))[0]


class UploadForm(DraftForm):
    """One or more files (the repeated "file" field) for a draft; inline=1 for images the
    HTML body shows."""

    def __init__(self, data, files):
        super().__init__(data, files)
        self.uploaded = files.getlist("file")

    def clean(self):
        if not self.uploaded:
            raise forms.ValidationError(_("Choose at least one file to attach."))
        return super().clean()

    @property
    def inline(self):
        # Only "1" asks for inline: a BooleanField would read "0" as true.
        return self.data.get("inline") == "1"
