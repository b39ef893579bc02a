from django.conf import settings
from django.db import models


class DraftState(models.Model):
    """Which version of a draft is the latest, so two tabs never overwrite each other.

    The draft itself lives in the IMAP Drafts folder; this row, shared by every frontend,
    counts its saves. A save names the version it started from and is refused when another
    window saved in between."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="draft_states")
    key = models.CharField(max_length=32)  # the compose id, also in the X-Heron-Draft header
    version = models.PositiveIntegerField(default=0)
    uid = models.PositiveBigIntegerField(null=True, blank=True)  # in Drafts, when known
    updated = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="one_state_per_draft")]

    def __str__(self):
        return f"{self.owner} draft {self.key} v{self.version}"
