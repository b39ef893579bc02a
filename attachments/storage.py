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
from datetime import timedelta

from django.core.files.storage import default_storage
from django.db import router
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from . import limits
from .errors import StorageUnavailable
from .limits import TooLarge, human_size  # noqa: F401 - part of this module's interface
from .models import DRAFT_ID, INLINE_IMAGE_TYPES, Upload

log = logging.getLogger(__name__)

# An upload still not stored this long after its reservation died on the way (a request
# lasts at most the worker timeout); purge_uploads removes what it left.
UNSTORED_AFTER = timedelta(hours=1)

FALLBACK_NAME = "attachment"
OCTET_STREAM = "application/octet-stream"
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
# Control and format characters (a right-to-left override can disguise "exe.pdf"), and
# line or paragraph separators.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


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


def _check_draft(draft):
    if not DRAFT_ID.fullmatch(str(draft)):
        raise ValueError("a draft id is 32 lower-case hex digits")


def _new_upload(owner, draft, uploaded_file, inline):
    """The record of a file about to be stored: not stored yet, its declared size reserved."""
    upload_id = uuid.uuid4()
    content_type = clean_content_type(uploaded_file.content_type)
    return Upload(
        id=upload_id, owner=owner, draft=draft, name=clean_name(uploaded_file.name),
        content_type=content_type, size=uploaded_file.size or 0, sha256="",
        key=f"uploads/{owner.pk}/{draft}/{upload_id.hex}", stored=False,
        content_id=f"{upload_id.hex}@heron"
        if inline and content_type in INLINE_IMAGE_TYPES else "")


def _store(upload, uploaded_file, room, others):
    """Stream the file to its reserved key and settle its size. Read past its declared size
    and the room left, it is refused there; `others` are the bytes reserved beside it."""
    reader = _HashingReader(uploaded_file, allowance=upload.size + room.free)
    try:
        with _backend("store an upload"):
            saved = default_storage.save(upload.key, reader)
    except _Overflow as overflow:
        raise limits.refusal(upload.name, overflow.count, room.in_draft + others,
                             room.in_all + others, over="over ") from None
    limits.settle(upload, reader.count, reader.digest.hexdigest(), saved)


def save_uploads(owner, draft, uploaded_files, *, inline=False):
    """Store several files for one draft, all or none; returns the Uploads in order.

    Their declared sizes are reserved first, against HERON_MAX_MESSAGE_BYTES for the draft
    and HERON_UPLOAD_QUOTA_BYTES for all the owner's uploads, as one step that parallel
    uploads on any frontend cannot slip between (attachments/limits.py); the bytes actually
    read are held to the limits too. Raises TooLarge, or StorageUnavailable when the backend
    fails; either way nothing is kept, in the database or in storage.
    """
    _check_draft(draft)
    files = list(uploaded_files)
    uploads = [_new_upload(owner, draft, uploaded_file, inline) for uploaded_file in files]
    what = uploads[0].name if len(uploads) == 1 else f"these {len(uploads)} files"
    room = limits.reserve(owner, draft, uploads, what)
    adding = sum(upload.size for upload in uploads)
    try:
        for upload, uploaded_file in zip(uploads, files):
            _store(upload, uploaded_file, room, others=adding - upload.size)
    except BaseException:
        for upload in uploads:
            _remove_object(upload.key)
        limits.release(uploads)
        raise
    return uploads


def save_upload(owner, draft, uploaded_file, *, inline=False):
    """Stream one Django UploadedFile to storage and record it; returns the Upload.

    The limits and failures of save_uploads."""
    return save_uploads(owner, draft, [uploaded_file], inline=inline)[0]


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
    streamed from IMAP), with the limits and records of save_upload; returns the Upload.
    Its size is unknown until read, so it reserves nothing and is checked as it settles."""
    return save_upload(owner, draft, _StreamFile(name, content_type, chunks))


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
    return list(Upload.objects.filter(owner=owner, draft=draft, stored=True)
                .order_by("created", "name"))


def get_upload(owner, upload_id):
    """The owner's upload with this id, or None (unknown, malformed, or someone else's)."""
    try:
        upload_id = uuid.UUID(str(upload_id))
    except ValueError:
        return None
    return Upload.objects.filter(id=upload_id, owner=owner, stored=True).first()


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
    """Uploads of drafts abandoned longer than `older_than` (a timedelta), oldest first,
    and reservations whose upload died before it was stored (older than UNSTORED_AFTER).

    A draft is abandoned when none of its uploads is newer than that, so a draft still
    being worked on keeps its early attachments.
    """
    now = timezone.now()
    cutoff = now - older_than
    recent = Upload.objects.filter(owner=OuterRef("owner"), draft=OuterRef("draft"),
                                   created__gte=cutoff)
    abandoned = Q(created__lt=cutoff) & ~Exists(recent)
    died = Q(stored=False, created__lt=now - UNSTORED_AFTER)
    uploads = Upload.objects.db_manager(router.db_for_write(Upload))
    return list(uploads.filter(abandoned | died).select_related("owner").order_by("created"))


def purge(older_than):
    """Remove the stale uploads (objects, then records); returns what was removed."""
    removed = stale_uploads(older_than)
    for upload in removed:
        delete_upload(upload)
    return removed


# --- Held messages (webmail/outbox.py) -------------------------------------------------

def save_held(owner, held_id, file):
    """Store the whole message Heron holds to send later (a binary file at its start);
    returns its storage key. Raises StorageUnavailable."""
    key = f"held/{owner.pk}/{uuid.UUID(str(held_id)).hex}"
    with _backend("store a held message"):
        return default_storage.save(key, _HashingReader(file, allowance=float("inf")))


def open_held(key):
    """The held message's bytes as an open binary file, or None if it is gone."""
    try:
        with _backend("read a held message"):
            handle = default_storage.open(key, "rb")
            handle.open("rb")
    except FileNotFoundError:
        return None
    return handle


def delete_held(key):
    """Remove a held message's object (sent, or back in Drafts); a failure is logged: an
    object left behind holds no one's mail that is not also elsewhere."""
    try:
        with _backend("delete a held message"):
            default_storage.delete(key)
    except StorageUnavailable:
        log.warning("left a held message behind: %s", key)

