"""The client's address: REMOTE_ADDR, or what trusted proxies say in X-Forwarded-For.

TRUSTED_PROXIES lists addresses and networks (ip_network objects, from settings).
"""
from ipaddress import ip_address, ip_network

from django.conf import settings


def _parse(text):
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(address):
    """True when address (text or an ip_address) is one of TRUSTED_PROXIES."""
    parsed = _parse(address) if isinstance(address, str) else address
    if parsed is None:
        return False
    if parsed.version == 6 and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    return any(parsed in ip_network(network, strict=False)
               for network in settings.TRUSTED_PROXIES)


def client_ip(request):
    """The client's address as text, or None when there is no valid one.

    Behind trusted proxies each appends the address it saw to X-Forwarded-For, so the
    list is read from the right: the first address that is not a trusted proxy is the
    client. Addresses to its left were written by the client and are not believed."""
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    if remote is not None and is_trusted_proxy(remote):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        for hop in reversed([hop for hop in forwarded.split(",") if hop.strip()]):
            parsed = _parse(hop)
            if parsed is None:
                break
            remote = parsed
            if not is_trusted_proxy(parsed):
                break
    return str(remote) if remote is not None else None


def client_network(address):
    """The unit one client is counted by: an IPv4 address, or an IPv6 address's /64 (one
    household or server gets a whole /64 and can pick any address in it)."""
    parsed = _parse(address or "")
    if parsed is None:
        return None
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
