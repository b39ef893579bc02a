"""Compose uploads: JSON for the compose page's script, and the file itself back."""
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import FileResponse, JsonResponse, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from webmail import draft_files
from webmail.http import api_login_required
from webmail.mail import mail_for

from . import limits, storage
from .forms import DraftForm, UploadForm
from .models import INLINE_IMAGE_TYPES

# Room for the multipart framing and the small fields around the files.
MULTIPART_SLACK = 1024 * 1024
NOT_FOUND = _("No such attachment.")
STORAGE_DOWN = _("Attachments cannot be stored or read right now; please try again in a "
                 "moment.")


def _error(status, message):
    return JsonResponse({"error": message}, status=status)


def storage_errors_as_json(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except storage.StorageUnavailable:
            return _error(503, STORAGE_DOWN)

    return wrapper


def describe(upload):
    url = reverse("attachments:download", args=[upload.id])
    return {"id": str(upload.id), "name": upload.name, "type": upload.content_type,
            "size": upload.size, "sha256": upload.sha256,
            "url": f"{url}?inline=1" if upload.is_inline_image else url,
            "delete_url": reverse("attachments:delete", args=[upload.id]),
            "content_id": upload.content_id}


def _draft_listing(user, draft, uploads):
    return {"uploads": [describe(u) for u in uploads],
            "total": limits.draft_total(user, draft),
            "limit": settings.HERON_MAX_MESSAGE_BYTES}


@never_cache
@api_login_required
@require_GET
def draft_uploads(request):
    form = DraftForm(request.GET)
    if not form.is_valid():
        return _error(400, form.first_error())
    draft = form.cleaned_data["draft"]
    return JsonResponse(_draft_listing(request.user, draft,
                                       storage.uploads_for(request.user, draft)))


def _content_length(request):
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


# CSRF is checked in _store, after a request too large to accept is turned away
# unread: the CSRF check would first read the whole body (to look for the token).
@csrf_exempt
@never_cache
@api_login_required
@require_POST
def upload(request):
    declared = _content_length(request)
    if declared > settings.HERON_MAX_MESSAGE_BYTES + MULTIPART_SLACK:
        limit = storage.human_size(settings.HERON_MAX_MESSAGE_BYTES)
        return _error(413, gettext("Attachments are limited to %(limit)s a message; this "
                                   "upload is %(size)s.")
                      % {"limit": limit, "size": storage.human_size(declared)})
    try:
        request.FILES  # noqa: B018 - parse now, so a refused body gets a clear answer
    except RequestDataTooBig:
        return _error(413, gettext("The upload carried too much form data besides its files."))
    except TooManyFilesSent:
        return _error(400, gettext("Attach at most %(count)s files at once.")
                      % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FILES})
    except TooManyFieldsSent:
        return _error(400, gettext("The upload has too many form fields."))
    except MultiPartParserError:
        return _error(400, gettext("The upload could not be read; please try again."))
    return _store(request)


@csrf_protect
@storage_errors_as_json
def _store(request):
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _error(400, form.first_error())
    draft = form.cleaned_data["draft"]
    try:
        saved = storage.save_uploads(request.user, draft, form.uploaded, inline=form.inline)
    except storage.TooLarge as refused:
        return _error(413, refused.message)
    return JsonResponse(_draft_listing(request.user, draft, saved))


@never_cache
@api_login_required
@require_POST
@storage_errors_as_json
def delete(request, upload_id):
    found = storage.get_upload(request.user, upload_id)
    if found is None:
        return _error(404, NOT_FOUND)
    storage.delete_upload(found)
    return JsonResponse({"deleted": str(upload_id),
                         "total": limits.draft_total(request.user, found.draft),
                         "limit": settings.HERON_MAX_MESSAGE_BYTES})


@never_cache
@login_required
@require_GET
@storage_errors_as_json
def download(request, upload_id):
    """The file as a download; ?inline=1 shows an image in place (the compose editor).
    A file storage no longer has streams from the saved draft that holds it."""
    found = storage.get_upload(request.user, upload_id)
    if found is None:
        return _error(404, NOT_FOUND)
    handle = None if found.evicted else storage.open_upload(found)
    if handle is None and not found.is_saved:
        return _error(404, NOT_FOUND)
    inline = request.GET.get("inline") == "1" and found.content_type in INLINE_IMAGE_TYPES
    content_type = found.content_type if inline else storage.OCTET_STREAM
    if handle is not None:
        response = FileResponse(handle, as_attachment=not inline, filename=found.name,
                                content_type=content_type)
    else:
        response = StreamingHttpResponse(_from_draft(request, found), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(not inline, found.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _from_draft(request, upload):
    """The upload's bytes from its saved draft, the request's mail session checked out
    while they stream."""
    with mail_for(request) as mail:
        yield from draft_files.saved_file(mail, upload)
