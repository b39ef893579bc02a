from django.urls import path

from . import views

app_name = "attachments"
urlpatterns = [
    path("", views.draft_uploads, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<uuid:upload_id>/", views.download, name="download"),
    path("<uuid:upload_id>/delete/", views.delete, name="delete"),
]
