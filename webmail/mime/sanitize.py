"""The one place Heron calls nh3: message HTML made safe to show, or reduced to text.

`sanitize_html()` runs in three steps, and nh3 writes the final markup:

1. nh3 parses the message as browsers do (html5ever) and keeps only the tags and
   attributes below; `_first_pass_attribute` checks every URL, srcset and style attribute.
2. `_Resources`, a small rewriter over nh3's well-formed output, sees each element whole:
   it resolves `cid:` images, blocks and counts remote images, and takes out the `<style>`
   blocks, whose text css.py filters (as it does every style attribute in step 1).
3. nh3 cleans the markup again with the same lists plus its own style-property filter, so
   nothing that step 2 wrote reaches the browser unless the sanitizer allows it. The
   filtered style rules are put back in front, in one `<style>` element.
"""
import functools
import html
import itertools
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

import nh3

from .css import ALLOWED_PROPERTIES, clean_declarations, clean_stylesheet

MAX_HTML_CHARS = 5_000_000
MAX_TAGS = 20_000
MAX_ESCAPED = 100_000
MAX_ATTRIBUTES = 100
MAX_STYLESHEET_CHARS = 500_000

_BLOCK_ENDS = re.compile(r"(?i)<\s*(?:br|/p|/div|/tr|/h[1-6]|/li|/blockquote)\b[^>]{0,2000}>")
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def strip_markup(markup):
    """Plain text of an HTML document: block ends become line breaks, all markup goes,
    and the content of script, style and head is dropped. Huge or hostile input is cut at
    the same limits as in sanitize_html()."""
    markup = _BLOCK_ENDS.sub("\n", _bounded(markup))
    stripped = nh3.clean(markup, tags=set(),
                         clean_content_tags={"script", "style", "title", "head"})
    return _BLANK_RUNS.sub("\n\n", html.unescape(stripped)).strip()


@dataclass(frozen=True)
class CleanHtml:
    html: str            # sanitized HTML body content, safe to put in a sandboxed iframe document
    remote_blocked: int  # remote resources removed because remote content is not allowed
    trackers: int        # how many of those look like tracking pixels / tracker hosts
    has_remote: bool     # the message asked for any remote resource (for the "show images" bar)


def sanitize_html(html: str, *, allow_remote: bool = False, cid_url=None,
                  mailto_url=None) -> CleanHtml:
    """Message HTML as body content that runs no script and cannot navigate the top window.

    Kept: the formatting tags and presentational attributes of real mail; inline styles and
    `<style>` blocks cut to an allow-list of CSS properties whose values hold no url(),
    expression() or other function but colour and calc ones. Links may only be http(s) or
    mailto and open in a new tab with `rel="noopener noreferrer"`. Dropped with their
    content: script, svg and math, frames, plugins, form controls, noscript, template and
    title; dropped as tags (their text stays): base, meta, link, form and anything unknown.

    Images: `cid:` sources become `cid_url(content_id)` (the id without angle brackets,
    percent-decoded); with no `cid_url`, or when it returns None, the source is removed.
    Inline `data:` PNG, GIF, JPEG and WebP images are kept. Remote (http, https, `//host`)
    image sources, srcsets and `background` attributes are removed unless `allow_remote`,
    each element counted once in `remote_blocked`; a blocked image keeps its alt and size
    and gets `data-heron-blocked`. `trackers` counts the remote images that look like open
    trackers, whether or not they were blocked; `has_remote` says there were any.

    Links: with `mailto_url`, a `mailto:` link's href becomes `mailto_url(href)` (a path on
    this site: the user's own compose window) or goes when it returns None.

    Input is cut off at MAX_HTML_CHARS (5 million) characters, MAX_TAGS (20,000) tags,
    MAX_ESCAPED (100,000) "&" and no-break spaces, or a tag with more than MAX_ATTRIBUTES
    (100) attributes: past those the parser's time grows with the square of the input.
    Never raises on any str, however broken, huge or hostile; `cid_url` is the caller's
    and is trusted to return a URL (a path on this site or http(s)) or None; `mailto_url`
    likewise, a path on this site or None.
    """
    # Newsletters repeat the same style attribute many times; the memo lives for one call
    # so that no message's text outlives its request.
    check = functools.partial(_first_pass_attribute,
                              clean_style=functools.lru_cache(maxsize=None)(clean_declarations))
    first = nh3.clean(_bounded(html), **_FIRST_PASS, attribute_filter=check)
    resources = _Resources(allow_remote, cid_url, mailto_url)
    if _NEEDS_REWRITE.search(first) or (mailto_url and _MAILTO.search(first)):
        resources.feed(first)
        resources.close()
        first = "".join(resources.out)
    final = nh3.clean(first, **_LAST_PASS)
    # Step 2 wrote these rules from tinycss2's tokens with every "<" escaped, so the text
    # cannot end its element; nh3 refuses to keep <style> while filtering style attributes.
    rules = "".join(resources.stylesheets)
    final = f"<style>{rules}</style>{final}" if rules else final
    return CleanHtml(final, resources.blocked, resources.trackers, resources.remote > 0)


