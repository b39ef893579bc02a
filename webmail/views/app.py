"""Heron as an installable app: the web app manifest, so a phone can put Heron on its
home screen and a desktop browser can open it in a window of its own."""
from django.http import JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@require_GET
@cache_control(public=True, max_age=3600)
def manifest(request):
    """The web app manifest (public: the browser fetches it without the user's cookies)."""
    response = JsonResponse({
        "name": "Heron Mail",
        "short_name": "Heron",
        "description": "Your mail, in the browser.",
        "id": "/mail/",
        "start_url": reverse("webmail:mailbox"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7f9",
        "theme_color": "#1f6feb",
        "icons": [
            {"src": static("icons/heron-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/heron-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("icons/heron-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
        # Where the browser sends a mailto: link once Heron is its mail handler.
        "protocol_handlers": [{"protocol": "mailto",
                               "url": f"{reverse('webmail:compose')}?mailto=%s"}],
    })
    response["Content-Type"] = "application/manifest+json"
    return response
