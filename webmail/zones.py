"""Time zones as a browser names them (Intl's IANA name): in a cookie that theme.js sets on
every page (read by TimezoneMiddleware) and in the forms that choose a time to send at."""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ZONE_COOKIE = "heron_tz"


def zone_named(name):
    """The ZoneInfo of an IANA name, or None for one that is not a zone."""
    name = str(name or "")
    if not 0 < len(name) <= 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