_TAG_START = re.compile(r"<[a-zA-Z/!?]")
_ESCAPED = re.compile("[&\xa0]")
# A tag with up to MAX_ATTRIBUTES attributes, read as html5ever reads them, or a comment or
# declaration up to its first ">" (html5ever's ends there or later). A quoted value stops
# at "<": when this reading and html5ever's part ways (inside a comment or raw text), a real
# tag's attributes are then counted in the tag read here, never skipped.
_SPACE = r"\t\n\f\r "
_MARKUP = re.compile(rf"""
    <(?:[!?]|/(?![a-zA-Z]))[^>]*+
  | </?[a-zA-Z][^{_SPACE}/>]*+
    (?:[{_SPACE}/]*+ [^{_SPACE}/>][^{_SPACE}/>=]*+
       (?>[{_SPACE}]*+ = [{_SPACE}]*+ (?>"[^"<]*+"?|'[^'<]*+'?|[^{_SPACE}>]*+))?
    ){{0,{MAX_ATTRIBUTES}}}+
    [{_SPACE}/]*+ (?P<more>[^>]?)
""", re.VERBOSE)


def _bounded(text):
    """The text cut at MAX_HTML_CHARS characters, or before its MAX_TAGS+1st tag, its
    MAX_ESCAPED+1st "&" or no-break space, or a tag with more than MAX_ATTRIBUTES
    attributes, whichever comes first, with lone surrogates (from surrogateescape
    decoding) replaced.

    html5ever's time grows with the square of each of these: every tag costs in proportion
    to the open elements ("<div>" * n), every attribute to the others of its tag, and every
    "&" or U+00A0 in a text or attribute (also from a reference) to the others there. At
    these limits the worst case takes about a second; real mail stays far below them
    (mailers clip messages at about 100 KB)."""
    text = text[:MAX_HTML_CHARS]
    for pattern, limit in ((_TAG_START, MAX_TAGS), (_ESCAPED, MAX_ESCAPED)):
        extra = next(itertools.islice(pattern.finditer(text), limit, None), None)
        if extra is not None:
            text = text[:extra.start()]
    crowded = next((tag for tag in _MARKUP.finditer(text) if tag["more"]), None)
    if crowded is not None:
        text = text[:crowded.start()]
    return text.encode("utf-8", "replace").decode("utf-8")


# What real mail is made of. Everything not listed is unwrapped (its text stays), except
# _DROPPED, which goes with its content.
_TAGS = {
    "a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "big",
    "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li",
    "main", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section",
    "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
}
_DROPPED = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "param", "svg",
    "math", "noscript", "noembed", "noframes", "template", "title", "head", "textarea",
    "select", "option", "optgroup", "datalist", "button", "canvas", "audio", "video",
    "portal",
}
_TABLE_CELL = {"width", "height", "colspan", "rowspan", "nowrap", "scope", "abbr",
               "bgcolor", "background"}
_ATTRIBUTES = {
    "*": {"align", "valign", "bgcolor", "dir", "lang", "title", "style", "class",
          "width", "height"},
    "a": {"href"},
    "img": {"src", "srcset", "alt", "border", "hspace", "vspace"},
    "table": {"border", "cellpadding", "cellspacing", "background", "summary", "frame",
              "rules"},
    "tr": {"background"},
    "td": _TABLE_CELL,
    "th": _TABLE_CELL,
    "col": {"span"},
    "colgroup": {"span"},
    "font": {"color", "face", "size"},
    "hr": {"size", "noshade", "color"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value", "type"},
    "details": {"open"},
    "time": {"datetime"},
    "del": {"datetime"},
    "ins": {"datetime"},
}
# Step 3 also lets through the marker that step 2 puts on blocked elements (a message's own
# data-heron-blocked is removed in step 1).
_BLOCKED_MARK = "data-heron-blocked"
_LAST_ATTRIBUTES = {tag: (names | {_BLOCKED_MARK} if tag == "*" else names)
                    for tag, names in _ATTRIBUTES.items()}

_NH3_COMMON = dict(
    url_schemes={"http", "https", "mailto", "cid", "data"},
    link_rel="noopener noreferrer",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    strip_comments=True,
)

# Step 2 is needed only when step 1 left something for it to look at.
_NEEDS_REWRITE = re.compile(r"<(?:img|style)\b| background=")
_MAILTO = re.compile(r'<a [^>]*href="mailto:', re.IGNORECASE)


# URLs -----------------------------------------------------------------------------------

_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))
_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpeg|jpg|webp);base64,[A-Za-z0-9+/=\s]*",
                         re.IGNORECASE)
