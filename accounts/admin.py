"""Django admin for operators: users and their sessions, mail domains, the login audit."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, CharField, Count, Q, Value, When
from django.db.models.functions import Lower, StrIndex, Substr
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from contacts.davserver import CardDavServer, forget_server, validate_server_url

from . import preference_fields, sessions
from .domains import domain_of, forget_domain, servers_for
from .forms import DomainPreferencesForm
from .models import Contact, Domain, Identity, LoginEvent, Route, UserSession
from .preferences import forget_domain_defaults

admin.site.site_header = "Heron administration"
admin.site.site_title = "Heron admin"

User = get_user_model()


def _refresh_lookups(*names):
    """Once the change commits, drop the cached server lookups of these mail domains.

    Each is read back at once, from the primary (this request wrote, so the router pins
    it there): otherwise the next login might read a lagging replica and cache the old
    servers for every frontend.
    """
    def refresh():
        for name in names:
            forget_domain(name)
            forget_domain_defaults(name)
            forget_server(name)
            servers_for(f"@{name}")

    transaction.on_commit(refresh)


class DomainForm(DomainPreferencesForm):
    """The Domain, its users' preference defaults and locks (DomainPreferencesForm), and its
    CardDAV server (contacts/davserver.py) as one more field."""

    carddav_url = forms.CharField(
        label=_("CardDAV address"), required=False, max_length=2000,
        validators=[validate_server_url],
        help_text=CardDavServer._meta.get_field("url").help_text)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            server = CardDavServer.objects.filter(domain=self.instance).first()
            self.fields["carddav_url"].initial = server.url if server else ""

    def save_carddav(self, domain):
        url = self.cleaned_data.get("carddav_url", "").strip()
        if url:
            CardDavServer.objects.update_or_create(domain=domain, defaults={"url": url})
        else:
            CardDavServer.objects.filter(domain=domain).delete()


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("name", "imap_host", "imap_port", "imap_security", "smtp_host", "smtp_port",
                    "active", "trusted_relay")
    form = DomainForm
    list_filter = ("active", "imap_security", "trusted_relay")
    search_fields = ("name", "imap_host", "smtp_host")

    def get_fieldsets(self, request, obj=None):
        own = [name for name in self.form.base_fields
               if not name.startswith(("default_", "lock_"))]
        return [(None, {"fields": own}),
                (_("User preferences: defaults and locks"), {
                    "classes": ["collapse"],
                    "description": _("A user's unset preference follows the domain's default; "
                                     "a locked one is shown to users read-only."),
                    "fields": [(f"default_{s.name}", f"lock_{s.name}")
                               for s in preference_fields.SETTINGS]})]

    def save_model(self, request, obj, form, change):
        renamed_from = form.initial.get("name") if change else None
        super().save_model(request, obj, form, change)
        form.save_carddav(obj)
        _refresh_lookups(*{name for name in (obj.name, renamed_from) if name})

    def delete_model(self, request, obj):
        name = obj.name
        super().delete_model(request, obj)
        _refresh_lookups(name)

    def delete_queryset(self, request, queryset):
        names = list(queryset.values_list("name", flat=True))
        super().delete_queryset(request, queryset)
        _refresh_lookups(*names)


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    """Single users, or the users a pattern names, served by other servers than their
    domain's: saved, the route is taken by every frontend from its next request."""

    list_display = ("pattern", "imap_host", "imap_port", "imap_security", "smtp_host",
                    "sieve_host", "note")
    list_filter = ("imap_security",)
    search_fields = ("pattern", "imap_host", "smtp_host", "note")
    fieldsets = [
        (None, {"fields": ["pattern", "note"]}),
        ("IMAP", {"fields": ["imap_host", "imap_port", "imap_security"]}),
        ("SMTP", {"fields": ["smtp_host", "smtp_port", "smtp_security"]}),
        ("ManageSieve", {"fields": ["sieve_host", "sieve_port", "sieve_security",
                                    "sieve_folder_encoding"]}),
    ]


# --- Users and their sessions ----------------------------------------------------------

# The part of the username after "@", lower case; "" for a local account without one.
MAIL_DOMAIN = Case(
    When(username__contains="@",
         then=Lower(Substr("username", StrIndex("username", Value("@")) + 1))),
    default=Value(""), output_field=CharField())
NO_DOMAIN = "-"


class MailDomainFilter(admin.SimpleListFilter):
    title = "mail domain"
    parameter_name = "domain"

    def lookups(self, request, model_admin):
        found = (User.objects.annotate(mail_domain=MAIL_DOMAIN).order_by("mail_domain")
                 .values_list("mail_domain", flat=True).distinct())
        return [(name or NO_DOMAIN, name or "(none: local account)") for name in found]

    def queryset(self, request, queryset):
        value = self.value()
        if value == NO_DOMAIN:
            return queryset.exclude(username__contains="@")
        if value:
            return queryset.filter(username__iendswith=f"@{value}")
        return queryset


class UserSessionInline(admin.TabularInline):
    """The user's live sessions, read-only: ending them is "Sign out everywhere"."""

    model = UserSession
    fields = ("fingerprint", "created", "last_seen", "client_ip", "user_agent")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "active sessions"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(last_seen__gte=sessions.live_since())

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Who may do what: only a superuser grants rights, and an account that logs in with its
# mail password never gets admin rights, which would then rest on the mail server alone
# (the admin login checks Django passwords only, by design: see ImapBackend).
RIGHTS = ("is_staff", "is_superuser", "groups", "user_permissions")


admin.site.unregister(User)


