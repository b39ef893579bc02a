from django.contrib import admin

from .models import Upload
from .storage import human_size


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    """Files attached to drafts not yet sent. Read-only; the bytes are removed with their
    draft, or by `manage.py purge_uploads`, which evicts (drops the stored copy of) those a
    saved draft in IMAP holds."""

    list_display = ("owner", "name", "readable_size", "content_type", "draft", "created", "stored",
                    "evicted")
    list_filter = ("created", "stored", "evicted")
    search_fields = ("owner__username", "draft")
    date_hierarchy = "created"
    list_select_related = ("owner",)
    readonly_fields = ("id", "owner", "draft", "name", "content_type", "size", "sha256", "key",
                       "created", "content_id", "stored", "saved_mailbox", "saved_uidvalidity",
                       "saved_uid", "saved_section", "saved_encoding", "evicted")

    @admin.display(description="size", ordering="size")
    def readable_size(self, upload):
        return human_size(upload.size)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Deleting a row here would leave its object behind in storage.
    def has_delete_permission(self, request, obj=None):
        return False
