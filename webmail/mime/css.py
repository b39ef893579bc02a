"""The CSS filter of sanitize_html(): message CSS, parsed by tinycss2, cut to what lays a
message out.

`clean_declarations()` filters a style attribute and `clean_stylesheet()` the text of a
`<style>` block. `ALLOWED_PROPERTIES` is their allow-list, which the sanitizer also hands to
nh3's own style filter in its last pass.
"""
import tinycss2

# Colours, fonts, text, spacing, borders and box sizes: what lays a message out. Nothing
# that takes it out of the flow (position, z-index, transform), loads anything
# (background-image, border-image, list-style-image, cursor, content) or runs code
# (behavior, -moz-binding). Values are checked as well, by _safe_value.
ALLOWED_PROPERTIES = frozenset({
    "color", "background", "background-color", "opacity", "visibility",
    "font", "font-family", "font-size", "font-style", "font-variant", "font-weight",
    "line-height", "letter-spacing", "word-spacing", "white-space", "word-break",
    "word-wrap", "overflow-wrap", "hyphens", "direction",
    "text-align", "text-decoration", "text-decoration-color", "text-decoration-line",
    "text-decoration-style", "text-indent", "text-transform", "text-overflow",
    "text-shadow", "vertical-align",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-color", "border-style", "border-width", "border-radius",
    *(f"border-{side}{part}" for side in ("top", "right", "bottom", "left")
      for part in ("", "-color", "-style", "-width")),
    "border-top-left-radius", "border-top-right-radius", "border-bottom-left-radius",
    "border-bottom-right-radius", "border-collapse", "border-spacing",
    "width", "height", "min-width", "min-height", "max-width", "max-height",
    "display", "float", "clear", "overflow", "overflow-x", "overflow-y", "box-sizing",
    "list-style-type", "list-style-position", "table-layout", "caption-side",
    "empty-cells",
})
_CSS_FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla", "calc"})
_CSS_NESTING = 8


def _safe_value(tokens):
    """No url(), no function but colours and calc(), no at-keyword, no parse error, and no
    deep nesting (a declaration is serialized again, recursively)."""
    pending = [(token, 0) for token in tokens]
    while pending:
        token, depth = pending.pop()
        if depth > _CSS_NESTING or token.type in ("url", "at-keyword", "error"):
            return False
        if token.type == "function":
            if token.lower_name not in _CSS_FUNCTIONS:
                return False
            pending.extend((child, depth + 1) for child in token.arguments)
        elif token.type in ("() block", "[] block", "{} block"):
            pending.extend((child, depth + 1) for child in token.content)
    return True


def _declarations(tokens):
    kept = []
    for item in tinycss2.parse_blocks_contents(tokens, skip_comments=True,
                                               skip_whitespace=True):
        if (item.type == "declaration" and item.lower_name in ALLOWED_PROPERTIES
                and _safe_value(item.value)):
            value = tinycss2.serialize(item.value).strip()
            if value:
                kept.append(f"{item.lower_name}:{value}{' !important' if item.important else ''}")
    return ";".join(kept)


def clean_declarations(css):
    """A style attribute's text cut to ALLOWED_PROPERTIES with safe values, written as
    "name:value" pairs joined by ";"; "" when none is left. Never raises on any str."""
    try:
        return _declarations(css)
    except RecursionError:
        # tinycss2 parses nested blocks recursively; absurd nesting is dropped whole.
        return ""


# <style> blocks are kept: newsletters lay themselves out with them (classes, @media for
# phones). They pass through tinycss2 and keep only style rules whose declarations pass the
# attribute rules above, plus @media around such rules. @import, @font-face, @keyframes and
# every other at-rule go. Selectors are kept as written: with url(), @import and fonts gone
# no selector can make the browser fetch anything, so attribute and :visited selectors
# cannot leak data, and a rule can only restyle the message's own document in its frame.
_SELECTOR_FUNCTIONS = frozenset({
    "not", "is", "where", "nth-child", "nth-last-child", "nth-of-type", "nth-last-of-type",
    "lang", "dir",
})


def _safe_prelude(tokens, functions):
    for token in tokens:
        if token.type in ("url", "at-keyword", "error", "{} block"):
            return False
        if token.type == "function" and token.lower_name not in functions:
            return False
    return True


def _style_rules(rules, nested):
    kept = []
    for rule in rules:
        if rule.type == "qualified-rule" and _safe_prelude(rule.prelude, _SELECTOR_FUNCTIONS):
            body = _declarations(rule.content)
            if body:
                kept.append(f"{tinycss2.serialize(rule.prelude).strip()}{{{body}}}")
        elif (rule.type == "at-rule" and rule.lower_at_keyword == "media" and not nested
              and rule.content is not None and _safe_prelude(rule.prelude, ())):
            inner = _style_rules(tinycss2.parse_rule_list(
                rule.content, skip_comments=True, skip_whitespace=True), nested=True)
            if inner:
                kept.append(f"@media {tinycss2.serialize(rule.prelude).strip()}{{{inner}}}")
    return "".join(kept)


def clean_stylesheet(css):
    """A <style> block's text cut to safe rules; "" when none is left. "<" is written as a
    CSS escape, so the text can never end its <style> element or open a tag. Never raises
    on any str."""
    try:
        rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
        return _style_rules(rules, nested=False).replace("<", "\\3c ")
    except RecursionError:
        return ""
