from django import forms


class LoginForm(forms.Form):
    username = forms.CharField(
        label="Email address", max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email",
                                      "autocapitalize": "none", "autofocus": True}))
    password = forms.CharField(
        label="Password", max_length=1024, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
