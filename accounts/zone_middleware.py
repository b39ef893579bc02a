"""A time zone fixed in Settings → General (or by the domain) replaces the browser's."""
from django.utils import timezone

from webmail.zones import zone_named

from .preferences import effective


class FixedZoneMiddleware:
    """After TimezoneMiddleware: signed-in users with a fixed zone see dates in it. The
    preferences it reads are the ones the page reads anyway (one query a request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone = zone_named(effective(user, "zone"))
            if zone is not None:
                timezone.activate(zone)
        return self.get_response(request)
