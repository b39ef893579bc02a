from django.urls import path

from .views import conflicts, lists, pages, transfer

app_name = "contacts"
urlpatterns = [
    path("", pages.contacts_page, name="page"),
    path("new/", pages.edit_card, name="new"),
    path("<int:card_id>/", pages.card_view, name="card"),
    path("<int:card_id>/edit/", pages.edit_card, name="edit"),
    path("<int:card_id>/delete/", pages.delete_card, name="delete"),
    path("<int:card_id>/photo/", pages.photo, name="photo"),
    path("<int:card_id>/resolve/", conflicts.resolve_conflict, name="resolve"),
    path("collected/<int:contact_id>/forget/", pages.forget_collected, name="forget"),
    path("groups/new/", lists.create_group, name="group-new"),
    path("groups/<int:group_id>/rename/", lists.rename_group, name="group-rename"),
    path("groups/<int:group_id>/delete/", lists.delete_group, name="group-delete"),
    path("groups/members/", lists.group_members, name="group-members"),
    path("groups/expand/", lists.expand_group, name="group-expand"),
    path("import/", transfer.import_cards, name="import"),
    path("export/", transfer.export_cards, name="export"),
]
