from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from . import health
from .views import api, mailbox, message

mail_patterns = [
    path("", mailbox.mailbox, name="mailbox"),
    path("message/<int:uid>/", message.message, name="message"),
]
api_patterns = [
    path("mailboxes/", api.mailboxes, name="api-mailboxes"),
    path("messages/", api.messages, name="api-messages"),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/mail/", permanent=False)),
    path("mail/", include((mail_patterns, "webmail"))),
    path("api/", include((api_patterns, "api"))),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
