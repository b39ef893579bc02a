"""The client's address: REMOTE_ADDR, or the proxy's X-Forwarded-For when the proxy is trusted."""
from ipaddress import ip_address

from django.conf import settings


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR", "")
    if remote in settings.TRUSTED_PROXIES:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # The right-most address is the one our trusted proxy saw.
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            remote = hops[-1]
    try:
        return str(ip_address(remote))
    except ValueError:
        return None
