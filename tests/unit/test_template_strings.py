"""Every word a template shows goes through gettext: text between tags, the attributes a
person reads or hears (title, aria-label, placeholder, alt, data-confirm, a button's
value) and the literal fallbacks of `default`, `firstof` and included labels.

Each template is parsed by Django's own template engine; everything outside a TextNode (a
variable, a tag, {% translate %}, {% blocktranslate %}) becomes an opaque mark, and the
HTML that is left is read with the standard library's parser, skipping <script>, <style>
and comments. A failure names the template and the words found."""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.template.base import FilterExpression, TextNode, VariableNode
from django.template.defaulttags import FirstOfNode
from django.template.loader_tags import BlockNode, IncludeNode

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
# Where a template prints something that is not made of words in any language.
MARK = "\u2042"
ALLOWED = {
    "Heron": "the product's name, the same in every language",
}
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-confirm", "aria-description"}
# Included templates take these keywords as text they show (e.g. _snooze_menu's label).
SHOWN_KEYWORDS = {"label", "text", "title"}
WORD = re.compile(r"[^\W\d_]{2,}")
# A literal such as default:"info" names a CSS class or a code, not text.
CODE = re.compile(r"^[a-z][a-z0-9_-]*$")


def _words(text):
    text = text.replace(MARK, " ")
    for allowed in ALLOWED:
        text = text.replace(allowed, " ")
    return WORD.findall(text)


def _child_nodelists(node):
    if isinstance(node, BlockNode) and node.name.endswith("class"):
        return  # {% block body_class %} holds CSS class names, not words
    if hasattr(node, "conditions_nodelists"):
        # {% if %}: its nodelist property joins the branches; read each branch once.
        for _condition, nodelist in node.conditions_nodelists:
            yield nodelist
        return
    for name in getattr(node, "child_nodelists", ()):
        nodelist = getattr(node, name, None)
        if nodelist:
            yield nodelist


def _literal(value):
    """The plain (untranslated) string a FilterExpression or filter argument holds."""
    if isinstance(value, FilterExpression):
        value = value.var
    return value if isinstance(value, str) else None


def _literals(node):
    """Literal words handed to a template that shows them: fallbacks and labels."""
    if isinstance(node, VariableNode):
        for func, args in node.filter_expression.filters:
            if func.__name__ in {"default", "default_if_none"}:
                yield from (_literal(arg) for _lookup, arg in args)
    elif isinstance(node, FirstOfNode):
        yield from (_literal(var) for var in node.vars)
    elif isinstance(node, IncludeNode):
        yield from (_literal(value) for key, value in node.extra_context.items()
                    if key in SHOWN_KEYWORDS)


def skeleton(nodelist, literals):
    """The template's HTML with every non-text node replaced by MARK."""
    parts = []
    for node in nodelist:
        if isinstance(node, TextNode):
            parts.append(node.s)
            continue
        parts.append(MARK)
        literals.extend(text for text in _literals(node)
                        if text and _words(text) and not CODE.match(text))
        for child in _child_nodelists(node):
            parts.append(skeleton(child, literals))
            parts.append(MARK)
    return "".join(parts)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self.hidden += 1
        values = dict(attrs)
        for name, value in attrs:
            shown = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input"
                and values.get("type") in {"submit", "button", "reset"})
            if shown and value and _words(value):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and _words(data):
            self.found.append(data.strip())


def untranslated(path):
    """[text] a template shows outside gettext."""
    engine = engines["django"].engine
    template = engine.from_string(path.read_text())
    literals = []
    reader = _Reader()
    reader.feed(skeleton(template.nodelist, literals))
    reader.close()
    found = reader.found + [f"literal {text!r}" for text in literals]
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_a_template_shows_no_word_outside_gettext(path):
    found = untranslated(path)
    assert not found, f"{path.relative_to(settings.BASE_DIR)} shows words outside gettext: {found}"


@pytest.mark.parametrize("source, expected", [
    ("<p>Hello</p>", ["Hello"]),
    ('{% load i18n %}<p>{% translate "Hello" %}</p>', []),
    ('{% load i18n %}<p>{% blocktranslate count n=3 %}one{% plural %}many'
     '{% endblocktranslate %}</p>', []),
    ('<button title="Close">{{ x }}</button>', ["<button title='Close'>"]),
    ('{% load i18n %}<button title="{% translate "Close" %}"></button>', []),
    ('<input type="submit" value="Send">', ["<input value='Send'>"]),
    ('<input type="hidden" name="a" value="archive">', []),
    ("<script>const word = 'x';</script><style>.a{color:red}</style><!-- note -->", []),
    ("{% if a %}<em>Later</em>{% endif %}", ["Later"]),
    ('{{ subject|default:"(no subject)" }}', ["literal '(no subject)'"]),
    ('{% load i18n %}{{ subject|default:_("(no subject)") }}', []),
    ('{% firstof a "(unknown)" %}', ["literal '(unknown)'"]),
    ('<p class="{{ kind|default:"info" }}"></p>', []),
    ("<title>Heron · {{ page }}</title>", []),
    ("<p>{{ a }} · {{ b }} – 3%</p>", []),
    ('<button name="action" value="archive">{{ label }}</button>', []),
    ("{% block body_class %}app reading{% endblock %}", []),
    ("{% if a %}<b>One</b>{% else %}<b>Two</b>{% endif %}", ["One", "Two"]),
])
def test_the_finder_tells_words_from_the_rest(tmp_path, source, expected):
    path = tmp_path / "t.html"
    path.write_text(source)
    assert untranslated(path) == expected
