"""vCard text ⇄ the fields Heron shows, without losing what it does not show.

vobject parses and folds the lines; every property keeps its raw (still escaped) value, so
a property Heron does not read is written back byte for byte, and one it reads is
rewritten only when its value changed. vobject's own vCard behaviour would decode values
as vCard 3.0 text, which cuts a 4.0 `PHOTO:data:image/png;base64,…` at its comma and a
sloppy `NOTE:a, b` at its comma; so a raw behaviour is registered for VCARD 3.0 and 4.0
(this module is the only user of vobject in Heron) and the values are decoded here.
"""
import base64
import binascii
import datetime
import re
from dataclasses import dataclass, field

import vobject
from django.utils.translation import gettext, ngettext
from vobject import base, behavior

MAX_ADDRESSES = 100  # per card; a card with more is refused, naming it
MAX_PHONES = 100
MAX_CARD_CHARS = 2_000_000  # one card's text, photo included
IMAGE_TYPES = {"JPEG": "image/jpeg", "JPG": "image/jpeg", "PNG": "image/png",
               "GIF": "image/gif", "WEBP": "image/webp"}


class RawVCard(behavior.Behavior):
    name = "VCARD"
    description = "vCard 3.0 or 4.0, values kept raw"
    isComponent = True
    versionString = "3.0"
    sortFirst = ("version", "prodid", "uid")
    knownChildren: dict = {}
    defaultBehavior = None
    allowGroup = True


base.registerBehavior(RawVCard, default=True, id="3.0")
base.registerBehavior(RawVCard, default=True, id="4.0")


class CardSyntaxError(ValueError):
    """One card of a file could not be read; line is where it starts in the file."""

    def __init__(self, line, message):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class CardData:
    """What Heron shows of a card. emails/phones are (value, label) pairs."""

    uid: str = ""
    full_name: str = ""
    given_name: str = ""
    family_name: str = ""
    organisation: str = ""
    birthday: datetime.date | None = None
    notes: str = ""
    emails: list = field(default_factory=list)
    phones: list = field(default_factory=list)
    photo: bytes | None = None
    photo_type: str = ""
    kind: str = ""
    members: list = field(default_factory=list)  # uids of a KIND:group card


# -- values -----------------------------------------------------------------------------

_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def unescape(raw):
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), raw or "")


def escape(text):
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n"))


def split_structured(raw):
    """A structured value (N, ORG) split at unescaped semicolons, each part unescaped."""
    parts, current, i = [], "", 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            current += raw[i:i + 2]
            i += 2
            continue
        if ch == ";":
            parts.append(unescape(current))
            current = ""
        else:
            current += ch
        i += 1
    parts.append(unescape(current))
    return parts


def _clean(text, limit):
    return "".join(ch for ch in text if ch.isprintable() or ch == "\n").strip()[:limit]


def parse_birthday(raw):
    digits = raw.strip().split("T")[0].replace("-", "")
    if len(digits) != 8 or not digits.isdigit():
        return None  # "--0415" (no year) and the like stay in the text only
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _types(line):
    values = []
    for name, found in line.params.items():
        if name.upper() == "TYPE":
            for value in found:
                values.extend(part.strip() for part in value.split(","))
    return [v for v in values if v]


_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
_SKIP_TYPES = {"internet", "pref", "voice", "x400"}


def _label(card, line):
    if line.group:
        for other in card.getChildren():
            if other.group == line.group and other.name == "X-ABLABEL":
                text = unescape(other.value)
                match = _APPLE_LABEL.match(text)
                return (match.group(1) if match else text)[:100]
    for value in _types(line):
        if value.lower() not in _SKIP_TYPES:
            return value.lower()[:100]
    return ""


def _photo(line):
    """(bytes, mime type) of an inline photo; (None, "") for a link or bad data."""
    value = line.value.strip()
    try:
        if value.startswith("data:"):
            head, _, data = value.partition(",")
            if ";base64" not in head:
                return None, ""
            return base64.b64decode(data, validate=False), head[5:].split(";")[0].lower()
        encoding = {v.upper() for k, vs in line.params.items() for v in vs
                    if k.upper() == "ENCODING"} | set(line.singletonparams)
        if encoding & {"B", "BASE64"}:
            kind = next((IMAGE_TYPES[t.upper()] for t in _types(line)
                         if t.upper() in IMAGE_TYPES), "")
            return base64.b64decode(value, validate=False), kind
    except (binascii.Error, ValueError):
        pass
    return None, ""


