"""Groups (lists) on the Contacts page, and a group's addresses for the compose window."""
from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from webmail.http import api_login_required

from .. import groups, sync
from ..books import existing_book, personal_book
from ..forms import GroupForm
from ..models import Card, Group
from .pages import page_context


def _group_of(request, group_id):
    return get_object_or_404(Group, pk=group_id, book__user=request.user, deleted=False)


def _to_group(group):
    return redirect(f"{reverse('contacts:page')}?group={group.pk}")


def _refused(request, form):
    return render(request, "contacts/page.html",
                  page_context(request, group_form=form), status=400)


@login_required
@require_POST
def create_group(request):
    form = GroupForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    group = groups.create(personal_book(request.user), form.cleaned_data["name"])
    sync.tell(request, sync.sync_for_request(request))
    notices.success(request, gettext("Group %(name)s created.") % {"name": group.name})
    return _to_group(group)


@login_required
@require_POST
def rename_group(request, group_id):
    group = _group_of(request, group_id)
    form = GroupForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    groups.rename(group, form.cleaned_data["name"])
    sync.tell(request, sync.sync_for_request(request))
    return _to_group(group)


@login_required
@require_POST
def delete_group(request, group_id):
    group = _group_of(request, group_id)
    groups.remove(group)
    sync.tell(request, sync.sync_for_request(request))
    notices.success(request, gettext("Group %(name)s deleted; its contacts are kept.")
                    % {"name": group.name})
    return redirect("contacts:page")


@login_required
@require_POST
def group_members(request):
    """Add (action=add) or take out (action=remove) the ticked cards (card=…) of the
    group chosen (group=…)."""
    group_id = request.POST.get("group", "")
    if not (group_id.isdigit() and len(group_id) < 18):
        notices.error(request, gettext("Choose a group."))
        return redirect("contacts:page")
    group = _group_of(request, int(group_id))
    ids = [int(v) for v in request.POST.getlist("card")[:5000] if v.isdigit() and len(v) < 18]
    chosen = list(Card.objects.filter(pk__in=ids, book__user=request.user, deleted=False))
    groups.set_members(group, chosen, add=request.POST.get("action") != "remove")
    sync.tell(request, sync.sync_for_request(request))
    back = request.POST.get("next", "")
    if back.isdigit():
        return redirect("contacts:card", int(back))
    return _to_group(group)


@never_cache
@api_login_required
@require_GET
def expand_group(request):
    """{"addresses": [...]} a group's name stands for (empty when it names no group)."""
    book = existing_book(request.user)
    group = groups.named(book, request.GET.get("name", "")) if book else None
    return JsonResponse({"addresses": groups.member_labels(group) if group else []})