@admin.register(User)
class OperatorUserAdmin(UserAdmin):
    list_display = ("username", "mail_domain", "last_login", "active_sessions", "is_active",
                    "is_staff")
    list_filter = (MailDomainFilter, "is_active", "is_staff", "is_superuser")
    inlines = [UserSessionInline]
    actions = ["sign_out_everywhere"]
    change_form_template = "admin/accounts/user_change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            mail_domain=MAIL_DOMAIN,
            active_sessions=Count("sessions", distinct=True,
                                  filter=Q(sessions__last_seen__gte=sessions.live_since())),
        )

    @admin.display(description="mail domain", ordering="mail_domain")
    def mail_domain(self, user):
        return domain_of(user.username) or "–"

    @admin.display(description="active sessions", ordering="active_sessions")
    def active_sessions(self, user):
        return user.active_sessions

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.has_usable_password():
            return fieldsets
        # An account of the mail server: its password lives there, its mail on the servers
        # the Route and Domain tables name.
        return [(name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
                for name, options in fieldsets] + [
            ("Mail servers", {"fields": ["mail_servers"]})]

    @admin.display(description="servers and routing")
    def mail_servers(self, user):
        address = user.username.strip().lower()
        servers = servers_for(address, backend=True)
        route = Route.objects.filter(pattern=servers.route).first() if servers.route else None
        if route is not None:
            link = reverse("admin:accounts_route_change", args=[route.pk])
            how = format_html('by the route <a href="{}">{}</a>', link, route.pattern)
        elif Domain.objects.filter(name=domain_of(address)).exists():
            how = format_html("by the domain {}", domain_of(address))
        else:
            how = "the server defaults (no route or domain names this login)"
        sieve = servers.sieve
        return format_html(
            "IMAP {}:{} ({}) · SMTP {}:{} ({}) · ManageSieve {} — {}",
            servers.imap.host, servers.imap.port, servers.imap.security,
            servers.smtp.host, servers.smtp.port, servers.smtp.security,
            f"{sieve.host}:{sieve.port}" if sieve else "none", how)

    def get_readonly_fields(self, request, obj=None):
        fields = ["last_login", "date_joined", "mail_servers"]
        if obj is not None:
            # The username is the mail address the account logs in with.
            fields.append("username")
            if not request.user.is_superuser or not obj.has_usable_password():
                fields.extend(RIGHTS)
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj == request.user
                                or (obj.is_superuser and not request.user.is_superuser)):
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and not user.has_usable_password():
            messages.error(request, f"{user} logs in with the password of the mail server; "
                                    "change it there.")
            return redirect(reverse("admin:auth_user_change", args=[user.pk]))
        return super().user_change_password(request, id, form_url)

    def get_urls(self):
        return [
            path("<int:user_id>/sign-out/", self.admin_site.admin_view(self.sign_out_view),
                 name="auth_user_sign_out"),
        ] + super().get_urls()

    @admin.action(description="Sign out everywhere", permissions=["change"])
    def sign_out_everywhere(self, request, queryset):
        _sign_out_users(self, request, queryset)

    @method_decorator(require_POST)
    def sign_out_view(self, request, user_id):
        """The "Sign out everywhere" button of a user's page (admin_view checks CSRF)."""
        user = get_object_or_404(User, pk=user_id)
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        self.sign_out_everywhere(request, User.objects.filter(pk=user.pk))
        return redirect(reverse("admin:auth_user_change", args=[user.pk]))


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """Live sessions. The key itself is never shown: it would let anyone holding it in."""

    list_display = ("user", "fingerprint", "created", "last_seen", "client_ip",
                    "short_user_agent")
    list_filter = ("last_seen",)
    search_fields = ("user__username", "client_ip")
    list_select_related = ("user",)
    date_hierarchy = "last_seen"
    fields = ("user", "fingerprint", "created", "last_seen", "client_ip", "user_agent")
    readonly_fields = fields
    actions = ["sign_out_sessions", "sign_out_users_everywhere"]

    def get_queryset(self, request):
        # Sessions that expired on their own are left to `manage.py prune_sessions`.
        return super().get_queryset(request).filter(last_seen__gte=sessions.live_since())

    @admin.display(description="fingerprint")
    def fingerprint(self, user_session):
        return user_session.fingerprint()

    @admin.display(description="browser")
    def short_user_agent(self, user_session):
        agent = user_session.user_agent
        return agent if len(agent) <= 60 else agent[:59] + "…"

    def get_actions(self, request):
        found = super().get_actions(request)
        # Deleting a row must end its session too: the actions below do both.
        found.pop("delete_selected", None)
        return found

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        sessions.end(UserSession.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        sessions.end(queryset)

    @admin.action(description="Sign out the selected sessions", permissions=["delete"])
    def sign_out_sessions(self, request, queryset):
        ended = sessions.end(queryset)
        self.message_user(request, f"Ended {ended} session(s).", messages.SUCCESS)

    @admin.action(description="Sign out their users everywhere", permissions=["delete"])
    def sign_out_users_everywhere(self, request, queryset):
        _sign_out_users(self, request, User.objects.filter(pk__in=queryset.values("user")))


def _sign_out_users(model_admin, request, users):
    """End every session of the users (superusers only by a superuser), and say so."""
    if not request.user.is_superuser:
        users = users.filter(is_superuser=False)
    users = list(users)
    ended = sessions.sign_out_everywhere(users)
    model_admin.message_user(request, f"Signed out {len(users)} user(s) everywhere "
                                      f"({ended} recorded session(s) ended).", messages.SUCCESS)


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
    list_display = ("user", "email", "name", "is_default", "confirmed", "created")
    list_filter = ("is_default",)
    search_fields = ("user__username", "email", "name")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("created", "confirmed_email", "confirm_sent")

    @admin.display(description="confirmed by link", boolean=True)
    def confirmed(self, identity):
        # The login address and the domain's allowed senders need no confirmation.
        return identity.is_confirmed()


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
