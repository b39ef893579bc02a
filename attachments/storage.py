"""The only caller of the storage backend (S3 in production, local files by default).

Uploads stream from Django's upload (a temporary file past FILE_UPLOAD_MAX_MEMORY_SIZE)
to the backend in chunks, hashed and counted on the way; for S3 that is boto3's multipart
upload. Every lookup is scoped by the owner. Backend failures are raised as
StorageUnavailable, whose message names the failure but never a credential.

Storage holds working copies. Once a saved version of the draft in IMAP holds a file
(note_saved), that draft is its source of truth: purge_uploads may evict the stored bytes
(evict), and Heron streams them back from the draft when it needs them (restore).
"""
import hashlib
import logging
import re
import unicodedata
import uuid
from contextlib import contextmanager

from django.core.files.storage import default_storage
from django.utils.translation import ngettext

from . import limits
from .errors import StorageUnavailable
from .limits import TooLarge, human_size  # noqa: F401 - part of this module's interface
from .models import DRAFT_ID, INLINE_IMAGE_TYPES, Upload

log = logging.getLogger(__name__)

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


class _SourceFailed(Exception):
    """Raised inside the backend's read loop when the bytes' source failed (the mail server
    a file streams back from); restore() raises the source's own error."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


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
    except (_Overflow, _SourceFailed, FileNotFoundError):
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
    what = uploads[0].name if len(uploads) == 1 else ngettext(
        "this %(count)s file", "these %(count)s files", len(uploads)) % {"count": len(uploads)}
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
    if not upload.evicted:
        with _backend("delete an upload"):
            default_storage.delete(upload.key)
    Upload.objects.filter(pk=upload.pk).delete()


def delete_draft_uploads(owner, draft):
    """Remove all the owner's uploads of a draft (sent or discarded); returns how many."""
    uploads = uploads_for(owner, draft)
    for upload in uploads:
        delete_upload(upload)
    return len(uploads)


# --- Files in saved drafts --------------------------------------------------------------

_SAVED_FIELDS = ("saved_mailbox", "saved_uidvalidity", "saved_uid", "saved_section",
                 "saved_encoding")


def note_saved(upload, *, mailbox, uidvalidity, uid, section, encoding):
    """Record where the latest saved version of the draft holds the upload's file: the
    Drafts folder as of its UIDVALIDITY, the version's UID, the part's section and its
    transfer encoding."""
    values = dict(zip(_SAVED_FIELDS, (mailbox, uidvalidity, uid, section, encoding)))
    Upload.objects.filter(pk=upload.pk).update(**values)
    for name, value in values.items():
        setattr(upload, name, value)


def add_saved_file(owner, draft, *, name, content_type, size, content_id="", mailbox,
                   uidvalidity, uid, section, encoding):
    """Record a file that a saved draft holds and storage never had (a draft another client
    wrote, or one whose records were lost); returns the Upload, evicted from the start.
    size is what the draft's structure tells (a base64 part's decoded size, within two
    bytes) until the bytes are streamed back (restore)."""
    _check_draft(draft)
    upload_id = uuid.uuid4()
    content_type = clean_content_type(content_type)
    return Upload.objects.create(
        id=upload_id, owner=owner, draft=draft, name=clean_name(name),
        content_type=content_type, size=max(int(size or 0), 0), sha256="",
        key=f"uploads/{owner.pk}/{draft}/{upload_id.hex}", stored=True, evicted=True,
        content_id=(content_id or "")[:100] if content_type in INLINE_IMAGE_TYPES else "",
        **dict(zip(_SAVED_FIELDS, (mailbox, uidvalidity, uid, section, encoding))))


def forget_saved(upload):
    """Record that no saved version holds the upload's file (the one that did is gone)."""
    Upload.objects.filter(pk=upload.pk).update(saved_mailbox="", saved_uidvalidity=None,
                                               saved_uid=None, saved_section="",
                                               saved_encoding="")
    upload.saved_mailbox, upload.saved_uidvalidity, upload.saved_uid = "", None, None
    upload.saved_section = upload.saved_encoding = ""


def uploads_saved_at(owner, mailbox, uidvalidity, uid):
    """The owner's uploads that the saved draft at this place holds, oldest first."""
    return list(Upload.objects.filter(owner=owner, stored=True, saved_mailbox=mailbox,
                                      saved_uidvalidity=uidvalidity, saved_uid=uid)
                .order_by("created", "name"))


def has_bytes(upload):
    """True when storage holds the upload's bytes (not evicted, and its object is there)."""
    if upload.evicted:
        return False
    with _backend("look for an upload"):
        return default_storage.exists(upload.key)


def restore(upload, chunks):
    """Store the bytes of an upload again, as they stream back (chunks, from the saved
    draft that holds it), and record them; returns the upload. The file is the draft's:
    its size and checksum are what arrived (a checksum that differs from the one recorded
    at upload is logged). Raises StorageUnavailable, or what the chunks' source raised
    (nothing is kept then)."""

    def guarded():
        try:
            yield from chunks
        except Exception as exc:  # noqa: BLE001 - raised again as it was, below
            raise _SourceFailed(exc) from None

    reader = _HashingReader(_StreamFile(upload.name, upload.content_type, guarded()),
                            allowance=float("inf"))
    try:
        with _backend("restore an upload"):
            saved = default_storage.save(upload.key, reader)
    except _SourceFailed as failed:
        _remove_object(upload.key)
        raise failed.error from None
    digest = reader.digest.hexdigest()
    if upload.sha256 and digest != upload.sha256:
        log.warning("upload %s came back from its draft with other bytes", upload.pk)
    Upload.objects.filter(pk=upload.pk).update(size=reader.count, sha256=digest, key=saved,
                                               evicted=False)
    upload.size, upload.sha256, upload.key, upload.evicted = (reader.count, digest, saved,
                                                              False)
    return upload


def evict(upload):
    """Drop the stored bytes of an upload that a saved draft holds; its record stays, and
    the bytes can be streamed back from the draft."""
    if not upload.is_saved:
        raise ValueError("only an upload a saved draft holds may be evicted")
    # The object first: stopped between the two, the record still says stored, and a
    # reader that finds no object streams the file back from the draft all the same.
    with _backend("evict an upload"):
        default_storage.delete(upload.key)
    Upload.objects.filter(pk=upload.pk).update(evicted=True)
    upload.evicted = True


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