def _lines(card, name):
    return [line for line in card.getChildren() if line.name == name]


def _first(card, name):
    found = _lines(card, name)
    return found[0].value if found else ""


def version_of(card):
    return "4.0" if _first(card, "VERSION").strip() == "4.0" else "3.0"


def data_from_component(card):
    """The CardData of a parsed vCard component."""
    data = CardData(uid=unescape(_first(card, "UID")).strip()[:500])
    data.full_name = _clean(unescape(_first(card, "FN")), 500)
    parts = split_structured(_first(card, "N")) + ["", ""]
    data.family_name, data.given_name = _clean(parts[0], 200), _clean(parts[1], 200)
    org = [p for p in split_structured(_first(card, "ORG")) if p.strip()]
    data.organisation = _clean(", ".join(org), 500)
    data.birthday = parse_birthday(_first(card, "BDAY"))
    data.notes = _clean(unescape(_first(card, "NOTE")), 20_000)
    seen = set()
    for line in _lines(card, "EMAIL"):
        email = _clean(unescape(line.value), 254).lower()
        if email and email not in seen:
            seen.add(email)
            data.emails.append((email, _label(card, line)))
    for line in _lines(card, "TEL"):
        number = _clean(unescape(line.value), 100)
        if number.lower().startswith("tel:"):
            number = number[4:]
        if number:
            data.phones.append((number, _label(card, line)))
    for line in _lines(card, "PHOTO"):
        data.photo, data.photo_type = _photo(line)
        if data.photo:
            break
    data.kind = (_first(card, "KIND") or _first(card, "X-ADDRESSBOOKSERVER-KIND")).lower()
    data.members = [m.value.strip() for m in _lines(card, "MEMBER")
                    + _lines(card, "X-ADDRESSBOOKSERVER-MEMBER")]
    if not data.full_name:
        data.full_name = (" ".join(p for p in (data.given_name, data.family_name) if p)
                          or data.organisation or (data.emails[0][0] if data.emails else ""))
    return data


# -- reading files ----------------------------------------------------------------------

def parse_one(text, line=1):
    """One vCard's text → a vobject component; CardSyntaxError (with line) if unreadable."""
    try:
        card = vobject.readOne(text)
    except (base.VObjectError, ValueError, StopIteration) as error:
        detail = re.sub(r"^At line \d+: ", "", str(error))[:200]
        raise CardSyntaxError(line, detail or gettext("unreadable card")) from None
    if card.name != "VCARD":
        raise CardSyntaxError(line, gettext("not a vCard"))
    if not _first(card, "VERSION"):
        card.add("version").value = "3.0"
    return card


