from django.contrib import admin

from .models import Domain, LoginEvent


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
