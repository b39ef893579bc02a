"""A zip archive written while it is sent: no file is held whole in memory or on disk."""
import zipfile
from typing import IO, cast


class _Pipe:
    """A write-only, unseekable file that hands what was written to the caller."""

    def __init__(self):
        self.buffer = bytearray()
        self.position = 0

    def write(self, data):
        self.buffer += data
        self.position += len(data)
        return len(data)

    def tell(self):
        return self.position

    def flush(self):
        pass

    def take(self):
        data, self.buffer = bytes(self.buffer), bytearray()
        return data


def unique_names(names):
    """The names with "name (2).ext" for repeats, and no path components."""
    seen = set()
    for name in names:
        base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
        candidate, counter = base, 2
        stem, dot, ext = base.rpartition(".")
        while candidate.casefold() in seen:
            candidate = f"{stem} ({counter}).{ext}" if dot and stem else f"{base} ({counter})"
            counter += 1
        seen.add(candidate.casefold())
        yield candidate


def zip_parts(files):
    """Yield a zip of (name, chunks()) pairs; chunks() yields the file's bytes in pieces."""
    files = list(files)
    pipe = _Pipe()
    with zipfile.ZipFile(cast(IO[bytes], pipe), "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, (_original, chunks) in zip(unique_names(n for n, _c in files), files):
            with archive.open(name, "w", force_zip64=True) as entry:
                for chunk in chunks():
                    entry.write(chunk)
                    yield pipe.take()
            yield pipe.take()
    yield pipe.take()
