from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("welcome/", views.welcome_view, name="welcome"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/preferences/<slug:section>/", views.preferences_view, name="preferences"),
    path("settings/theme/", views.theme_view, name="theme"),
    path("settings/divider/", views.divider_view, name="divider"),
    path("settings/trusted/<int:trusted_id>/forget/", views.trusted_forget,
         name="trusted-forget"),
    path("settings/trusted/forget-all/", views.trusted_forget, name="trusted-forget-all"),
    path("settings/identities/<int:identity_id>/", views.identity_view, name="identity"),
    path("settings/identities/<int:identity_id>/default/", views.identity_default,
         name="identity-default"),
    path("settings/identities/<int:identity_id>/delete/", views.identity_delete,
         name="identity-delete"),
    path("settings/identities/<int:identity_id>/resend/", views.identity_resend,
         name="identity-resend"),
    path("settings/identities/<int:identity_id>/confirm/<str:token>/", views.identity_confirm,
         name="identity-confirm"),
    path("settings/sessions/<int:session_id>/end/", views.session_end, name="session-end"),
    path("settings/sessions/end-others/", views.sessions_end_others, name="sessions-end-others"),
    path("contacts/", views.contacts_view, name="contacts"),
]
