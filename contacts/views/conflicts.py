"""A card changed both in Heron and on the CardDAV server: the user keeps one version."""
from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from .. import sync
from ..models import Card


@login_required
@require_POST
def resolve_conflict(request, card_id):
    """keep=mine: the copy's version (the user's) replaces the card and goes to the server;
    keep=theirs: the copy goes. Either way one card is left."""
    copy = get_object_or_404(Card, pk=card_id, book__user=request.user, deleted=False,
                             conflict_of__isnull=False)
    keep = request.POST.get("keep", "")
    if keep not in ("mine", "theirs"):
        notices.error(request, gettext("Choose which version to keep."))
        return redirect("contacts:card", copy.pk)
    card = copy.conflict_of
    sync.resolve(copy, keep_mine=keep == "mine")
    card.refresh_from_db()
    if keep == "mine":
        sync.tell(request, sync.write_through(request, card))
    notices.success(request, gettext("One version of %(name)s is kept.") % {"name": card})
    return redirect("contacts:card", card.pk)
