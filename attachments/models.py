import re
import uuid

from django.conf import settings
from django.db import models

# A compose id: the compose page makes one per draft (uuid4().hex).
DRAFT_ID = re.compile(r"[0-9a-f]{32}")
# Images the compose editor may show inline; never SVG, which can carry script.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


class Upload(models.Model):
    """One file attached to a draft being composed: the compose window's handle on it.

    Its bytes go to the storage backend as they arrive. Once a version of the draft is
    saved in the IMAP Drafts folder, the file is inside it too and the `saved_*` fields say
    where; from then on that draft is the file's source of truth, and the stored bytes are
    a working copy that purge_uploads may evict (`evicted`): Heron streams them back from
    the draft when it needs them (attachments/storage.py, webmail/writing.py).
    """

    # A random id: the URLs of an upload cannot be guessed from another one.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="uploads")
    # The compose id (32 hex digits) the compose page made; the IMAP draft carries it too,
    # so a reopened draft finds its uploads again.
    draft = models.CharField(max_length=64, db_index=True)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    # The storage name; made from ids only, never from the user's filename.
    key = models.CharField(max_length=255, unique=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set for an image placed in the HTML body, which refers to it as cid:<content_id>.
    content_id = models.CharField(max_length=100, blank=True)
    # False while the bytes are on their way to storage: the row reserves their size against
    # the limits (attachments/limits.py) but is not shown, sent or downloaded yet.
    stored = models.BooleanField(default=True)
    # Where the latest saved version of the draft holds the file: the Drafts folder as of
    # its UIDVALIDITY, the version's UID, the part's section and transfer encoding. Empty
    # (saved_uid None) until a version with the file is saved.
    saved_mailbox = models.CharField(max_length=1000, blank=True)
    saved_uidvalidity = models.PositiveBigIntegerField(null=True, blank=True)
    saved_uid = models.PositiveBigIntegerField(null=True, blank=True)
    saved_section = models.CharField(max_length=200, blank=True)
    saved_encoding = models.CharField(max_length=40, blank=True)
    # True when the stored bytes were dropped (the saved draft holds the file) or never
    # stored (a file of a draft another client wrote): the draft is then the only copy.
    evicted = models.BooleanField(default=False)

    class Meta:
        ordering = ["created"]

    def __str__(self):
        return self.name

    @property
    def is_saved(self):
        """True when a saved version of the draft holds the file."""
        return self.saved_uid is not None

    @property
    def is_inline_image(self):
        return bool(self.content_id) and self.content_type in INLINE_IMAGE_TYPES
