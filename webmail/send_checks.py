"""Second thoughts before Send (Settings → Writing): no subject, or text that speaks of an
attachment while none is attached. The compose script asks the same questions in a dialog;
this is the answer for a page without scripts, and the last word for both."""
import json
import re

from django.utils.html import strip_tags
from django.utils.translation import gettext, gettext_lazy

# Stems that mention a file sent along, in English whatever the language, since mail mixes
# languages; the active language's own words come from ATTACH_WORDS.
ENGLISH_WORDS = ("attached", "attachment", "attachments", "enclosed")
# Translators: words that say a file comes with a message, separated by commas; a word
# matches at the start of a word of the text (so "attach" also finds "attaching").
ATTACH_WORDS = gettext_lazy("attached,attachment,attachments,enclosed")


def attach_words():
    """The words looked for: English and the active language's, lower-cased, de-duplicated."""
    found = [word.strip().lower() for word in str(ATTACH_WORDS).split(",")]
    return sorted({word for word in (*ENGLISH_WORDS, *found) if word})


def mentions_attachment(text):
    """Whether the text (its own lines, not a quoted message's "> " lines) names an
    attachment."""
    own = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))
    pattern = r"(?<!\w)(?:" + "|".join(re.escape(word) for word in attach_words()) + r")"
    return re.search(pattern, own, re.IGNORECASE) is not None


def doubts(prefs, data, has_files):
    """The questions to ask before sending form data (ComposeForm.cleaned_data) for these
    preferences (accounts.preferences.shown); empty when there is nothing to ask."""
    found = []
    if prefs["ask_subject"] and not data.get("subject", "").strip():
        found.append(gettext("The message has no subject."))
    text = (strip_tags(data.get("html", "")) if data.get("format") == "html"
            else data.get("body", ""))
    if prefs["ask_attachment"] and not has_files and mentions_attachment(text):
        found.append(gettext("The text mentions an attachment, but no file is attached."))
    return found


def for_script(prefs):
    """What the compose script asks about (JSON for data-send-checks), or "" for nothing."""
    if not (prefs["ask_subject"] or prefs["ask_attachment"]):
        return ""
    return json.dumps({"subject": prefs["ask_subject"], "attachment": prefs["ask_attachment"],
                       "words": attach_words()})
