from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contacts import suggest as address_book
from contacts import sync as carddav
from webmail import outbox
from webmail.http import api_login_required, safe_next

from . import (
    actions,
    confirmations,
    identities,
    preference_fields,
    preferences,
    sessions,
    trust,
    vault,
)
from .browsers import browser_name
from .context_processors import NAME_STATE
from .forms import IdentityForm, LoginForm, NameForm, PreferencesForm


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.log_in(request, data["username"], data["password"])
        except actions.LoginRefused as refused:
            form.add_error(None, refused.message)
        else:
            return actions.finish_login(request, redirect(safe_next(request)), data["password"])
    return render(request, "accounts/login.html", {"form": form, "next": safe_next(request)})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def welcome_view(request):
    """The name people see on the user's mail, asked after the first login (the mail pages
    offer it until it is given or skipped; accounts/context_processors.py). Skipping asks
    again in the next session, never again in this one."""
    target = safe_next(request)
    if request.method == "POST" and "skip" in request.POST:
        request.session[NAME_STATE] = "skipped"
        return redirect(target)
    form = NameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identity = identities.name_default(request.user, form.cleaned_data["name"])
        request.session[NAME_STATE] = "named"
        notices.success(request, gettext("Your mail now goes out as %(name)s <%(email)s>.") % {
            "name": identity.name, "email": identity.email})
        return redirect(target)
    return render(request, "accounts/welcome.html", {
        "form": form, "next": target, "address": identities.default_identity(request.user).email},
        status=400 if form.is_bound else 200)


@require_POST
def logout_view(request):
    return actions.log_out(request, redirect("accounts:login"))


def _own_identity(request, identity_id):
    identity = identities.get_identity(request.user, identity_id)
    if identity is None:
        raise Http404(gettext("No such identity."))
    return identity


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request):
    """The settings page: the preference sections, identities (a form to add one is posted
    here), trusted senders and sessions."""
    form = IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            identity = identities.save(request.user, form.save(commit=False))
        except identities.IdentityRefused as refused:
            form.add_error(None, refused.message)
        else:
            notices.success(request, gettext("Added the identity %(identity)s.") % {
                "identity": identity})
            _ask_confirmation(request, identity)
            return redirect("accounts:settings")
    return _settings_page(request, form=form)


def _settings_page(request, form=None, bound=None, status=200):
    shown = preferences.shown(request.user)
    sections = [(key, heading, bound if bound is not None and bound.section == key
                 else PreferencesForm(key, shown))
                for key, heading in preference_fields.SECTIONS]
    return render(request, "accounts/settings.html", {
        "identities": identities.with_sending_state(
            request.user, identities.identities_for(request.user)),
        "form": form or IdentityForm(), "sessions": _shown_sessions(request),
        "sections": sections, "holding": outbox.available(),
        "trusted": trust.trusted_senders(request.user)}, status=status)


@never_cache
@login_required
@require_POST
def preferences_view(request, section):
    """Save one section of preferences; invalid input comes back in the form, kept."""
    if section not in dict(preference_fields.SECTIONS):
        raise Http404("No such section.")
    form = PreferencesForm(section, preferences.shown(request.user), request.POST)
    if not form.is_valid():
        notices.error(request, gettext("Not saved: correct the marked settings."))
        return _settings_page(request, bound=form, status=400)
    refused = preferences.choose(request.user, form.chosen())
    notices.success(request, gettext("Saved."))
    if refused:
        notices.info(request, gettext("Some settings are set by your administrator and "
                                      "were left as they are."))
    return redirect(f"{reverse('accounts:settings')}#{section}")


@login_required
@require_POST
def trusted_forget(request, trusted_id=None):
    """Stop showing remote images without asking: from one sender, or (no id) from all
    (Settings → Images from senders you trust)."""
    if trusted_id is None:
        text = (gettext("No sender is trusted any more: images are blocked until you choose "
                        "to show them.") if trust.forget_all(request.user)
                else gettext("No sender was trusted."))
    else:
        email = trust.forget(request.user, trusted_id)
        if email is None:
            raise Http404(gettext("No such trusted sender."))
        text = gettext("Images in mail from %(email)s are blocked again until you choose to "
                       "show them.") % {"email": email}
    notices.success(request, text)
    return redirect(f"{reverse('accounts:settings')}#trusted-heading")


@api_login_required
@require_POST
def theme_view(request):
    """The theme toggle's choice (JSON): system, light or dark, kept like the form's."""
    try:
        theme = preference_fields.BY_NAME["theme"].clean(request.POST.get("theme", ""))
    except ValueError:
        return JsonResponse({"error": gettext("theme must be system, light or dark")},
                            status=400)
    refused = preferences.choose(request.user, {"theme": theme})
    return JsonResponse({"theme": preferences.effective(request.user, "theme"),
                         "locked": bool(refused)})


@api_login_required
@require_POST
def divider_view(request):
    """Where the user dragged the divider between the list and the reading pane (JSON)."""
    try:
        share = int(request.POST.get("share", ""))
    except ValueError:
        return JsonResponse({"error": "share must be a whole number"}, status=400)
    return JsonResponse({"share": preferences.keep_list_share(request.user, share)})


