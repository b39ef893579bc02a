"""The catalogs Heron ships are complete and sound: every language of settings.LANGUAGES
(but English, the source) has both catalogs; each holds every string the code now asks
for; every entry is translated and not fuzzy; placeholders survive translation; each
compiles. A failure names the locale, the file and the msgid.

These fail until translators have filled in locale/ (docs/translating.md)."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings
from django.utils.translation import to_locale

BASE = Path(settings.BASE_DIR)
LOCALE_DIR = BASE / "locale"
LOCALES = [to_locale(code) for code, _name in settings.LANGUAGES if code != "en"]
DOMAINS = ["django", "djangojs"]
CATALOGS = [(locale, domain) for locale in LOCALES for domain in DOMAINS]
# What makemessages reads (deploy/messages.sh): the same folders, the same file kinds.
SOURCES = ["webmail", "accounts", "attachments", "templates", "static", "manage.py"]
# %(name)s, %s, %d, {name}, {0}, {}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def _path(locale, domain):
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"


def _catalog(locale, domain):
    path = _path(locale, domain)
    assert path.exists(), f"{path.relative_to(BASE)} is missing: run make messages"
    return polib.pofile(str(path))


def _where(locale, domain):
    return f"{locale}/LC_MESSAGES/{domain}.po"


def _ids(entry):
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or None)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """{domain: {msg key}} of what the sources ask for today, found by makemessages in a
    copy of the tree, so that the shipped catalogs are not touched."""
    root = tmp_path_factory.mktemp("sources")
    for name in SOURCES:
        source = BASE / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns(
                "__pycache__", "tests", "node_modules"))
        else:
            shutil.copy(source, root / name)
    (root / "locale").mkdir()
    here = os.getcwd()
    os.chdir(root)
    try:
        with override_settings(LOCALE_PATHS=[str(root / "locale")]):
            for domain in DOMAINS:
                call_command("makemessages", locale=["de"], domain=domain, verbosity=0,
                             ignore_patterns=["staticfiles"])
    finally:
        os.chdir(here)
    found = {}
    for domain in DOMAINS:
        po = root / "locale" / "de" / "LC_MESSAGES" / f"{domain}.po"
        found[domain] = {_ids(e) for e in polib.pofile(str(po))} if po.exists() else set()
    return found


def test_every_language_but_english_has_both_catalogs():
    missing = [_where(locale, domain) for locale, domain in CATALOGS
               if not _path(locale, domain).exists()]
    assert not missing, f"Catalogs missing (run make messages): {missing}"


@pytest.mark.parametrize("locale, domain", CATALOGS)
def test_a_catalog_names_its_language_and_plural_rule(locale, domain):
    catalog = _catalog(locale, domain)
    assert catalog.metadata.get("Language") == locale, (
        f"{_where(locale, domain)}: header Language is {catalog.metadata.get('Language')!r}")
    assert "nplurals=" in catalog.metadata.get("Plural-Forms", ""), (
        f"{_where(locale, domain)}: header has no Plural-Forms")
    if locale == "ar":
        assert "nplurals=6" in catalog.metadata["Plural-Forms"]


@pytest.mark.parametrize("locale, domain", CATALOGS)
def test_a_catalog_has_every_string_the_sources_ask_for(locale, domain, extracted):
    shipped = {_ids(e) for e in _catalog(locale, domain) if not e.obsolete}
    missing = sorted(extracted[domain] - shipped, key=str)
    assert not missing, (f"{_where(locale, domain)} lacks {len(missing)} msgid(s) "
                         f"(run make messages): {[m[1] for m in missing]}")


@pytest.mark.parametrize("locale, domain", CATALOGS)
def test_every_entry_is_translated_and_not_fuzzy(locale, domain):
    catalog = _catalog(locale, domain)
    fuzzy = [e.msgid for e in catalog.fuzzy_entries() if not e.obsolete]
    untranslated = [e.msgid for e in catalog.untranslated_entries() if not e.obsolete]
    assert not fuzzy, f"{_where(locale, domain)}: fuzzy entries: {fuzzy}"
    assert not untranslated, (f"{_where(locale, domain)}: {len(untranslated)} untranslated "
                              f"entries: {untranslated}")


def placeholder_problems(entry):
    """Where a translation's placeholders differ from its msgid's, as readable lines."""
    problems = []
    if entry.msgid_plural:
        allowed = (set(PLACEHOLDER.findall(entry.msgid))
                   | set(PLACEHOLDER.findall(entry.msgid_plural)))
        # A form may leave out one placeholder, the count ("one message", "رسالتان"); it
        # may not invent one, nor drop more.
        for index, text in sorted(entry.msgstr_plural.items()):
            if not text:
                continue
            used = set(PLACEHOLDER.findall(text))
            if not used <= allowed or len(allowed - used) > 1:
                problems.append(f"msgstr[{index}] has {sorted(used)}, msgid has {sorted(allowed)}")
    elif entry.msgstr:
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        used = sorted(PLACEHOLDER.findall(entry.msgstr))
        if used != expected:
            problems.append(f"msgstr has {used}, msgid has {expected}")
    return problems


@pytest.mark.parametrize("locale, domain", CATALOGS)
def test_placeholders_survive_translation(locale, domain):
    wrong = {e.msgid: problems for e in _catalog(locale, domain)
             if not e.obsolete and (problems := placeholder_problems(e))}
    assert not wrong, f"{_where(locale, domain)}: placeholders differ: {wrong}"


@pytest.mark.parametrize("locale, domain", CATALOGS)
def test_a_catalog_compiles(locale, domain, tmp_path):
    path = _path(locale, domain)
    assert path.exists(), f"{_where(locale, domain)} is missing"
    done = subprocess.run(["msgfmt", "--check-format", "-o", str(tmp_path / "out.mo"), str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"{_where(locale, domain)} does not compile: {done.stderr}"


@pytest.mark.parametrize("msgid, msgstr, bad", [
    ("Hello %(name)s", "Hallo %(name)s", False),
    ("Hello %(name)s", "Hallo %(nom)s", True),
    ("Hello %(name)s", "Hallo", True),
    ("%s of %s", "%s von %s", False),
    ("{count} new", "{count} neu", False),
    ("{count} new", "{n} neu", True),
])
def test_the_placeholder_check_tells_right_from_wrong(msgid, msgstr, bad):
    entry = polib.POEntry(msgid=msgid, msgstr=msgstr)
    assert bool(placeholder_problems(entry)) is bad


def test_a_plural_form_may_leave_out_the_count_but_no_more():
    entry = polib.POEntry(msgid="%(count)s message in %(folder)s",
                          msgid_plural="%(count)s messages in %(folder)s",
                          msgstr_plural={0: "رسالة واحدة في %(folder)s",
                                         1: "%(count)s رسائل في %(folder)s"})
    assert placeholder_problems(entry) == []
    entry.msgstr_plural[1] = "رسائل"
    assert placeholder_problems(entry) != []
    entry.msgstr_plural[1] = "%(count)s رسائل في %(folder)s %(other)s"
    assert placeholder_problems(entry) != []
