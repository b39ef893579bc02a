"""Reading Heron's settings from the environment (webmail/settings.py): each reader names
the variable in its error, so a malformed value stops start-up saying which one."""
import os
from ipaddress import ip_network
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured


def env_str(name, default=""):
    return os.environ.get(name, default).strip()


def env_bool(name, default=False):
    raw = env_str(name)
    if not raw:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name, default):
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name, default=()):
    raw = env_str(name)
    if not raw:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name, choices, default):
    raw = env_str(name, default).lower()
    if raw not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def env_url(name):
    raw = env_str(name)
    if raw and not urlparse(raw).scheme:
        raise ImproperlyConfigured(f"{name} must be a URL, not {raw!r}")
    return raw


def env_networks(name, default=()):
    """Comma-separated addresses or networks ("127.0.0.1, 10.0.0.0/8") as ip_network objects."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks, not {item!r}") from None
    return networks
