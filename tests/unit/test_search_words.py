"""Query words in the search box (from:carol is:unread before:2026-03-01): read into words,
turned into SEARCH criteria as token lists, with hostile input kept in its place."""
from datetime import date

import pytest

from webmail.imap import wall
from webmail.imap.search import MAX_TERMS, SearchQuery, criteria, parse_words


@pytest.mark.parametrize("text, expected", [
    ("from:carol", ["FROM", "carol"]),
    ("FROM:carol", ["FROM", "carol"]),
    ('from:"Carol Smith"', ["FROM", "Carol Smith"]),
    ("to:bob", ["OR", "TO", "bob", "CC", "bob"]),
    ('subject:"weekly report" pizza', ["SUBJECT", "weekly report", "TEXT", "pizza"]),
    ("is:unread", ["UNSEEN"]),
    ("is:read", ["SEEN"]),
    ("is:flagged", ["FLAGGED"]),
    ("has:attachment", ["ALL"]),  # no IMAP criterion: the list is filtered by structure
    ("before:2026-03-01", ["SENTBEFORE", date(2026, 3, 1)]),
    ("after:2026-02-01", ["SENTSINCE", date(2026, 2, 1)]),
    ("after:2026/02/01", ["SENTSINCE", date(2026, 2, 1)]),
    ("invoice from:carol is:unread march",
     ["TEXT", "invoice", "FROM", "carol", "UNSEEN", "TEXT", "march"]),
    # Words it does not know are text, as typed.
    ("foo:bar", ["TEXT", "foo:bar"]),
    ("is:nice", ["TEXT", "is:nice"]),
    ("has:cake", ["TEXT", "has:cake"]),
    ("from:", ["TEXT", "from:"]),
    ("http://example.com", ["TEXT", "http://example.com"]),
    # A quote without its pair is a character, in a word as in a value.
    ('unbalanced "quote', ["TEXT", "unbalanced", "TEXT", '"quote']),
    ('from:"Carol', ["FROM", '"Carol']),
])
def test_query_words_become_criteria(text, expected):
    assert criteria(SearchQuery(text=text)) == expected


def test_free_words_search_where_the_filters_say_and_query_words_where_they_name():
    query = SearchQuery(text="lunch from:carol", scope="subject")
    assert criteria(query) == ["SUBJECT", "lunch", "FROM", "carol"]


@pytest.mark.parametrize("text", ["from:carol\r\nA1 LOGOUT", "from:carol\x00x", "a\rb\nc",
                                  'from:"x\r\n"', "\x1b[31mred"])
def test_line_breaks_and_nul_never_reach_a_criterion(text):
    tokens = criteria(SearchQuery(text=text))
    assert wall.is_safe(tokens)
    assert not any(ch in str(token) for token in tokens for ch in "\r\n\x00\x1b")


def test_a_long_value_stays_one_token():
    value = "x" * 10_000
    assert criteria(SearchQuery(text=f"from:{value}")) == ["FROM", value]
    assert criteria(SearchQuery(text=f'subject:"{value} {value}"')) == [
        "SUBJECT", f"{value} {value}"]


def test_ten_thousand_quotes_and_colons_are_read_in_one_pass():
    words = parse_words('"' * 10_000 + ":" * 10_000 + "from:" * 2_000)
    assert len(words.words) <= MAX_TERMS


def test_a_query_searches_at_most_twenty_words():
    words = parse_words(" ".join(f"from:p{n}" for n in range(50)))
    assert [w.value for w in words.words] == [f"p{n}" for n in range(MAX_TERMS)]


@pytest.mark.parametrize("text", ["before:2026-02-30", "after:yesterday", "before:",
                                  "after:2026-13-01", "before:0000-01-01"])
def test_a_date_that_is_no_day_is_a_problem_in_words_not_a_criterion(text):
    words = parse_words(text)
    assert words.words == () and len(words.problems) == 1
    assert "YYYY-MM-DD" in words.problems[0]
    assert criteria(SearchQuery(text=text)) == ["ALL"]


def test_a_range_that_ends_before_it_starts_is_a_problem():
    words = parse_words("after:2026-03-02 before:2026-03-01")
    assert words.problems == ("No message can be after 2026-03-02 and before 2026-03-01: "
                              "the dates are the wrong way round.",)
    assert not parse_words("after:2026-03-01 before:2026-03-02").problems


def test_words_keep_what_was_typed_for_their_chips():
    words = parse_words('hello from:"Carol Smith" is:UNREAD has:attachment')
    assert [(w.raw, w.key, w.value) for w in words.words] == [
        ("hello", "", "hello"), ('from:"Carol Smith"', "from", "Carol Smith"),
        ("is:UNREAD", "is", "unread"), ("has:attachment", "has", "attachment")]
    assert words.attachment
