"""The only caller of the storage backend (S3 in production, local files by default).

Uploads stream from Django's upload (a temporary file past FILE_UPLOAD_MAX_MEMORY_SIZE)
to the backend in chunks, hashed and counted on the way; for S3 that is boto3's multipart
upload. Every lookup is scoped by the owner. Backend failures are raised as
StorageUnavailable, whose message names the failure but never a credential.
"""
import hashlib
import logging
import re
import unicodedata
import uuid
from contextlib import contextmanager

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import router
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from .errors import StorageUnavailable
from .models import DRAFT_ID, INLINE_IMAGE_TYPES, Upload

log = logging.getLogger(__name__)

FALLBACK_NAME = "attachment"
OCTET_STREAM = "application/octet-stream"
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
# Control and format characters (a right-to-left override can disguise "exe.pdf"), and
# line or paragraph separators.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


class TooLarge(Exception):
    """The draft's attachments would pass HERON_MAX_MESSAGE_BYTES; the message is for users."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class _Overflow(Exception):
    """Raised inside the backend's read loop when a file turns out bigger than declared."""

    def __init__(self, count):
        super().__init__(count)
        self.count = count


def check():
    """Ask the backend to list its top folder; raises StorageUnavailable if it cannot.

    Read-only, so /readyz costs the bucket no object written and deleted per probe; the
    listing still needs the bucket to exist and the credentials to be accepted.
    """
    try:
        default_storage.listdir("")
    except FileNotFoundError:
        # Only the local files backend says so: its folder is made by the first upload.
        return
    except Exception as exc:  # noqa: BLE001 - any backend failure means "not ready"
        raise StorageUnavailable(type(exc).__name__) from None


@contextmanager
def _backend(action):
    """Turns any backend failure into StorageUnavailable naming the action and error type."""
    try:
        yield
    except (_Overflow, FileNotFoundError):
        raise
    except Exception as exc:  # noqa: BLE001 - the backends raise many unrelated types
        log.warning("storage could not %s: %s", action, type(exc).__name__)
        raise StorageUnavailable(f"could not {action}: {type(exc).__name__}") from None


# --- Names, types and sizes ------------------------------------------------------------

def clean_name(raw):
    """The filename to keep: its last path part, without control characters, at most 255."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = name.strip()
    if name.strip(".") == "":
        return FALLBACK_NAME
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 16:
            name = f"{stem[:254 - len(extension)].rstrip()}.{extension}"
        else:
            name = name[:255].rstrip()
    return name


def clean_content_type(raw):
    """A declared "type/subtype" in lower case, parameters dropped; anything else is octets."""
    value = str(raw or "").split(";", 1)[0].strip().lower()
    return value if _CONTENT_TYPE.fullmatch(value) else OCTET_STREAM


def human_size(size):
    """1536 -> "1.5 KB", 25 MiB -> "25 MB": sizes as users and operators read them."""
    if size < 1024:
        return f"{size} bytes"
    value, unit = (size / 1024, "KB") if size < 1024 * 1024 else (size / 1024 / 1024, "MB")
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def _too_large(what, adding, total, over=""):
    limit = settings.HERON_MAX_MESSAGE_BYTES
    return TooLarge(f"Attachments are limited to {human_size(limit)} a message; {what} "
                    f"({over}{human_size(adding)}) would make it {over}{human_size(total)}.")


# --- Storing ---------------------------------------------------------------------------

class _HashingReader:
    """Hands an upload to the backend once, front to back, hashing and counting as it goes.

    FileSystemStorage reads it through chunks(), S3Storage through read() into boto3's
    multipart upload. It is not seekable, so neither backend rewinds or sizes it; past
    `allowance` bytes it raises _Overflow and the backend abandons what it wrote.
    """

    closed = False

    def __init__(self, uploaded_file, allowance):
        uploaded_file.seek(0)
        self._source = uploaded_file
        self._allowance = allowance
        self.count = 0
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        data = self._source.read(size)
        self.count += len(data)
        if self.count > self._allowance:
            raise _Overflow(self.count)
        self.digest.update(data)
        return data

    def chunks(self, chunk_size=64 * 1024):
        while data := self.read(chunk_size):
            yield data

    def readable(self):
        return True

    def seekable(self):
        return False


def _on_primary():
    # Limits and purges go by the primary: a lagging replica would undercount.
    return Upload.objects.db_manager(router.db_for_write(Upload))


def draft_total(owner, draft, *, primary=False):
    """Bytes of all the owner's uploads for this draft."""
    uploads = _on_primary() if primary else Upload.objects
    return uploads.filter(owner=owner, draft=draft).aggregate(total=Sum("size"))["total"] or 0


def _check_draft(draft):
    if not DRAFT_ID.fullmatch(str(draft)):
        raise ValueError("a draft id is 32 lower-case hex digits")