_SRCSET_DESCRIPTOR = re.compile(r"\d+(?:\.\d+)?[wx]")


def _normal_url(value):
    """The URL as a browser reads it: no tab or line break anywhere, no leading or trailing
    control character or space, and `//host` taken as https. Returns (scheme, url)."""
    url = value.replace("\t", "").replace("\n", "").replace("\r", "")
    url = url.strip(_CONTROL_OR_SPACE)
    if url.startswith("//"):
        url = "https:" + url
    scheme = _SCHEME.match(url)
    return (scheme.group(1).lower() if scheme else ""), url


def _link_url(value):
    scheme, url = _normal_url(value)
    return url if scheme in ("http", "https", "mailto") else None


def _image_url(value):
    scheme, url = _normal_url(value)
    if scheme in ("http", "https", "cid"):
        return url
    # Inline raster images make no request and cannot carry script, unlike SVG; some
    # mailers send pasted pictures this way, so they are kept.
    if scheme == "data" and _DATA_IMAGE.fullmatch(url):
        return url
    return None


def _remote_url(value):
    scheme, url = _normal_url(value)
    return url if scheme in ("http", "https") else None


def _srcset(value):
    """A srcset whose every candidate is an http(s) URL with a plain descriptor, or None.

    Candidates are split at commas; a URL that itself holds a comma fails the check, and
    the image falls back to its src."""
    candidates = []
    for candidate in value.split(","):
        words = candidate.split()
        url = _remote_url(words[0]) if words else None
        if url is None or not all(_SRCSET_DESCRIPTOR.fullmatch(w) for w in words[1:]):
            return None
        candidates.append(" ".join([url, *words[1:]]))
    return ", ".join(candidates) or None


def _first_pass_attribute(tag, attr, value, clean_style):
    # nh3 has already checked href and src against url_schemes; srcset and background it
    # does not know as URLs.
    if attr == "href":
        return _link_url(value)
    if attr == "src":
        return _image_url(value)
    if attr == "srcset":
        return _srcset(value)
    if attr == "background":
        return _remote_url(value)
    if attr == "style":
        return clean_style(value) or None
    return value


def _last_pass_attribute(tag, attr, value):
    if attr == "href":
        # A local path here was made by step 2 from a mailto: link (step 1 keeps none).
        scheme, url = _normal_url(value)
        if url[:1] == "/" and url[1:2] not in ("/", "\\"):
            return url
        return _link_url(value)
    if attr == "src":
        # After step 2 a cid: image points to this site (cid_url's path) or is gone. A
        # browser reads "/\\host" as "//host", so only a plain path counts as local.
        scheme, url = _normal_url(value)
        if url[:1] == "/" and url[1:2] not in ("/", "\\"):
            return url
        return _image_url(url) if scheme != "cid" else None
    if attr == "srcset":
        return _srcset(value)
    if attr == "background":
        return _remote_url(value)
    return value


# Step 1 keeps <style> for step 2 to take out; nh3 cannot filter style attributes while it
# keeps <style>, so step 1 relies on clean_declarations alone and step 3 adds nh3's filter.
# (Any: nh3.clean's keywords each have their own type, which one dict cannot say.)
_FIRST_PASS: dict[str, Any] = dict(_NH3_COMMON, tags=_TAGS | {"style"},
                                   clean_content_tags=_DROPPED, attributes=_ATTRIBUTES)
_LAST_PASS: dict[str, Any] = dict(_NH3_COMMON, tags=_TAGS, clean_content_tags=_DROPPED | {"style"},
                  attributes=_LAST_ATTRIBUTES, attribute_filter=_last_pass_attribute,
                  filter_style_properties=set(ALLOWED_PROPERTIES))


# Remote content and trackers ------------------------------------------------------------

