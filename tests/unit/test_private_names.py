"""Only webmail/imap/adapter.py uses imapclient's and imaplib's private names."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Attribute or import of a library's private name: client._imap, imap._command…,
# imapclient.imapclient._literal, response_parser internals.
PRIVATE = re.compile(r"\._imap\b|\._(?:command|command_complete|untagged_response|"
                     r"raw_command\w*|proc_folder_list|normalise_folder|new_tag)\b|"
                     r"from imapclient\.\w+ import _\w+")


def test_private_library_names_live_in_the_adapter_alone():
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", ".stack/", "tests/")) or relative == (
                "webmail/imap/adapter.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PRIVATE.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
