"""Attachments, the zip of all of them, and the message source: streamed from IMAP."""
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..forms import MessageViewForm
from ..mail import mail_for
from ..mime.zipstream import zip_parts

# Shown inline only on request, only these, and still under a sandboxing CSP.
INLINE_SAFE = {"application/pdf"}


def _stream(request, produce):
    """Yield from produce(mail) with the request's pooled session checked out meanwhile."""
    with mail_for(request) as mail:
        yield from produce(mail)


def _headers(response, filename, inline):
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _fallback_name(part):
    subtype = part.content_type.split("/", 1)[-1]
    return f"part-{part.section}.{subtype if subtype.isalnum() else 'bin'}"


@never_cache
@login_required
@require_GET
def part(request, uid, section):
    """One attachment: a download, or (?inline=1) an image or PDF shown in the browser."""
    mailbox = MessageViewForm.query_of(request.GET)["mailbox"]
    with mail_for(request) as mail:
        parts, single = mail.parts(mailbox, uid)
    found = next((p for p in parts if p.section == section), None)
    if found is None:
        raise Http404("no such part")
    inline = request.GET.get("inline") == "1" and (found.is_image
                                                   or found.content_type in INLINE_SAFE)
    content_type = found.content_type if inline else "application/octet-stream"
    response = StreamingHttpResponse(
        _stream(request, lambda mail: mail.iter_part(mailbox, uid, found, single)),
        content_type=content_type)
    return _headers(response, found.filename or _fallback_name(found), inline)


@never_cache
@login_required
@require_GET
def all_parts(request, uid):
    """Every attachment of a message in one zip, built while it streams."""
    mailbox = MessageViewForm.query_of(request.GET)["mailbox"]
    with mail_for(request) as mail:
        shown = mail.message(mailbox, uid, mark_read=False, max_body=0)
    if not shown.attachments:
        raise Http404("no attachments")

    def produce(mail):
        files = ((p.filename or _fallback_name(p), lambda p=p: mail.iter_part(mailbox, uid, p))
                 for p in shown.attachments)
        yield from zip_parts(files)

    response = StreamingHttpResponse(_stream(request, produce), content_type="application/zip")
    name = (shown.subject or "attachments")[:80].strip() or "attachments"
    return _headers(response, f"{name}.zip", inline=False)


@never_cache
@login_required
@require_GET
def raw(request, uid):
    """The message source: ?download=1 as an .eml file, else as plain text to read."""
    mailbox = MessageViewForm.query_of(request.GET)["mailbox"]
    with mail_for(request) as mail:
        found = mail.summaries(mailbox, [uid], confirm=True)
    if not found:
        raise Http404("no such message")
    shown = found[0]
    download = request.GET.get("download") == "1"
    response = StreamingHttpResponse(
        _stream(request, lambda mail: mail.iter_section(mailbox, uid, "")),
        content_type="message/rfc822" if download else "text/plain; charset=utf-8")
    name = (shown.subject or "message")[:80].strip() or "message"
    return _headers(response, f"{name}.eml", inline=not download)
