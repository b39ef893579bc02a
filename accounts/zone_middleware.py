"""A time zone fixed in Settings → General (or by the domain) replaces the browser's."""
from django.db import DatabaseError
from django.utils import timezone
from redis.exceptions import RedisError

from webmail.zones import zone_named

from .preferences import effective


class FixedZoneMiddleware:
    """After TimezoneMiddleware: signed-in users with a fixed zone see dates in it. The
    preferences it reads are the ones the page reads anyway (one query a request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = self._fixed_zone(request)
        if zone is not None:
            timezone.activate(zone)
        return self.get_response(request)

    @staticmethod
    def _fixed_zone(request):
        try:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                return None
            return zone_named(effective(user, "zone"))
        except (RedisError, DatabaseError):
            # The session (Redis) or the preferences (PostgreSQL) cannot be read: the view
            # meets the same outage and MailErrorMiddleware draws the page that says so,
            # in the browser's zone.
            return None
