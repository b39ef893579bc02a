"""Filters and vacation: the rules list, the rule editor, the vacation reply, the raw
script editor and the filter sets (webmail/filters.py does the work)."""
from functools import wraps

from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import filter_forms as forms
from .. import filters
from ..http import safe_next, wants_json
from ..mail import mail_for
from ..params import folder_param, uid_value


def _guarded(view):
    """Login required, never cached; a ManageSieve server that is missing, down, slow or
    refusing the login gives one clear page (or JSON) instead of the view's."""
    @never_cache
    @login_required
    @wraps(view)
    def guarded(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except filters.Unavailable as error:
            if wants_json(request):
                return JsonResponse({"error": error.message}, status=503)
            # A server that is down is a fault (503); a domain without one is not.
            status = 200 if isinstance(error, filters.NotOffered) else 503
            return _page(request, "webmail/filters_unavailable.html",
                         {"reason": error.message}, status=status)
        except filters.FiltersError as error:
            # A refusal or conflict a view did not take up itself: said, nothing changed.
            if wants_json(request):
                return JsonResponse({"error": error.message}, status=409)
            notices.error(request, error.message)
            return redirect("webmail:filters")
    return guarded


# A script longer than this (a pasted megabyte) is shown without line numbers.
MAX_NUMBERED = 5000
_SECTIONS = {"webmail/filters.html": "rules", "webmail/filter_rule.html": "rules",
             "webmail/filter_vacation.html": "vacation", "webmail/filter_script.html": "script",
             "webmail/filter_sets.html": "sets"}


def _page(request, template, context, status=200):
    with mail_for(request) as mail:
        folders = mail.list_mailboxes()
    return render(request, template, {
        "folders": folders, "folder_names": {folder.name for folder in folders},
        "current": None, "filters_page": True, "section": _SECTIONS.get(template),
        **context}, status=status)


def _list_page(request, state, status=200):
    return _page(request, "webmail/filters.html", {"state": state}, status=status)


@_guarded
@require_GET
def index(request):
    """The rules in order, each with its switch, edit, move and delete."""
    return _list_page(request, filters.load(request))


def _rule_page(request, state, editor, index, status=200):
    return _page(request, "webmail/filter_rule.html", {
        "state": state, "editor": editor, "index": index,
        "fields": forms.FIELDS, "ops": forms.ops_for(state.extensions),
        "kinds": forms.ACTIONS}, status=status)


@_guarded
@require_http_methods(["GET", "POST"])
def rule(request, index=None):
    """A rule's form (index None: a new rule, perhaps filled from a message); a post with
    an add or remove button comes back to the form, a valid one saves."""
    state = filters.load(request)
    if request.method == "GET":
        return _rule_page(request, state, _editor(request, state, index), index)
    editor = forms.read_post(request.POST, state.extensions)
    if forms.edit_rows(editor, request.POST) or editor.rule is None:
        return _rule_page(request, state, editor, index, status=400 if editor.errors else 200)
    return _saving(request, lambda: _save_rule(request, state, editor, index),
                   lambda error: _rule_page(request, filters.load(request), _with_error(
                       editor, error), index, status=409 if _is_conflict(error) else 400))


def _editor(request, state, index):
    if index is None:
        return _like_this(request)
    found = state.rule_at(index)
    if found is None:
        raise Http404(_("No such rule."))
    return forms.editor_for(found)


def _like_this(request):
    """A new rule, filled from the message ?like=<uid>&mailbox=… when one is named: its
    sender (from=) or its list (List-Id); &subject_too=1 adds its subject."""
    uid = uid_value(request.GET.get("like"))
    list_id = uid and filters.list_id_of(request, folder_param(request.GET, "mailbox"), uid)
    editor = forms.prefilled(request.GET.get("from", ""), request.GET.get("subject", ""),
                             list_id or "")
    return forms.with_subject(editor) if request.GET.get("subject_too") else editor


def _save_rule(request, state, editor, index):
    filters.check_rule(editor.rule, state.extensions)
    filters.save_rule(request, request.POST.get("version", ""), index, editor.rule)
    notices.success(request, _("Saved the rule “%(name)s”.") % {"name": editor.rule.name})
    return redirect("webmail:filters")


def _with_error(editor, error):
    editor.errors = [error.message]
    return editor


def _is_conflict(error):
    return isinstance(error, filters.Conflict)


def _saving(request, save, refused):
    """save(); a refusal or conflict goes to refused(error), which keeps the user's input."""
    try:
        return save()
    except (filters.Conflict, filters.Refused) as error:
        return refused(error)


def _changed(request, state):
    """The answer to a change from the list: JSON for the page's script, else back."""
    if wants_json(request):
        return JsonResponse({"version": state.version})
    notices.success(request, _("Saved."))
    return redirect("webmail:filters")


def _list_refused(request, error):
    if wants_json(request):
        return JsonResponse({"error": error.message}, status=409)
    notices.error(request, error.message)
    return redirect("webmail:filters")


def _change_items(request, change):
    """Apply change(items) -> items or None (None: no such rule) and save."""
    state = filters.load(request)
    items = change(state.items)
    if items is None:
        raise Http404(_("No such rule."))
    return _saving(request, lambda: _changed(request, filters.save_items(
        request, request.POST.get("version", ""), items)),
        lambda error: _list_refused(request, error))


@_guarded
@require_POST
def toggle(request, index):
    """Turn a rule on or off."""
    return _change_items(request, lambda items: filters.switched(
        items, index, request.POST.get("enabled") == "on"))


@_guarded
@require_POST
def delete(request, index):
    """Delete a rule."""
    return _change_items(request, lambda items: filters.without(items, index))


@_guarded
@require_POST
def move(request, index):
    """Move a rule one place up or down (the Move buttons and Alt+Arrow keys)."""
    step = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    return _change_items(request, lambda items: step and filters.move(items, index, step))


@_guarded
@require_POST
def order(request):
    """Put the script's items in a dragged order: "order" lists every position once."""
    positions = request.POST.getlist("order")
    if not all(p.isdigit() and len(p) < 6 for p in positions):
        raise Http404(_("No such rule."))
    return _change_items(request, lambda items: filters.reorder(
        items, [int(p) for p in positions]))


@_guarded
@require_http_methods(["GET", "POST"])
def vacation(request):
    """The vacation reply: on or off, days, subject, message, addresses, interval."""
    state = filters.load(request)
    current = state.script.vacation or filters.blank_vacation(request.user)
    senders = filters.sender_addresses(request.user)
    form = forms.VacationForm(request.POST, senders=senders) if request.method == "POST" else (
        forms.VacationForm.of(current, senders))
    if request.method == "POST" and form.is_valid():
        return _saving(request, lambda: _save_vacation(request, state, current, form),
                       lambda error: _vacation_page(request, filters.load(request), form,
                                                    error.message, status=409 if (
                                                        _is_conflict(error)) else 400))
    return _vacation_page(request, state, form, status=400 if form.errors else 200)


def _vacation_page(request, state, form, error="", status=200):
    sender = state.script.vacation.sender if state.script.vacation else ""
    return _page(request, "webmail/filter_vacation.html", {
        "state": state, "form": form, "error": error, "foreign_sender": sender if (
            sender and sender not in filters.sender_addresses(request.user)) else "",
        "offered": "vacation" in state.extensions}, status=status)


def _save_vacation(request, state, current, form):
    filters.save_vacation(request, request.POST.get("version", ""),
                          filters.vacation_from(current, form.cleaned_data), state.extensions)
    notices.success(request, _("Saved your vacation reply."))
    return redirect("webmail:filter-vacation")


@_guarded
@require_POST
def vacation_off(request):
    """Turn the vacation reply off (the banner's button); its settings are kept."""
    if filters.vacation_off(request):
        notices.success(request, _("Your vacation reply is off."))
    return redirect(safe_next(request, reverse("webmail:filters")))


def _set_name(request, data):
    name = data.get("name", "")
    if not filters.valid_name(name):
        raise Http404(_("No such filter set."))
    return name


@_guarded
@require_http_methods(["GET", "POST"])
def script(request):
    """A filter set's raw Sieve text, checked by the server before it is saved; without a
    name, the script the Filters page edits."""
    name = request.GET.get("name") or filters.load(request).name
    name = _set_name(request, {"name": name})
    found = filters.load_set(request, name)
    text, version, _extensions = found or ("", filters.version_of(""), None)
    if found is None and name != filters.OWN_SCRIPT:
        raise Http404(_("No such filter set."))
    if request.method == "GET":
        return _script_page(request, name, forms.ScriptForm(
            initial={"text": text, "version": version}))
    form = forms.ScriptForm(request.POST)
    if not form.is_valid():
        return _script_page(request, name, form, status=400)
    return _saving(request, lambda: _save_script(request, name, form),
                   lambda error: _script_page(request, name, form, error, status=409 if (
                       _is_conflict(error)) else 400))


def _save_script(request, name, form):
    filters.save_set(request, name, form.cleaned_data["version"], form.cleaned_data["text"])
    notices.success(request, _("Saved the script “%(name)s”.") % {"name": name})
    return redirect(f"{reverse('webmail:filter-script')}?{_query(name)}")


def _query(name):
    return urlencode({"name": name})


def _script_page(request, name, form, error=None, status=200):
    text = form["text"].value() or ""
    line = getattr(error, "line", None)
    lines = text.splitlines()
    return _page(request, "webmail/filter_script.html", {
        "name": name, "form": form, "error": error, "line": line,
        "line_text": lines[line - 1] if line and 0 < line <= len(lines) else None,
        # The textarea is as tall as the script, so that the numbers beside it line up.
        "rows": max(24, len(lines) + 2),
        "line_count": range(1, max(len(lines), 1) + 1) if len(lines) <= MAX_NUMBERED else ()},
        status=status)


@_guarded
@require_GET
def sets(request):
    """The scripts on the server, which is active; activate, delete or make one."""
    return _sets_page(request, forms.NewSetForm())


def _sets_page(request, form, error="", status=200):
    return _page(request, "webmail/filter_sets.html", {
        "state": filters.load(request), "form": form, "error": error}, status=status)


@_guarded
@require_POST
def new_set(request):
    """Make a filter set, empty or a copy of another; it is listed, not yet active."""
    form = forms.NewSetForm(request.POST)
    if not form.is_valid():
        return _sets_page(request, form, status=400)
    name, source = form.cleaned_data["name"], form.cleaned_data["source"]
    if source:
        _set_name(request, {"name": source})
    return _saving(request, lambda: _created(request, name, source),
                   lambda error: _sets_page(request, form, error.message, status=400))


def _created(request, name, source):
    if not filters.create_set(request, name, source):
        raise Http404(_("No such filter set."))
    notices.success(request, _("Made the filter set “%(name)s”. Activate it to use it, or "
                               "edit its script.") % {"name": name})
    return redirect("webmail:filter-sets")


@_guarded
@require_POST
def activate(request):
    """Make another filter set the active one."""
    name = _set_name(request, request.POST)
    if not filters.activate_set(request, name):
        raise Http404(_("No such filter set."))
    notices.success(request, _("“%(name)s” is now the active filter set.") % {"name": name})
    return redirect("webmail:filter-sets")


@_guarded
@require_POST
def delete_set(request):
    """Delete a filter set that is not active."""
    name = _set_name(request, request.POST)
    if not filters.delete_set(request, name):
        raise Http404(_("No such inactive filter set."))
    notices.success(request, _("Deleted the filter set “%(name)s”.") % {"name": name})
    return redirect("webmail:filter-sets")
