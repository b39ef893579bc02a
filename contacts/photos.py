"""Contact photos: what an upload must be, and the small copy that is kept.

An upload is taken only if Pillow reads it as a PNG, JPEG, GIF or WebP picture (by its
content, whatever its name or declared type says); it is scaled down and written again
as PNG or JPEG, which also drops whatever else the file carried (EXIF location, scripts
in a polyglot file).
"""
import io

from django.utils.translation import gettext
from PIL import Image, UnidentifiedImageError

MAX_UPLOAD = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a "decompression bomb" is refused before it is decoded
SIDE = 256
FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
SERVED_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


class PhotoRefused(ValueError):
    pass


def _open(raw):
    try:
        image = Image.open(io.BytesIO(raw))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PhotoRefused(gettext("The photo must be a PNG, JPEG, GIF or WebP picture."))
    if image.format not in FORMATS:
        raise PhotoRefused(gettext("The photo must be a PNG, JPEG, GIF or WebP picture."))
    if image.width * image.height > MAX_PIXELS:
        raise PhotoRefused(gettext("The photo is too large in pixels."))
    return image


def small_copy(raw):
    """(bytes, content type) of a copy at most SIDE pixels wide and high; PhotoRefused
    with the reason for the user when raw is not a picture Heron takes."""
    if len(raw) > MAX_UPLOAD:
        raise PhotoRefused(gettext("The photo is larger than 5 MB."))
    image = _open(raw)
    try:
        image.load()
        image.thumbnail((SIDE, SIDE))
        keep_alpha = image.mode in ("RGBA", "LA", "P")
        image = image.convert("RGBA" if keep_alpha else "RGB")
        out = io.BytesIO()
        image.save(out, "PNG" if keep_alpha else "JPEG", quality=85)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise PhotoRefused(gettext("The photo could not be read."))
    return out.getvalue(), "image/png" if keep_alpha else "image/jpeg"


def served_type(card):
    """The Content-Type a stored photo is served with: its own if it is one of the four
    picture types, else a download type that no browser renders."""
    return card.photo_type if card.photo_type in SERVED_TYPES else "application/octet-stream"
