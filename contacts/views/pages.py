"""The Contacts page: the list (search, a group, the Collected book) and one card."""
from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Contact

from .. import cards, groups, photos, sync, vcards
from ..books import existing_book, personal_book
from ..forms import LABEL_CHOICES, CardForm, ExportForm, GroupForm, ImportForm
from ..models import Card
from ..uploads import CappedUpload

PER_PAGE = 200  # rows of one list page; a book of any size pages through them


def _one_page(request, rows):
    """The requested page of rows (the first for a missing or wrong number, the last past
    the end), with the link back to it kept for the pager."""
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page", "")[:12])


def _card_of(request, card_id):
    """The user's own card, else 404 (another user's card answers like none)."""
    return get_object_or_404(Card, pk=card_id, book__user=request.user, deleted=False)


def page_context(request, **extra):
    """What every view of the page shows: the books, the groups and the list."""
    book = existing_book(request.user)
    query = request.GET.get("q", "")[:200]
    group = None
    group_id = request.GET.get("group", "")
    if book and group_id.isdigit() and len(group_id) < 18:
        group = groups.visible(book).filter(pk=int(group_id)).first()
    collected = request.GET.get("book") == "collected"
    context = {"book": book, "query": query, "current_group": group, "collected": collected,
               "groups": groups.visible(book).order_by("name") if book else [],
               "group_form": GroupForm(), "import_form": ImportForm(),
               "export_form": ExportForm(), "label_choices": LABEL_CHOICES,
               "contacts_page": True}
    if collected:
        rows = Contact.objects.filter(user=request.user)
        if query:
            rows = rows.filter(email__icontains=query) | rows.filter(name__icontains=query)
        context["collected_rows"] = listed = _one_page(
            request, rows.order_by("-times", "-last_seen", "id"))
        context["list_page"] = listed
    elif book:
        context["cards"] = listed = _one_page(request, cards.search(book, query, group))
        context["list_page"] = listed
    context.update(extra)
    return context


@never_cache
@login_required
@require_GET
def contacts_page(request):
    sync.tell(request, sync.sync_for_request(request))
    return render(request, "contacts/page.html", page_context(request))


@never_cache
@login_required
@require_GET
def card_view(request, card_id):
    card = _card_of(request, card_id)
    return render(request, "contacts/page.html", page_context(
        request, card=card, card_groups=card.groups.filter(deleted=False).order_by("name")))


def _rows(values, size):
    """(value, label) rows for the form, with empty rows to add more without script."""
    rows = list(values) + [("", "")] * max(1, size - len(values))
    return [(index + 1, value, tag) for index, (value, tag) in enumerate(rows)]


def _form_page(request, form, card, emails, phones, status=200):
    known = dict(LABEL_CHOICES)
    extra = sorted({tag for _, tag in [*emails, *phones] if tag and tag not in known})
    return render(request, "contacts/page.html", page_context(
        request, card=card, editing=True, form=form,
        label_choices=LABEL_CHOICES + [(tag, tag) for tag in extra],
        email_rows=_rows(emails, 2), phone_rows=_rows(phones, 1)), status=status)


@csrf_exempt  # the upload handler must be in place before the CSRF check reads the body
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def edit_card(request, card_id=None):
    """Create (no card_id) or edit a card. A new card may come pre-filled from a
    message's sender (?email=&name=); if that address is a contact already, its card
    opens instead. A photo past the cap is skipped while it streams in, unstored."""
    capped = CappedUpload(request, photos.MAX_UPLOAD)
    if request.method == "POST":
        request.upload_handlers.insert(0, capped)
    return _edit_card(request, card_id, capped)


@csrf_protect
def _edit_card(request, card_id, capped):
    card = _card_of(request, card_id) if card_id else None
    if request.method == "GET":
        if card:
            data = cards.data_of(card)
            form = CardForm(initial={name: getattr(data, name) for name in (
                "full_name", "given_name", "family_name", "organisation", "birthday",
                "notes")})
            return _form_page(request, form, card, data.emails, data.phones)
        email = request.GET.get("email", "").strip().lower()[:254]
        book = existing_book(request.user)
        known = cards.card_with_email(book, email) if book and email else None
        if known:
            notices.info(request, gettext("%(email)s is already in your contacts.")
                         % {"email": email})
            return redirect("contacts:card", known.pk)
        form = CardForm(initial={"full_name": request.GET.get("name", "")[:500]})
        return _form_page(request, form, None, [(email, "")] if email else [], [])
    form = CardForm(request.POST, request.FILES)
    if capped.too_large:
        form.add_error("photo", gettext("The photo is larger than 5 MB."))
    if not form.is_valid():
        return _form_page(request, form, card, form.emails, form.phones, status=400)
    saved = cards.save(personal_book(request.user), _data(form, card), card)
    notices.success(request, gettext("Contact saved."))
    sync.tell(request, sync.write_through(request, saved))
    return redirect("contacts:card", saved.pk)


def _data(form, card):
    clean = form.cleaned_data
    data = cards.data_of(card) if card else vcards.CardData()
    for name in ("full_name", "given_name", "family_name", "organisation", "birthday",
                 "notes", "emails", "phones"):
        setattr(data, name, clean[name])
    if clean.get("remove_photo"):
        data.photo, data.photo_type = None, ""
    elif isinstance(clean.get("photo"), tuple):
        data.photo, data.photo_type = clean["photo"]
    return data


@login_required
@require_POST
def delete_card(request, card_id):
    card = _card_of(request, card_id)
    name = str(card)
    cards.remove(card)
    notices.success(request, gettext("%(name)s was deleted.") % {"name": name})
    sync.tell(request, sync.write_through(request, card))
    return redirect("contacts:page")


@never_cache
@login_required
@require_GET
def photo(request, card_id):
    """The card's photo, to its owner only, with a fixed type the browser may not sniff."""
    card = _card_of(request, card_id)
    if not card.photo:
        raise Http404
    response = HttpResponse(bytes(card.photo), content_type=photos.served_type(card))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def forget_collected(request, contact_id):
    contact = get_object_or_404(Contact, pk=contact_id, user=request.user)
    contact.delete()
    notices.success(request, gettext("%(email)s was removed from Collected.")
                    % {"email": contact.email})
    return redirect(reverse("contacts:page") + "?book=collected")
