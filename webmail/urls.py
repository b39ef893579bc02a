from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import RedirectView

from accounts import mailproxy

from . import health, language, metrics
from .params import MAX_UID
from .views import (
    actions,
    api,
    app,
    compose,
    events,
    filters,
    folders,
    mailbox,
    message,
    outbox,
    parts,
    snooze,
)


class UidConverter:
    """A message's UID in a path: 1 to 2**32 - 1, anything else matches no page (404)."""

    regex = "[0-9]{1,10}"

    def to_python(self, value):
        uid = int(value)
        if not 0 < uid <= MAX_UID:
            raise ValueError(value)
        return uid

    def to_url(self, value):
        return str(value)


register_converter(UidConverter, "uid")

mail_patterns = [
    path("", mailbox.mailbox, name="mailbox"),
    # Served by the events process (ASGI) in production: nginx sends it there.
    path("events", events.stream, name="events"),
    path("message/<uid:uid>/", message.message, name="message"),
    path("message/<uid:uid>/print/", message.message, name="print"),
    path("message/<uid:uid>/body/", message.body, name="body"),
    path("message/<uid:uid>/part/<str:section>/", parts.part, name="part"),
    path("message/<uid:uid>/attachments.zip", parts.all_parts, name="all-parts"),
    path("message/<uid:uid>/source/", parts.raw, name="source"),
    path("thread/<uid:uid>/", mailbox.thread, name="thread"),
    path("search/folder/", mailbox.search_folder, name="search-folder"),
    path("actions/", actions.act, name="act"),
    path("actions/undo/", actions.undo, name="undo"),
    path("trust-sender/", message.trust_sender, name="trust-sender"),
    path("compose/", compose.compose, name="compose"),
    path("compose/forward/", compose.forward, name="compose-forward"),
    path("compose/save/", compose.save, name="compose-save"),
    path("compose/send/", compose.send, name="compose-send"),
    path("compose/send-later/", compose.send_later, name="compose-send-later"),
    path("compose/discard/", compose.discard, name="compose-discard"),
    path("compose/reload/", compose.reload, name="compose-reload"),
    path("outbox/", outbox.scheduled, name="outbox"),
    path("outbox/<uuid:held_id>/undo/", outbox.undo, name="outbox-undo"),
    path("outbox/<uuid:held_id>/cancel/", outbox.cancel, name="outbox-cancel"),
    path("outbox/<uuid:held_id>/send-now/", outbox.send_now, name="outbox-send-now"),
    path("outbox/<uuid:held_id>/reschedule/", outbox.reschedule, name="outbox-reschedule"),
    path("outbox/<uuid:held_id>/sent/", outbox.settle, name="outbox-settle"),
    path("snooze/", snooze.snooze_messages, name="snooze"),
    path("snoozed/", snooze.snoozed, name="snoozed"),
    path("snoozed/<uuid:snooze_id>/unsnooze/", snooze.unsnooze, name="unsnooze"),
    path("folders/", folders.folders, name="folders"),
    path("folders/create/", folders.create, name="folder-create"),
    path("folders/rename/", folders.rename, name="folder-rename"),
    path("folders/delete/", folders.delete, name="folder-delete"),
    path("folders/subscribe/", folders.subscribe, name="folder-subscribe"),
    path("folders/empty/", folders.empty, name="folder-empty"),
    path("filters/", filters.index, name="filters"),
    path("filters/new/", filters.rule, name="filter-new"),
    path("filters/rule/<int:index>/", filters.rule, name="filter-rule"),
    path("filters/rule/<int:index>/toggle/", filters.toggle, name="filter-toggle"),
    path("filters/rule/<int:index>/move/", filters.move, name="filter-move"),
    path("filters/rule/<int:index>/delete/", filters.delete, name="filter-delete"),
    path("filters/order/", filters.order, name="filter-order"),
    path("filters/vacation/", filters.vacation, name="filter-vacation"),
    path("filters/vacation/off/", filters.vacation_off, name="filter-vacation-off"),
    path("filters/script/", filters.script, name="filter-script"),
    path("filters/sets/", filters.sets, name="filter-sets"),
    path("filters/sets/new/", filters.new_set, name="filter-set-new"),
    path("filters/sets/activate/", filters.activate, name="filter-activate"),
    path("filters/sets/delete/", filters.delete_set, name="filter-set-delete"),
]
api_patterns = [
    path("mailboxes/", api.mailboxes, name="api-mailboxes"),
    path("messages/", api.messages, name="api-messages"),
    path("poll/", api.poll, name="api-poll"),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/mail/", permanent=False)),
    path("mail/", include((mail_patterns, "webmail"))),
    path("api/", include((api_patterns, "api"))),
    path("accounts/", include("accounts.urls")),
    path("attachments/", include("attachments.urls")),
    path("contacts/", include("contacts.urls")),
    path("admin/", admin.site.urls),
    path("manifest.webmanifest", app.manifest, name="manifest"),
    path("jsi18n/<str:language>/<str:version>.js", language.javascript_catalog,
         name="javascript-catalog"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("mail-proxy/auth", mailproxy.auth, name="mail-proxy-auth"),
]
