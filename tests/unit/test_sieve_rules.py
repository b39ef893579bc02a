"""validate_rule and validate_vacation: each problem a clear sentence, nothing written
that would break the script or that the server does not offer."""
from datetime import date

import pytest

from webmail.sieve.rules import Action, Condition, Rule, Vacation
from webmail.sieve.script import validate_rule, validate_vacation

ALL = frozenset({"fileinto", "copy", "imap4flags", "reject", "regex", "vacation", "date",
                 "relational"})
SUBJECT = Condition("subject", "contains", "[news]")
MOVE = Action("move", "News")


def problems(conditions=(SUBJECT,), actions=(MOVE,), name="News", match="all",
             extensions=ALL):
    return validate_rule(Rule(name, True, match, tuple(conditions), tuple(actions)),
                         extensions)


def test_a_good_rule_has_no_problem():
    assert problems() == []
    assert problems([Condition("header", "regex", "^yes", header="X-Spam-Flag"),
                     Condition("size", "over", "100K", negate=True)],
                    [Action("copy", 'Ä "b" \\ c'), Action("forward_copy", "a@b.test"),
                     Action("mark_read"), Action("flag"), Action("reject", "No.\nThanks."),
                     Action("discard"), Action("stop")], match="any") == []


@pytest.mark.parametrize("kwargs, expected", [
    ({"name": "  "}, "Give the rule a name."),
    ({"name": "a\r\nb"}, "A rule name must be at most 100 characters on one line."),
    ({"name": "x" * 101}, "A rule name must be at most 100 characters on one line."),
    ({"name": "a\x0cb"}, "A rule name must be at most 100 characters on one line."),
    ({"match": "some"}, "Choose whether all or any of the conditions must match."),
    ({"conditions": []}, "Add at least one condition."),
    ({"conditions": [SUBJECT] * 51}, "A rule can have at most 50 conditions."),
    ({"conditions": [SUBJECT] * 500}, "A rule can have at most 50 conditions."),
    ({"actions": []}, "Add at least one action."),
    ({"actions": [MOVE] * 21}, "A rule can have at most 20 actions."),
    ({"conditions": [Condition("body", "contains", "x")]},
     "Choose what a condition looks at."),
    ({"conditions": [Condition("subject", "over", "x")]},
     "Choose how a condition compares (contains, is, matches, regex)."),
    ({"conditions": [Condition("subject", "regex", "x")], "extensions": ALL - {"regex"}},
     "This mail server does not offer regular expressions in filters."),
    ({"conditions": [Condition("header", "is", "x", header="X Bad")]},
     "A header name is 1 to 76 printable characters without spaces or colons "
     "(like X-Spam-Flag)."),
    ({"conditions": [Condition("header", "is", "x", header="Subject:")]},
     "A header name is 1 to 76 printable characters without spaces or colons "
     "(like X-Spam-Flag)."),
    ({"conditions": [Condition("header", "is", "x", header="")]},
     "A header name is 1 to 76 printable characters without spaces or colons "
     "(like X-Spam-Flag)."),
    ({"conditions": [Condition("subject", "contains", "a\nb")]},
     "A condition's text must be at most 1000 characters on one line."),
    ({"conditions": [Condition("subject", "contains", "a\x00b")]},
     "A condition's text must be at most 1000 characters on one line."),
    ({"conditions": [Condition("subject", "contains", "")]},
     "Fill in the text each condition looks for."),
    ({"conditions": [Condition("size", "over", "10 MB")]},
     "A size is a whole number, optionally followed by K, M or G (like 100K)."),
    ({"conditions": [Condition("size", "over", "-1")]},
     "A size is a whole number, optionally followed by K, M or G (like 100K)."),
    ({"conditions": [Condition("size", "contains", "1")]},
     "A size condition is either over or under a size."),
    ({"actions": [Action("explode")]}, "Choose what an action does."),
    ({"actions": [Action("move", " ")]}, "Choose the folder to file messages into."),
    ({"actions": [Action("move", "a\rb")]}, "That folder name cannot be used in a filter."),
    ({"actions": [Action("forward", "not an address")]},
     "Forward to a valid email address (like name@example.com)."),
    ({"actions": [Action("forward", "a@b.test\r\nBcc: c@d.test")]},
     "Forward to a valid email address (like name@example.com)."),
    ({"actions": [Action("reject", "")]}, "Write the message a rejected sender receives."),
    ({"actions": [Action("reject", "a\x00")]}, "A reject message must be at most 10000 "
                                              "characters."),
    ({"actions": [Action("copy", "F")], "extensions": ALL - {"copy"}},
     "This mail server does not offer that action in filters."),
    ({"actions": [Action("flag")], "extensions": ALL - {"imap4flags"}},
     "This mail server does not offer that action in filters."),
])
def test_each_problem_is_named(kwargs, expected):
    assert problems(**kwargs) == [expected]


def test_flags_are_offered_by_the_older_imapflags_too():
    assert problems(actions=[Action("flag")],
                    extensions=ALL - {"imap4flags"} | {"imapflags"}) == []


def test_limits_follow_the_settings(settings):
    settings.HERON_SIEVE_MAX_CONDITIONS = 2
    assert problems(conditions=[SUBJECT] * 3) == ["A rule can have at most 2 conditions."]


VACATION = Vacation(True, date(2026, 12, 20), date(2027, 1, 5), "Away", "Back soon.",
                    ("me@heron.test",), 7, "me@heron.test", "+0100")


def test_a_good_vacation_has_no_problem():
    assert validate_vacation(VACATION, ALL) == []


@pytest.mark.parametrize("changes, expected", [
    ({"first_day": date(2027, 2, 1)}, "The last day comes before the first day."),
    ({"utc_offset": "+25:00"}, "The time zone offset must look like +0100 or -0500."),
    ({"days": 0}, "Days between replies must be from 1 to 365."),
    ({"subject": "a\nb"}, "The subject must be at most 1000 characters on one line."),
    ({"message": " "}, "Write the reply's message."),
    ({"addresses": ("me@heron.test", "nope")},
     "These are not valid email addresses: nope"),
    ({"sender": "x\r\n@y"}, "These are not valid email addresses: x  @y"),
])
def test_each_vacation_problem_is_named(changes, expected):
    assert validate_vacation(Vacation(**{**vars(VACATION), **changes}), ALL) == [expected]


def test_a_server_without_vacation_or_dates_says_so():
    assert validate_vacation(VACATION, ALL - {"vacation", "date"}) == [
        "This mail server does not offer vacation replies.",
        "This mail server cannot limit a vacation reply to dates."]
