from django import forms

from .imap.session import SORT_KEYS


class FolderPageForm(forms.Form):
    """Which folder, page and order a list shows; bad values fall back to the defaults."""

    mailbox = forms.CharField(required=False, max_length=1000)
    page = forms.IntegerField(required=False, min_value=1, max_value=10**7)
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORT_KEYS])
    order = forms.ChoiceField(required=False, choices=[("desc", "desc"), ("asc", "asc")])

    def query(self):
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "mailbox": data.get("mailbox") or "INBOX",
            "page": data.get("page") or 1,
            "sort": data.get("sort") or "date",
            "reverse": (data.get("order") or "desc") == "desc",
        }
