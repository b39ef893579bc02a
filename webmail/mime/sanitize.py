"""The one place Heron calls nh3."""
import html
import re

import nh3

_BLOCK_ENDS = re.compile(r"(?i)<\s*(?:br|/p|/div|/tr|/h[1-6]|/li|/blockquote)\b[^>]*>")
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def html_to_text(markup):
    """Plain text of an HTML document: block ends become line breaks, all markup goes,
    and the content of script, style and head is dropped."""
    markup = _BLOCK_ENDS.sub("\n", markup)
    stripped = nh3.clean(markup, tags=set(),
                         clean_content_tags={"script", "style", "title", "head"})
    return _BLANK_RUNS.sub("\n\n", html.unescape(stripped)).strip()
