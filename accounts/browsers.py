"""A readable name for a browser from its User-Agent: "Firefox on Linux", "Safari on iPhone".

Only for showing people their own sessions; nothing is decided by it. The first rule that
matches wins, so a browser whose agent also names another (Edge says "Chrome" and
"Safari", Chrome says "Safari") comes before it.
"""
import re

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# (pattern, name): the browser.
_BROWSERS = [
    (r"\bEdg(e|A|iOS)?/", "Edge"),
    (r"\b(OPR|Opera)/", "Opera"),
    (r"\bSamsungBrowser/", "Samsung Internet"),
    (r"\bVivaldi/", "Vivaldi"),
    (r"\bYaBrowser/", "Yandex Browser"),
    (r"\bThunderbird/", "Thunderbird"),
    (r"\b(Firefox|FxiOS)/", "Firefox"),
    (r"\b(Chrome|CriOS|HeadlessChrome|Chromium)/", "Chrome"),
    (r"\bVersion/[\d.]+.*\bSafari/", "Safari"),
    (r"\bcurl/", "curl"),
    (r"\bpython-requests/", "Python requests"),
]
# (pattern, name): the system. Android and ChromeOS say "Linux" too; iPads may say "Mac".
_SYSTEMS = [
    (r"\bAndroid\b", "Android"),
    (r"\biPhone\b", "iPhone"),
    (r"\biPad\b", "iPad"),
    (r"\bWindows\b", "Windows"),
    (r"\bCrOS\b", "ChromeOS"),
    (r"\b(Macintosh|Mac OS X)\b", "macOS"),
    (r"\bLinux\b", "Linux"),
]
UNKNOWN = _("Unknown browser")


def _first(rules, agent):
    return next((name for pattern, name in rules if re.search(pattern, agent)), None)


def browser_name(user_agent):
    """ "Firefox on Linux", "Chrome" (system unknown), or "Unknown browser"."""
    agent = (user_agent or "")[:500]
    browser, system = _first(_BROWSERS, agent), _first(_SYSTEMS, agent)
    shown = browser or UNKNOWN
    return gettext("%(browser)s on %(system)s") % {"browser": shown, "system": system} \
        if system else shown
