"""Links to a message's pages, for the views and the API that point at them."""
from functools import lru_cache
from urllib.parse import unquote

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import urlencode

# A stand-in UID: a message's path is reversed once with it, then filled in (reverse() cost
# a fifth of a millisecond, fifty times on a list page). Parts (uid, section) are reversed
# each time: a section is checked by the URL pattern there.
_UID = 918273645


@lru_cache(maxsize=64)
def _path_pattern(name, prefix, urlconf):
    path = reverse(f"webmail:{name}", args=[_UID])
    return path if path.count(str(_UID)) == 1 else None


def message_link(name, uid, mailbox, **extra):
    """URL of one of a message's pages (message, body, part…) in a folder; uid is a
    (uid, section) pair for a part. extra goes into the query string after the folder,
    such as at=, the message's place in the folder's list, which spares reading it all."""
    args = [uid] if not isinstance(uid, (list, tuple)) else list(uid)
    pattern = None
    if len(args) == 1 and type(uid) is int and 0 <= uid < 10**10:  # the uid converter's range
        pattern = _path_pattern(name, get_script_prefix(), get_urlconf())
    if pattern is not None:
        path = pattern.replace(str(_UID), str(uid))
    else:
        path = reverse(f"webmail:{name}", args=args)
    return f"{path}?{urlencode({'mailbox': mailbox, **extra})}"


# A mailto: URL longer than this is not followed (a browser would not open it either).
MAILTO_LIMIT = 8000
_HEADER_LIMIT, _BODY_LIMIT = 2000, 100_000
_BREAKS = str.maketrans({"\r": " ", "\n": " ", "\0": " "})


def compose_link(mailto):
    """Heron's compose window for a mailto: URL (a link in a message), or None."""
    if not isinstance(mailto, str) or len(mailto) > MAILTO_LIMIT:
        return None
    return f"{reverse('webmail:compose')}?{urlencode({'mailto': mailto})}"


def mailto_fields(url):
    """The compose fields a mailto: URL (RFC 6068) asks for: to, cc, bcc, subject, body.

    '+' stays a plus (RFC 6068, unlike a form's query); other header fields (In-Reply-To…)
    are ignored. Header fields lose line breaks and NULs; every value is cut to a bound."""
    url = str(url or "")[:MAILTO_LIMIT]
    if url[:7].lower() != "mailto:":
        return {}
    path, _, query = url[7:].partition("?")
    found = {"to": [unquote(each) for each in path.split(",") if each.strip()]}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        name, value = unquote(name).strip().lower(), unquote(value)
        if name in ("to", "cc", "bcc"):
            found.setdefault(name, []).extend(v for v in value.split(",") if v.strip())
        elif name in ("subject", "body") and name not in found:
            found[name] = value
    return compose_fields(found)


def compose_fields(found):
    """Compose fields asked for from outside (a mailto: URL, a link's query): to, cc and bcc
    as lists of addresses, subject and body as text; anything else is dropped. Header
    fields lose line breaks and NULs; every value is cut to a bound."""
    fields = {name: ", ".join(v.strip() for v in found[name]).translate(_BREAKS)[:_HEADER_LIMIT]
              for name in ("to", "cc", "bcc") if found.get(name)}
    if "subject" in found:
        fields["subject"] = found["subject"].translate(_BREAKS).strip()[:_HEADER_LIMIT]
    if "body" in found:
        body = found["body"].replace("\r\n", "\n").replace("\r", "\n").replace("\0", "")
        fields["body"] = body[:_BODY_LIMIT]
    return fields