def save_upload(owner, draft, uploaded_file, *, inline=False):
    """Stream one Django UploadedFile to storage and record it; returns the Upload.

    Raises TooLarge (nothing kept) when the draft's uploads would pass
    HERON_MAX_MESSAGE_BYTES, judged first by the declared size and again by the bytes
    actually read; StorageUnavailable when the backend fails.
    """
    _check_draft(draft)
    limit = settings.HERON_MAX_MESSAGE_BYTES
    name = clean_name(uploaded_file.name)
    existing = draft_total(owner, draft, primary=True)
    declared = uploaded_file.size or 0
    if existing + declared > limit:
        raise _too_large(name, declared, existing + declared)

    upload_id = uuid.uuid4()
    key = f"uploads/{owner.pk}/{draft}/{upload_id.hex}"
    reader = _HashingReader(uploaded_file, allowance=limit - existing)
    try:
        with _backend("store an upload"):
            saved = default_storage.save(key, reader)
    except _Overflow as overflow:
        _remove_object(key)
        raise _too_large(name, overflow.count, existing + overflow.count, over="over ") from None
    except StorageUnavailable:
        _remove_object(key)
        raise

    content_type = clean_content_type(uploaded_file.content_type)
    content_id = f"{upload_id.hex}@heron" if inline and content_type in INLINE_IMAGE_TYPES else ""
    try:
        return Upload.objects.create(
            id=upload_id, owner=owner, draft=draft, name=name, content_type=content_type,
            size=reader.count, sha256=reader.digest.hexdigest(), key=saved,
            content_id=content_id)
    except Exception:
        _remove_object(saved)
        raise


class _StreamFile:
    """Chunks from an iterator (a part streaming from IMAP) read like an uploaded file."""

    size = None

    def __init__(self, name, content_type, chunks):
        self.name, self.content_type = name, content_type
        self._chunks, self._buffer = iter(chunks), b""

    def seek(self, offset):
        if offset:
            raise ValueError("a stream is read once, from the start")

    def read(self, size=-1):
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def save_stream(owner, draft, name, content_type, chunks):
    """Store bytes that arrive as an iterator of chunks (a forwarded message's attachments,
    streamed from IMAP), with the limits and records of save_upload; returns the Upload."""
    return save_upload(owner, draft, _StreamFile(name, content_type, chunks))


def save_uploads(owner, draft, uploaded_files, *, inline=False):
    """Store several files for one draft, all or none; returns the Uploads in order.

    The declared sizes together are checked against the limit before anything is stored.
    """
    _check_draft(draft)
    files = list(uploaded_files)
    declared = sum(f.size or 0 for f in files)
    existing = draft_total(owner, draft, primary=True)
    if existing + declared > settings.HERON_MAX_MESSAGE_BYTES:
        what = clean_name(files[0].name) if len(files) == 1 else f"these {len(files)} files"
        raise _too_large(what, declared, existing + declared)
    saved = []
    try:
        for uploaded_file in files:
            saved.append(save_upload(owner, draft, uploaded_file, inline=inline))
    except Exception:
        for upload in saved:
            _remove_object(upload.key)
            upload.delete()
        raise
    return saved


def _remove_object(key):
    """Best-effort removal after a failed save; a leftover is logged, not raised."""
    try:
        with _backend("remove a partial upload"):
            default_storage.delete(key)
    except StorageUnavailable:
        log.warning("left a partial upload behind: %s", key)


# --- Finding, reading, removing --------------------------------------------------------

def uploads_for(owner, draft):
    """The owner's uploads for a draft, oldest first."""
    return list(Upload.objects.filter(owner=owner, draft=draft).order_by("created", "name"))


def get_upload(owner, upload_id):
    """The owner's upload with this id, or None (unknown, malformed, or someone else's)."""
    try:
        upload_id = uuid.UUID(str(upload_id))
    except ValueError:
        return None
    return Upload.objects.filter(id=upload_id, owner=owner).first()


def open_upload(upload):
    """The upload's bytes as an open binary file, or None if its object is gone.

    The file is fetched before this returns (S3 spools it to a temporary file past
    FILE_UPLOAD_MAX_MEMORY_SIZE), so a backend failure is StorageUnavailable here rather
    than a download cut short.
    """
    try:
        with _backend("read an upload"):
            handle = default_storage.open(upload.key, "rb")
            handle.open("rb")
    except FileNotFoundError:
        return None
    return handle


def delete_upload(upload):
    """Remove the upload's object, then its record; the instance keeps its id for reports."""
    with _backend("delete an upload"):
        default_storage.delete(upload.key)
    Upload.objects.filter(pk=upload.pk).delete()


def delete_draft_uploads(owner, draft):
    """Remove all the owner's uploads of a draft (sent or discarded); returns how many."""
    uploads = uploads_for(owner, draft)
    for upload in uploads:
        delete_upload(upload)
    return len(uploads)


def stale_uploads(older_than):
    """Uploads of drafts abandoned longer than `older_than` (a timedelta), oldest first.

    A draft is abandoned when none of its uploads is newer than that, so a draft still
    being worked on keeps its early attachments.
    """
    cutoff = timezone.now() - older_than
    recent = Upload.objects.filter(owner=OuterRef("owner"), draft=OuterRef("draft"),
                                   created__gte=cutoff)
    return list(_on_primary().filter(created__lt=cutoff).filter(~Exists(recent))
                .select_related("owner").order_by("created"))


def purge(older_than):
    """Remove the stale uploads (objects, then records); returns what was removed."""
    removed = stale_uploads(older_than)
    for upload in removed:
        delete_upload(upload)
    return removed
