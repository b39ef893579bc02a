"""The only caller of the storage backend (S3 in production, local files by default)."""
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


class StorageUnavailable(Exception):
    """The storage backend did not answer."""


def check():
    """Write, read back and delete a small probe object; raises StorageUnavailable."""
    name = f"health/{uuid.uuid4().hex}.txt"
    try:
        saved = default_storage.save(name, ContentFile(b"ok"))
        with default_storage.open(saved) as handle:
            ok = handle.read() == b"ok"
        default_storage.delete(saved)
    except Exception as exc:  # noqa: BLE001 - any backend failure means "not ready"
        raise StorageUnavailable(type(exc).__name__) from None
    if not ok:
        raise StorageUnavailable("read back something else")
