"""Import a vCard file into the personal book; export the book, a group or a selection."""
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from .. import cards, groups, transfer
from ..books import existing_book, personal_book
from ..forms import ExportForm, ImportForm
from ..uploads import CappedUpload
from .pages import page_context

TOO_LARGE = gettext_lazy("The file is larger than 10 MB. Split it into smaller files and "
                         "import each.")


@csrf_exempt  # the upload handler must be in place before the CSRF check reads the body
@login_required
@require_POST
def import_cards(request):
    """Import the uploaded file; the page then says how many cards came in and lists each
    card refused with the line it starts on. A body larger than the cap (by its
    Content-Length) is refused unread; a file growing past it is skipped as it streams."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > transfer.MAX_IMPORT + 64 * 1024:
        return _import_page(request, ImportForm(), None, str(TOO_LARGE), status=413)
    capped = CappedUpload(request, transfer.MAX_IMPORT)
    request.upload_handlers.insert(0, capped)
    return _import_checked(request, capped)


@csrf_protect
def _import_checked(request, capped):
    form = ImportForm(request.POST, request.FILES)
    result, refusal = None, None
    if capped.too_large:
        refusal = str(TOO_LARGE)
    elif not form.is_valid():
        refusal = " ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        try:
            text = transfer.read_upload(form.cleaned_data["file"])
            result = transfer.import_text(personal_book(request.user), text)
        except transfer.ImportRefused as refused:
            refusal = str(refused)
    return _import_page(request, form, result, refusal, status=400 if refusal else 200)


def _import_page(request, form, result, refusal, status):
    return render(request, "contacts/page.html", page_context(
        request, import_form=form, import_result=result, import_refusal=refusal,
        importing=True), status=status)


def _groups_to_export(book, form):
    """The groups that go with a vCard export: all of the book's with the whole book, the
    one group with a group, none with ticked contacts."""
    if form.selected():
        return []
    found = groups.visible(book).order_by("name", "id")
    if form.cleaned_data.get("group"):
        found = found.filter(pk=form.cleaned_data["group"])
    return found


@never_cache
@login_required
@require_GET
def export_cards(request):
    """The personal book (or ?group=, or the ticked ?card=…) as .vcf or .csv."""
    form = ExportForm(request.GET)
    book = existing_book(request.user)
    if not form.is_valid() or book is None:
        return render(request, "contacts/page.html", page_context(
            request, export_form=form, export_refusal=gettext("Nothing to export yet.")
            if book is None else gettext("Choose a format.")), status=400)
    rows = cards.visible(book).order_by("full_name", "id").prefetch_related("emails",
                                                                             "phones")
    if form.cleaned_data.get("group"):
        group = groups.visible(book).filter(pk=form.cleaned_data["group"]).first()
        rows = rows.filter(groups=group) if group else rows.none()
    if form.selected():
        rows = rows.filter(pk__in=form.selected())
    kind = form.cleaned_data["format"]
    if kind == "csv":
        body, content_type, name = transfer.export_csv(rows.iterator(200)), "text/csv", "csv"
    else:
        body = transfer.export_vcards(rows.iterator(200), "4.0" if kind == "vcf4" else "3.0",
                                      _groups_to_export(book, form))
        content_type, name = "text/vcard", "vcf"
    response = StreamingHttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contacts.{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