def _shown_sessions(request):
    """The user's sessions as the settings page shows them; never their keys."""
    shown = []
    for row in sessions.sessions_of(request.user):
        current = row.session_key == request.session.session_key
        shown.append({"id": row.pk, "browser": browser_name(row.user_agent),
                      "client_ip": row.client_ip, "last_seen": row.last_seen,
                      "current": current, "seen": "now" if current else _seen(row.last_seen)})
    # This session first, then the others as recently seen.
    return sorted(shown, key=lambda session: not session["current"])


def _seen(moment):
    # last_seen is written at most every SEEN_EVERY, so it cannot say more precisely.
    if timezone.now() - moment < sessions.SEEN_EVERY:
        return f"in the last {int(sessions.SEEN_EVERY.total_seconds() // 60)} minutes"
    return f"{timesince(moment, depth=1)} ago"


@login_required
@require_POST
def session_end(request, session_id):
    """Sign out one of the user's other sessions, on whichever frontend it is used."""
    ended = sessions.end_own(request, session_id)
    if not ended:
        raise Http404(gettext("No such session."))
    notices.success(request, gettext("Signed out the session of %(browser)s.") % {
        "browser": browser_name(ended[0].user_agent)})
    return redirect(f"{reverse('accounts:settings')}#sessions-heading")


@login_required
@require_POST
def sessions_end_others(request):
    """Sign out every session of the user but this one."""
    count = len(sessions.end_own(request))
    notices.success(request, ngettext("Signed out %(count)s other session.",
                                      "Signed out %(count)s other sessions.", count)
                    % {"count": count})
    return redirect(f"{reverse('accounts:settings')}#sessions-heading")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def identity_view(request, identity_id):
    identity = _own_identity(request, identity_id)
    identities.with_sending_state(request.user, [identity])
    form = IdentityForm(request.POST or None, instance=identity)
    if request.method == "POST" and form.is_valid():
        readdressed = "email" in form.changed_data
        identities.save(request.user, form.save(commit=False))
        notices.success(request, gettext("Saved the identity %(identity)s.") % {
            "identity": identity})
        if readdressed:
            _ask_confirmation(request, identity)
        return redirect("accounts:settings")
    return render(request, "accounts/identity.html", {"identity": identity, "form": form})


def _ask_confirmation(request, identity):
    """Mail a confirmation link when the identity needs one, and say so."""
    [identity] = identities.with_sending_state(request.user, [identity])
    if identity.may_send:
        return False
    try:
        confirmations.send_link(request.user, identity, vault.open_vault(request),
                                lambda token: request.build_absolute_uri(reverse(
                                    "accounts:identity-confirm", args=[identity.id, token])))
    except confirmations.ConfirmRefused as refused:
        notices.error(request, refused.message)
        return False
    notices.info(request, gettext("To send as %(email)s, confirm it first: a link was mailed "
                                  "to %(email)s.") % {"email": identity.email})
    return True


@login_required
@require_POST
def identity_resend(request, identity_id):
    identity = _own_identity(request, identity_id)
    if not _ask_confirmation(request, identity) and identity.may_send:
        notices.success(request, gettext("You can already send as %(email)s.") % {
            "email": identity.email})
    return redirect("accounts:settings")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def identity_confirm(request, identity_id, token):
    """The link mailed to an address: GET shows what it confirms, POST confirms it."""
    identity = _own_identity(request, identity_id)
    try:
        if request.method == "POST":
            confirmations.confirm(request.user, identity, token)
            notices.success(request, gettext("Confirmed: you can now send as %(email)s.") % {
                "email": identity.email})
            return redirect("accounts:settings")
        confirmations.check(request.user, identity, token)
    except confirmations.ConfirmRefused as refused:
        return render(request, "accounts/identity_confirm.html",
                      {"identity": identity, "problem": refused.message}, status=400)
    return render(request, "accounts/identity_confirm.html", {"identity": identity})


@login_required
@require_POST
def identity_default(request, identity_id):
    identity = _own_identity(request, identity_id)
    identities.set_default(request.user, identity)
    notices.success(request, f"{identity} is now your default identity.")
    return redirect("accounts:settings")


@login_required
@require_POST
def identity_delete(request, identity_id):
    identity = _own_identity(request, identity_id)
    try:
        identities.delete(request.user, identity)
    except identities.IdentityRefused as refused:
        notices.error(request, refused.message)
    else:
        notices.success(request, gettext("Deleted the identity %(identity)s.") % {
            "identity": identity})
    return redirect("accounts:settings")


@never_cache
@api_login_required
@require_GET
def contacts_view(request):
    """Recipient suggestions as JSON: {"contacts": [{"name", "email", "label"}]}: the
    personal address book first (a group has "group": true and no email), then the
    addresses collected from mail."""
    # A CardDAV book is brought up to date at most every HERON_CARDDAV_SYNC_SECONDS.
    carddav.sync_for_request(request, force=False)
    found = address_book.suggest(request.user, request.GET.get("q", ""))
    return JsonResponse({"contacts": found})
