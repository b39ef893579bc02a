"""Plain-text mail shown as HTML: escaped, with working links, folded quotes and signature."""
from html.parser import HTMLParser

import pytest
from django.utils.safestring import SafeString, mark_safe

from webmail.mime import render
from webmail.mime.render import text_to_html

LINK = ('<a href="{href}" target="_blank" rel="noopener noreferrer">{text}</a>')


class Elements(HTMLParser):
    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.elements, self.text = [], []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def tags(self, name):
        return [attrs for tag, attrs in self.elements if tag == name]


def test_it_returns_safe_html_and_nothing_for_nothing():
    for empty in ("", None):
        html = text_to_html(empty)
        assert isinstance(html, SafeString)
        assert html == ""


@pytest.mark.parametrize("text, html", [
    ("Hi <b>Bob</b> & Co", "Hi &lt;b&gt;Bob&lt;/b&gt; &amp; Co"),
    ("a \"quoted\" 'word'", "a &quot;quoted&quot; &#x27;word&#x27;"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("&amp; stays as typed", "&amp;amp; stays as typed"),
    ("line one\nline two\n\nline four", "line one\nline two\n\nline four"),
    ("windows\r\nline ends\rold mac", "windows\nline ends\nold mac"),
])
def test_every_character_is_escaped_and_line_breaks_stay(text, html):
    assert text_to_html(text) == html


def test_text_already_marked_safe_is_escaped_all_the_same():
    assert text_to_html(mark_safe("<b>x</b>")) == "&lt;b&gt;x&lt;/b&gt;"


@pytest.mark.parametrize("text, html", [
    ("see https://heron.example/a?b=1&c=2.",
     "see " + LINK.format(href="https://heron.example/a?b=1&amp;c=2",
                          text="https://heron.example/a?b=1&amp;c=2") + "."),
    ("(http://heron.example/path)",
     "(" + LINK.format(href="http://heron.example/path", text="http://heron.example/path") + ")"),
    ("<https://heron.example/>",
     "&lt;" + LINK.format(href="https://heron.example/", text="https://heron.example/") + "&gt;"),
    ("www.heron.example",
     LINK.format(href="http://www.heron.example", text="www.heron.example")),
    ("mail bob@heron.test today",
     "mail " + LINK.format(href="mailto:bob@heron.test", text="bob@heron.test") + " today"),
    ('https://heron.example/"onmouseover="alert(1)',
     LINK.format(href="https://heron.example/", text="https://heron.example/")
     + "&quot;onmouseover=&quot;alert(1)"),
    ("javascript:alert(1)", "javascript:alert(1)"),
    ("ftp://files.heron.example/x", "ftp://files.heron.example/x"),
])
def test_web_and_mail_addresses_become_links_that_open_in_a_new_tab(text, html):
    assert text_to_html(text) == html


def test_links_carry_only_their_address_target_and_rel():
    markup = text_to_html("a https://one.example b bob@two.example c www.three.example")
    links = Elements(markup).tags("a")
    assert [link["href"] for link in links] == [
        "https://one.example", "mailto:bob@two.example", "http://www.three.example"]
    assert all(set(link) == {"href", "target", "rel"} for link in links)
    assert all(link["target"] == "_blank" and link["rel"] == "noopener noreferrer"
               for link in links)


def test_a_short_quote_is_shown_open_and_without_its_markers():
    html = text_to_html("Sure.\n> Can we meet at 10?\n> Or 11?\nThanks")
    assert html == (
        'Sure.\n<details class="quote" open><summary>Quoted text (2 lines)</summary>'
        "<blockquote>Can we meet at 10?\nOr 11?</blockquote></details>Thanks")


def test_a_long_quote_starts_folded_and_keeps_its_deeper_levels():
    quoted = ["> > first"] + [f"> line {n} <x>" for n in range(5)]
    html = text_to_html("\n".join(["Reply on top", "", "On Monday Bob wrote:", *quoted]))
    details = Elements(html).tags("details")
    assert details == [{"class": "quote"}]
    assert "<summary>Quoted text (6 lines)</summary>" in html
    assert "<blockquote>&gt; first\nline 0 &lt;x&gt;\n" in html
    assert html.startswith("Reply on top\n\nOn Monday Bob wrote:\n<details")


def test_separate_quotes_are_folded_separately():
    html = text_to_html("> one\n\n> two\nend")
    assert html.count("<details") == 2
    assert "</details>\n<details" in html


def test_links_inside_quotes_still_work():
    html = text_to_html("> see https://heron.example/doc")
    assert LINK.format(href="https://heron.example/doc", text="https://heron.example/doc") in html


def test_the_signature_is_set_apart():
    html = text_to_html("Thanks!\n-- \nAlice Example\nhttps://alice.example")
    assert html == (
        'Thanks!\n<div class="signature">-- \nAlice Example\n'
        + LINK.format(href="https://alice.example", text="https://alice.example") + "</div>")


@pytest.mark.parametrize("text", [
    "Two dashes--not a signature",
    "--\nno trailing space, not the delimiter",
    "> -- \n> quoted signature stays in the quote",
])
def test_only_a_real_signature_delimiter_starts_the_signature(text):
    assert 'class="signature"' not in text_to_html(text)


def test_the_last_delimiter_wins():
    html = text_to_html("a\n-- \nnot yet\n-- \nsig")
    assert html == 'a\n-- \nnot yet\n<div class="signature">-- \nsig</div>'


def test_a_very_long_line_is_escaped_whole():
    line = "<" + "x" * 1_000_000 + "&"
    assert text_to_html(line) == "&lt;" + "x" * 1_000_000 + "&amp;"


def test_a_very_long_url_is_escaped_but_not_linked():
    url = "https://heron.example/" + "a" * render.LONGEST_LINK
    assert text_to_html(url) == url


@pytest.mark.parametrize("text", [
    "(" * 100_000 + "heron.example" + ")" * 100_000,
    "".join(f"({n}" + ")." * 1000 + " " for n in range(200)),
    "".join(f"user{n}@" + "b." * 900 + "com " for n in range(200)),
    "&" + ";" * 100_000,
    "> q\n" * 100_000,
    "> q\nx\n" * 50_000,
    "\x00\ud800 text",
])
def test_hostile_text_is_escaped_without_error(text):
    html = text_to_html(text)
    assert "<script" not in html and "<b>" not in html


def test_past_the_bounds_a_huge_text_is_still_shown_whole():
    links = [f"https://site{n}.example/" for n in range(render.LINK_TRIES + 10)]
    html = text_to_html(" ".join(links))
    assert html.count("<a ") == render.LINK_TRIES
    assert html.endswith(links[-1])
    quotes = text_to_html("> q\nx\n" * (render.QUOTE_BLOCKS + 5))
    assert quotes.count("<details") == render.QUOTE_BLOCKS
    assert quotes.endswith("&gt; q\nx\n")