# Hosts that serve open-tracking pixels for the large mail senders, matched with their
# subdomains.
_TRACKER_HOSTS = (
    "list-manage.com", "mandrillapp.com", "sendgrid.net", "awstrack.me",
    "sparkpostmail.com", "exct.net", "hubspotemail.net", "hs-analytics.net", "mktoresp.com",
    "mailtrack.io", "t.yesware.com", "track.mixmax.com", "bananatag.com", "emltrk.com",
    "mailfoogae.appspot.com", "google-analytics.com", "doubleclick.net", "pixel.wp.com",
    "open.convertkit-mail.com", "trk.klaviyomail.com",
)
# Paths of open-tracking endpoints: Mailgun's /o/…, SendGrid's /wf/open, Brevo's /tr/op/,
# Mailchimp's and Mandrill's /track/open.php, and pixels named for what they are.
_TRACKER_PATH = re.compile(
    r"^/o/|/wf/open|/tr/op/|/(?:track|trk|tracking)/(?:open|o|pixel|imp)\b"
    r"|/(?:open|pixel|beacon|tracking[-_]?pixel|track)\.(?:gif|png|jpe?g|php|aspx?)$")
_NUMBER = re.compile(r"(\d+(?:\.\d*)?)\s*(?:px)?")


def _tracker_url(url):
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").rstrip(".")
    if any(host == name or host.endswith("." + name) for name in _TRACKER_HOSTS):
        return True
    return bool(_TRACKER_PATH.search(parts.path.lower()))


def _size(value):
    number = _NUMBER.fullmatch((value or "").lower().replace("!important", "").strip())
    return float(number.group(1)) if number else None


def _invisible(attrs):
    """1x1 or zero-sized, or hidden by its style: an image nobody is meant to see."""
    style = {}
    for declaration in (attrs.get("style") or "").lower().split(";"):
        name, _, value = declaration.partition(":")
        style[name.strip()] = value.replace("!important", "").strip()
    width = _size(style.get("width", attrs.get("width")))
    height = _size(style.get("height", attrs.get("height")))
    if 0 in (width, height) or (width is not None and height is not None
                                and width <= 1 and height <= 1):
        return True
    return (style.get("display") == "none" or style.get("visibility") == "hidden"
            or _size(style.get("opacity")) == 0)


def _content_id(url):
    return unquote(url[len("cid:"):]).strip().strip("<>")


_VOID = {"area", "br", "col", "hr", "img", "wbr"}


class _Resources(HTMLParser):
    """Step 2: walks nh3's output element by element and writes it out again, with cid:
    images resolved, remote resources blocked and counted, and <style> blocks taken out to
    `stylesheets`, filtered.

    nh3's output is well-formed (every text "<" and "&" escaped, attributes quoted, no
    comments), so the standard library's parser reads it exactly."""

    def __init__(self, allow_remote, cid_url, mailto_url=None):
        super().__init__(convert_charrefs=True)
        self.allow_remote = allow_remote
        self.cid_url = cid_url
        self.mailto_url = mailto_url
        self.out = []
        self.remote = self.blocked = self.trackers = 0
        self.style = None
        self.stylesheets = []
        self.stylesheet_budget = MAX_STYLESHEET_CHARS

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self.style = []
            return
        attrs = dict(attrs)
        local_src = False
        if tag == "a" and self.mailto_url and _normal_url(attrs.get("href") or "")[0] == "mailto":
            url = self.mailto_url(_normal_url(attrs["href"])[1])
            if url:
                attrs["href"] = url
            else:
                del attrs["href"]
        if tag == "img" and (attrs.get("src") or "").lower().startswith("cid:"):
            url = self.cid_url(_content_id(attrs["src"])) if self.cid_url else None
            if url:
                attrs["src"], local_src = url, True
            else:
                del attrs["src"]
        remote = [name for name in ("src", "srcset", "background")
                  if _remote_url(attrs.get(name) or "") and not (name == "src" and local_src)]
        if remote:
            self._count(tag, attrs, remote)
        written = "".join(f" {name}" if value is None else f' {name}="{html.escape(value)}"'
                          for name, value in attrs.items())
        self.out.append(f"<{tag}{written}>")

    def _count(self, tag, attrs, remote):
        self.remote += 1
        urls = [candidate.split()[0] for name in remote
                for candidate in attrs[name].split(",") if candidate.strip()]
        if (tag == "img" and _invisible(attrs)) or any(map(_tracker_url, urls)):
            self.trackers += 1
        if not self.allow_remote:
            self.blocked += 1
            for name in remote:
                del attrs[name]
            attrs[_BLOCKED_MARK] = ""

    def handle_endtag(self, tag):
        if tag == "style" and self.style is not None:
            css, self.style = "".join(self.style), None
            if len(css) <= self.stylesheet_budget:
                self.stylesheet_budget -= len(css)
                self.stylesheets.append(clean_stylesheet(css))
        elif tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if self.style is not None:
            self.style.append(data)
        else:
            self.out.append(html.escape(data, quote=False))
