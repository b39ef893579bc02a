"""Gives a catalog makemessages has just made a short header of Heron's: its language, no
template boilerplate, and not marked fuzzy (gettext would otherwise skip the header, and with
it the plural rule). A header already filled in is left alone.

    python deploy/po_header.py locale/*/LC_MESSAGES/*.po"""
import re
import sys
from pathlib import Path

HEADER = '''# Heron's user interface in {language}. Fill in every msgstr; see docs/translating.md.
msgid ""
msgstr ""
"Project-Id-Version: Heron\\n"
"Language: {language}\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: {plural}\\n"
'''


def fix(path):
    text = path.read_text(encoding="utf-8")
    if '"Language: \\n"' not in text:
        return False
    head, sep, rest = text.partition("\n\n")
    plural = "".join(re.findall(r'^"(.*)"$', head[head.index('"Plural-Forms:'):], re.M))
    plural = plural.removeprefix("Plural-Forms: ").replace("\\n", "")
    language = path.parent.parent.name
    path.write_text(HEADER.format(language=language, plural=plural) + "\n" + rest,
                    encoding="utf-8")
    return True


if __name__ == "__main__":
    for name in sys.argv[1:]:
        if fix(Path(name)):
            print(f"Gave {name} its header")
