from django.contrib import admin

from .models import Contact, Domain, Identity, LoginEvent


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("name", "imap_host", "imap_port", "imap_security", "smtp_host", "smtp_port",
                    "active")
    list_filter = ("active", "imap_security")
    search_fields = ("name", "imap_host", "smtp_host")


@admin.register(LoginEvent)
class LoginEventAdmin(admin.ModelAdmin):
    list_display = ("created", "username", "outcome", "client_ip", "user_agent")
    list_filter = ("outcome", "created")
    search_fields = ("username", "client_ip")
    date_hierarchy = "created"
    readonly_fields = ("created", "username", "user", "outcome", "client_ip", "user_agent")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "email", "name", "is_default", "created")
    list_filter = ("is_default",)
    search_fields = ("user__username", "email", "name")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("created",)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Read-only: contacts come from mail. Deleting stays possible, e.g. on request."""

    list_display = ("user", "email", "name", "times", "last_seen")
    search_fields = ("user__username", "email", "name")
    list_select_related = ("user",)
    date_hierarchy = "last_seen"
    readonly_fields = ("user", "email", "name", "times", "last_seen")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
