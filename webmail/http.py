"""The HTTP helpers the views of every app share: JSON or page, where to go back to, and
the login check of the JSON API. Below the views and the middleware of both apps, so
that neither imports the other's views."""
from functools import wraps

from django.http import JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme


def wants_json(request):
    """API calls and scripts asking for JSON get errors as JSON, not as pages."""
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", "")


def safe_next(request, default="/mail/"):
    """The page to return to: the request's "next" field if it is ours, else default."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: redirect() would take a bare word for a view's name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def api_login_required(view):
    """For JSON views: a request without a logged-in user gets 401 as JSON, no redirect."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "not authenticated"}, status=401)
        return view(request, *args, **kwargs)

    return wrapper