def split_cards(text):
    """Yield (first line number, card text) for each BEGIN:VCARD…END:VCARD of text, and
    (line number, CardSyntaxError) for a card that is never closed or too large.
    Lines outside any card are ignored."""
    start, chunk, size = None, [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        word = line.strip().upper()
        if word == "BEGIN:VCARD":
            if start is not None:
                yield start, CardSyntaxError(start, gettext("card not closed by END:VCARD"))
            start, chunk, size = number, [line], len(line)
        elif start is not None:
            chunk.append(line)
            size += len(line) + 2
            if word == "END:VCARD":
                if size > MAX_CARD_CHARS:
                    yield start, CardSyntaxError(start, gettext("card larger than 2 MB"))
                else:
                    yield start, "\r\n".join(chunk) + "\r\n"
                start, chunk = None, []
    if start is not None:
        yield start, CardSyntaxError(start, gettext("card not closed by END:VCARD"))


def check_limits(line, data):
    """Refuse (CardSyntaxError) a card with more addresses or phones than a person has."""
    if len(data.emails) > MAX_ADDRESSES:
        raise CardSyntaxError(line, ngettext(
            "%(count)d email address; at most %(max)d are kept per card",
            "%(count)d email addresses; at most %(max)d are kept per card",
            len(data.emails)) % {"count": len(data.emails), "max": MAX_ADDRESSES})
    if len(data.phones) > MAX_PHONES:
        raise CardSyntaxError(line, ngettext(
            "%(count)d phone number; at most %(max)d are kept per card",
            "%(count)d phone numbers; at most %(max)d are kept per card",
            len(data.phones)) % {"count": len(data.phones), "max": MAX_PHONES})


def decode_file(raw):
    """The text of an uploaded file: UTF-8 (with or without BOM), UTF-16 with a BOM, else
    Windows-1252; None when it is none of these (binary garbage)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "cp1252"]
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    return None


# -- writing ----------------------------------------------------------------------------

def new_component(uid, version="3.0"):
    card = vobject.vCard()
    card.add("version").value = version
    card.add("uid").value = escape(uid)
    return card


def replace_property(card, name, raw):
    for line in _lines(card, name):
        card.remove(line)
    if raw:
        card.add(name.lower()).value = raw


def _photo_line(card, photo, photo_type, version):
    encoded = base64.b64encode(photo).decode("ascii")
    line = card.add("photo")
    if version == "4.0":
        line.value = f"data:{photo_type or 'image/jpeg'};base64,{encoded}"
    else:
        line.value = encoded
        line.params = {"ENCODING": ["b"],
                       "TYPE": [(photo_type or "image/jpeg").split("/")[-1].upper()]}


def _set_list(card, name, old, new):
    """Make card's `name` lines hold the (value, label) pairs new, keeping the lines (and
    their parameters) of pairs that did not change."""
    if old == new:
        return
    lines = _lines(card, name)
    keep = set()
    for index, pair in enumerate(old):
        if pair in new and index < len(lines):
            keep.add(index)
    kept_pairs = {old[i] for i in keep}
    for index, line in enumerate(lines):
        if index not in keep:
            card.remove(line)
            if line.group:
                for other in list(card.getChildren()):
                    if other.group == line.group and other.name == "X-ABLABEL":
                        card.remove(other)
    for value, label in new:
        if (value, label) in kept_pairs:
            continue
        line = card.add(name.lower())
        line.value = escape(value)
        if label:
            line.params = {"TYPE": [label]}


def update_component(card, data):
    """Write data into card (a component read from the stored text), touching only the
    properties whose value changed; returns card."""
    old = data_from_component(card)
    version = version_of(card)
    if data.uid and data.uid != old.uid:
        replace_property(card, "UID", escape(data.uid))
    if data.full_name != old.full_name or not _lines(card, "FN"):
        replace_property(card, "FN", escape(data.full_name))
    # vCard 3.0 requires N (servers such as Radicale refuse a card without it).
    if ((data.family_name, data.given_name) != (old.family_name, old.given_name)
            or (version == "3.0" and not _lines(card, "N"))):
        rest = split_structured(_first(card, "N"))[2:] + ["", "", ""]
        replace_property(card, "N", ";".join(escape(p) for p in
                                     [data.family_name, data.given_name] + rest[:3]))
    if data.organisation != old.organisation:
        replace_property(card, "ORG", escape(data.organisation))
    if data.birthday != old.birthday:
        replace_property(card, "BDAY", data.birthday.isoformat() if data.birthday else "")
    if data.notes != old.notes:
        replace_property(card, "NOTE", escape(data.notes))
    _set_list(card, "EMAIL", old.emails, data.emails)
    _set_list(card, "TEL", old.phones, data.phones)
    if (data.photo or None) != (old.photo or None):
        replace_property(card, "PHOTO", "")
        if data.photo:
            _photo_line(card, data.photo, data.photo_type, version)
    return card


def serialize(card):
    return card.serialize(validate=False)


def convert(card, version):
    """A copy of card as vCard `version` ("3.0" or "4.0"): the VERSION line, inline
    photos and preference markers are rewritten; every other line is kept."""
    copy = parse_one(serialize(card))
    if version_of(copy) == version:
        return copy
    data = data_from_component(copy)
    replace_property(copy, "VERSION", version)
    if data.photo:
        replace_property(copy, "PHOTO", "")
        _photo_line(copy, data.photo, data.photo_type, version)
    for line in _lines(copy, "EMAIL") + _lines(copy, "TEL"):
        types = _types(line)
        params = {k: v for k, v in line.params.items() if k.upper() not in ("TYPE", "PREF")}
        if version == "4.0":
            kept = [t for t in types if t.lower() not in ("pref", "internet")]
            if any(t.lower() == "pref" for t in types):
                params["PREF"] = ["1"]
        else:
            kept = [t for t in types if t.lower() != "pref"]
            if any(k.upper() == "PREF" for k in line.params) or len(kept) < len(types):
                kept.append("pref")
        if kept:
            params["TYPE"] = kept
        line.params = params
    return copy
