"""Scripts read into rules, the vacation and raw blocks, and written back: what was not
changed keeps its bytes, what Heron writes is Roundcube's format and reads back equal, and
no input — hostile, huge, broken — makes parse() raise or take long."""
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sievelib.parser import Parser

from webmail.sieve.rules import Action, Condition, RawBlock, Rule, Vacation
from webmail.sieve.script import Script, parse, render, with_items, with_vacation

DATA = Path(__file__).resolve().parents[1] / "data" / "sieve"
ROUNDCUBE = (DATA / "roundcube.sieve").read_bytes().decode()
HANDWRITTEN = (DATA / "handwritten.sieve").read_bytes().decode()
EMPTY = parse("")


def sievelib_accepts(text):
    parser = Parser()
    assert parser.parse(text.encode()), parser.error
    return True


def rule(name="News", *conditions, actions=(Action("move", "News"),), enabled=True,
         match="all"):
    conditions = conditions or (Condition("subject", "contains", "[news]"),)
    return Rule(name, enabled, match, tuple(conditions), tuple(actions))


# --- reading ------------------------------------------------------------------------------
def test_a_roundcube_script_is_read_into_its_rules_and_vacation():
    script = parse(ROUNDCUBE)
    rules = list(script.items)
    assert all(isinstance(item, Rule) for item in rules)
    assert [r.name for r in rules] == ["Invoices", "Big mail", "Old rule", "Boss", "Spammer"]
    assert rules[0] == Rule("Invoices", True, "any", (
        Condition("from", "contains", "billing@"), Condition("subject", "contains", "Rechnung"),
    ), (Action("move", "Finanzen/Rechnungen"), Action("mark_read")))
    assert rules[1].actions == (Action("copy", 'Groß "und" \\ schwer'), Action("stop"))
    assert rules[1].conditions == (Condition("size", "over", "5M"),)
    assert rules[2] == Rule("Old rule", False, "all", (
        Condition("to", "is", "maria@heron.test", negate=True),
        Condition("header", "regex", "^[5-9]", header="x-spam-score"),
    ), (Action("discard"),))
    assert rules[3].actions == (Action("forward_copy", "maria.mobile@heron.test"),
                                Action("flag"))
    assert rules[4].actions == (Action("reject", "Please stop writing to me."),)
    assert script.vacation == Vacation(
        enabled=True, first_day=date(2027, 7, 1), last_day=date(2027, 7, 21),
        subject="Away until 21 July",
        message="Hello,\n\nI am hiking until 21 July and read no mail.\n"
                ".and this line began with a dot.",
        addresses=("maria@heron.test", "m.keller@heron.test"), days=5,
        sender="maria@heron.test", utc_offset="+0100")


def test_what_heron_cannot_show_stays_raw_and_whole():
    script = parse(HANDWRITTEN)
    raws = [item.text for item in script.items if isinstance(item, RawBlock)]
    assert raws[0].startswith('\n\nif envelope :is "from"') and raws[0].endswith(
        "else {\n    stop;\n}")
    assert "# a note" in raws[0]
    assert raws[1] == '\nset "folder" "Inbox";'
    assert [item.name for item in script.items if isinstance(item, Rule)] == ["Heron one"]
    assert script.items[-1].conditions == (
        Condition("header", "contains", "<dev.lists.test>", header="List-Id"),)


@pytest.mark.parametrize("text", [
    '# rule:[x]\nif header :contains ["from","to"] "a" { stop; }\n',  # two headers
    '# rule:[x]\nif header :comparator "i;octet" :is "from" "a" { stop; }\n',
    '# rule:[x]\nif address :is "from" "a@b" { stop; }\n',  # not what header :is means
    '# rule:[x]\nif address :domain :contains "from" "b" { stop; }\n',
    '# rule:[x]\nif true { stop; }\n',
    '# rule:[x]\nif header :contains "subject" "a" { keep; }\n',
    '# rule:[x]\nif header :contains "subject" "a" { fileinto :create "F"; }\n',
    '# rule:[x]\nif header :contains "subject" "a" { addflag "$Label1"; }\n',
    '# rule:[x]\nif header :contains "subject" "a" { stop; } else { keep; }\n',
    '# rule:[x]\nif header :contains "subject" "a" {\n# why\nstop; }\n',
    '# rule:[x]\nif allof (anyof (size :over 1K, size :under 1), true) { stop; }\n',
    'if header :contains "subject" "a" { stop; }\n',  # no name
    '# rule:[x]\nif false { stop; }\n',
    '# rule:[x]\nif false # header :contains "subject" "a" (\n{ stop; }\n',
])
def test_a_block_of_another_shape_is_raw(text):
    script = parse(text)
    assert script.items == (RawBlock(text.rstrip("\n")),)
    assert render(script) == text


def test_comments_before_a_rule_line_stay_raw_before_the_rule():
    text = "# my notes\r\n# rule:[x]\r\nif size :under 10K\r\n{\r\n\tstop;\r\n}\r\n"
    script = parse(text)
    assert script.items == (RawBlock("# my notes\r\n"), rule(
        "x", Condition("size", "under", "10K"), actions=(Action("stop"),)))
    assert render(with_items(script, script.items[1:])) == (
        "# rule:[x]\r\nif size :under 10K\r\n{\r\n\tstop;\r\n}\r\n")


# --- round trips -----------------------------------------------------------------------------
TABLE = [
    "", "\n", "keep;", "keep;\n", "  \r\n\r\n", "# only a comment", "/* open", "}", "{",
    ROUNDCUBE, HANDWRITTEN, ROUNDCUBE.replace("\r\n", "\n"), ROUNDCUBE[:-40],
    'require "fileinto";\nif header :is "a" "b" { fileinto "x"; }',
    "if true { if true { if true { stop; } } }", "text:\nno end", '"unterminated',
    "vacation text:\r\n.\r\n;", "stop; \x00 stop;", "ünïcödé; # ☃\n", "\ud800 lone surrogate",
    "if\tfalse#x\n{stop;}", "# rule:[]\nif size :over 1 { stop; }",
    "# rule:[a]b]\nif size :over 1 { stop; }\n# rule:[Vacation]\nif true { vacation \"x\"; }",
]


@pytest.mark.parametrize("text", TABLE)
def test_an_unchanged_script_renders_to_its_exact_source(text):
    assert render(parse(text)) == text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_parses_and_renders_back_exactly(text):
    assert render(parse(text)) == text


PIECES = [ROUNDCUBE, HANDWRITTEN, "keep;", "}", "{", "\r\n", "# c\n", "if ", "text:\n",
          ".\n", '"', "/*", "*/", "require [\"x\"];", "elsif true {}", "else {stop;}"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=8))
def test_scripts_spliced_from_real_pieces_parse_and_render_back_exactly(pieces):
    text = "".join(pieces)
    assert render(parse(text)) == text


def test_reordering_keeps_every_blocks_bytes_and_the_require_line():
    script = parse(ROUNDCUBE)
    first, *rest = script.items
    reordered = render(with_items(script, [first] + rest[::-1]))
    assert reordered.startswith(ROUNDCUBE[:ROUNDCUBE.index("# rule:[Invoices]")])
    for item in rest:
        assert ROUNDCUBE[ROUNDCUBE.index(f"# rule:[{item.name}]"):].split("}\r\n")[0] in (
            reordered)
    assert parse(reordered).items == (first, *rest[::-1])


def test_a_changed_rule_is_rewritten_and_the_others_keep_their_text():
    script = parse(HANDWRITTEN)
    items = list(script.items)
    items[-1] = Rule("Heron one", False, "all", items[-1].conditions,
                     (Action("move", "Dev/Öffentlich"),))
    text = render(with_items(script, items))
    assert text == HANDWRITTEN.replace(
        '# rule:[Heron one]\nif header :contains "List-Id" "<dev.lists.test>"',
        '# rule:[Heron one]\nif false # header :contains "List-Id" "<dev.lists.test>"',
    ).replace('fileinto "Dev"', 'fileinto "Dev/Öffentlich"')
    assert parse(text).items == tuple(items)


def test_a_new_script_is_roundcubes_format():
    text = render(with_items(EMPTY, [rule("News", Condition("from", "is", "a@b.test"),
                                          actions=(Action("mark_read"), Action("stop")))]))
    assert text == ('require ["imap4flags"];\r\n# rule:[News]\r\nif header :is "from" '
                    '"a@b.test"\r\n{\r\n\taddflag "\\\\Seen";\r\n\tstop;\r\n}\r\n')
    assert render(with_items(EMPTY, [])) == ""


def test_the_require_line_follows_what_the_rules_need_while_raw_blocks_keep_theirs():
    script = parse(ROUNDCUBE)
    rules = [item for item in script.items if isinstance(item, Rule)]
    only_moves = render(with_vacation(with_items(script, rules[:1]), None))
    assert 'require ["fileinto","imap4flags"];' in only_moves
    assert "vacation" not in only_moves
    with_raw = parse(HANDWRITTEN)
    grown = render(with_items(with_raw, with_raw.items + (rule("x", Condition(
        "subject", "regex", "^a")),)))
    assert 'require ["envelope","fileinto","regex","variables"];' in grown
    assert grown.startswith("/* Maria's own script, edited by hand */\n")


def test_imapflags_is_kept_where_the_script_asked_for_it():
    text = ('require ["imapflags"];\r\n# rule:[x]\r\nif size :over 1K\r\n{\r\n'
            '\taddflag "\\\\Flagged";\r\n}\r\n')
    script = parse(text)
    flags_only = render(with_items(script, script.items + (
        rule("y", actions=(Action("flag"),)),)))
    assert flags_only.startswith('require ["imapflags"];\r\n# rule:[x]')
    more = render(with_items(script, script.items + (
        rule("y", actions=(Action("flag"), Action("move", "F"))),)))
    assert more.startswith('require ["fileinto","imapflags"];\r\n# rule:[x]')


# --- the vacation --------------------------------------------------------------------------
VACATION = Vacation(True, date(2026, 12, 20), date(2027, 1, 5), 'Weg "bis" Januar',
                    "Hallo,\n.\nbis bald.\n", ("me@heron.test",), 7, "me@heron.test", "-0530")


def test_a_new_vacation_comes_first_and_reads_back_equal():
    script = parse(ROUNDCUBE.split("# rule:[Out of office]")[0] + "keep;\r\n")
    text = render(with_vacation(script, VACATION))
    assert text.index("# rule:[Vacation]") < text.index("keep;")
    assert 'currentdate :zone "-0530" :value "ge" "date" "2026-12-20"' in text
    assert parse(text).vacation == VACATION
    assert sievelib_accepts(text)


@pytest.mark.parametrize("vacation", [
    VACATION,
    Vacation(False, None, None, "", "Away.", (), 1),
    Vacation(False, date(2026, 1, 1), None, "s", "m", ("a@b.test", "c@d.test"), 30),
    Vacation(True, None, date(2026, 1, 1), "s", "m", (), 2, utc_offset="+1400"),
])
def test_every_vacation_reads_back_equal_and_sievelib_accepts_it(vacation):
    text = render(with_vacation(EMPTY, vacation))
    assert parse(text).vacation == vacation and parse(text).items == ()
    assert sievelib_accepts(text)


@pytest.mark.parametrize(("sender", "written"), [
    ("", None), ("me@heron.test", ':from "me@heron.test"'),
    ('"Me" <me@heron.test>', ':from "\\"Me\\" <me@heron.test>"'),
])
def test_the_reply_address_is_written_as_from_only_when_chosen(sender, written):
    vacation = Vacation(True, None, None, "s", "m", (), 7, sender)
    text = render(with_vacation(EMPTY, vacation))
    assert (":from" in text) == bool(written)
    assert written is None or written in text
    assert parse(text).vacation.sender == sender
    assert sievelib_accepts(text)


def test_turning_vacation_off_keeps_its_settings_and_the_rest():
    script = parse(ROUNDCUBE)
    off = render(with_vacation(script, Vacation(**{**vars(script.vacation), "enabled": False})))
    assert parse(off).vacation.enabled is False
    assert parse(off).vacation.message == script.vacation.message
    assert parse(off).items == script.items
    assert "# rule:[Out of office]\r\nif false # allof (currentdate" in off


def test_removing_the_vacation_removes_its_block():
    script = parse(ROUNDCUBE)
    assert "vacation" not in render(with_vacation(script, None)).split("];", 1)[1]


# --- what render() writes is what parse() and sievelib read -----------------------------------
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
                min_size=1, max_size=30)
_HEADER = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e,
                                blacklist_characters=":"), min_size=1, max_size=20)
_CONDITION = st.one_of(
    st.builds(Condition, st.sampled_from(["from", "to", "cc", "subject"]),
              st.sampled_from(["contains", "is", "matches", "regex"]), _TEXT,
              negate=st.booleans()),
    st.builds(Condition, st.just("header"), st.sampled_from(["contains", "is"]), _TEXT,
              header=_HEADER.filter(lambda name: name.lower() not in (
                  "from", "to", "cc", "subject")), negate=st.booleans()),
    st.builds(Condition, st.just("size"), st.sampled_from(["over", "under"]),
              st.from_regex(r"[0-9]{1,6}[KMG]?", fullmatch=True), negate=st.booleans()),
)
_ACTION = st.one_of(
    st.builds(Action, st.sampled_from(["move", "copy"]), _TEXT),
    st.builds(Action, st.sampled_from(["forward", "forward_copy"]), st.just("x@y.test")),
    st.builds(Action, st.just("reject"), st.text(st.characters(
        blacklist_categories=("Cs",), blacklist_characters="\x00\r"), min_size=1)),
    st.builds(Action, st.sampled_from(["mark_read", "flag", "discard", "stop"])),
)
_RULE = st.builds(Rule, _TEXT.filter(lambda name: name == name.strip() and "]" not in name[-1:]),
                  st.booleans(), st.sampled_from(["all", "any"]),
                  st.lists(_CONDITION, min_size=1, max_size=4).map(tuple),
                  st.lists(_ACTION, min_size=1, max_size=4).map(tuple))


@settings(max_examples=200, deadline=None)
@given(st.lists(_RULE, max_size=4))
def test_written_rules_read_back_equal_and_sievelib_accepts_them(rules):
    text = render(with_items(EMPTY, rules))
    read = parse(text).items
    expected = [r if len(r.conditions) > 1 else Rule(r.name, r.enabled, "all", r.conditions,
                                                     r.actions) for r in rules]
    assert list(read) == expected
    assert render(parse(text)) == text
    assert sievelib_accepts(text)


def test_a_folder_with_quotes_backslashes_and_non_ascii_survives():
    folder = 'Kunden/"Müller" \\ Söhne/日本'
    text = render(with_items(EMPTY, [rule(actions=(Action("move", folder),))]))
    assert 'fileinto "Kunden/\\"Müller\\" \\\\ Söhne/日本";' in text
    assert parse(text).items[0].actions == (Action("move", folder),)


# --- hostile input ----------------------------------------------------------------------------
HOSTILE = [
    lambda n: "keep;\n" * (n // 6),  # many tiny blocks
    lambda n: "text:x\n" * (n // 7),  # sievelib's lexer alone takes minutes on this
    lambda n: '"' + "a" * n,  # an unterminated string
    lambda n: "{" * (n // 2) + "}" * (n // 2),  # deeply nested braces
    lambda n: "if true {" * (n // 9),  # never closed
    lambda n: "/*" + "x" * n,  # an unterminated comment
    lambda n: "text:\r\n" + "x\r\n" * (n // 3),  # an unterminated multi-line string
]


@pytest.mark.parametrize("make", HOSTILE)
def test_hostile_scripts_as_large_as_a_script_may_be_parse_and_render_back(make):
    text = make(250_000)
    assert render(parse(text)) == text


@pytest.mark.parametrize("make", HOSTILE)
def test_a_one_megabyte_script_is_one_raw_block(make):
    text = make(1_000_000)
    script = parse(text)
    assert script.items == (RawBlock(text),) and render(script) == text


def test_a_rule_with_500_conditions_is_read():
    text = ("# rule:[many]\nif anyof (" + ", ".join(
        f'header :contains "subject" "n{i}"' for i in range(500)) + ") { stop; }\n")
    [many] = parse(text).items
    assert len(many.conditions) == 500 and many.conditions[499].value == "n499"


def test_nul_bytes_end_what_can_be_read_and_keep_the_rest_raw():
    text = '# rule:[a]\nif size :over 1K { stop; }\nkeep; \x00 # rule:[b]\nif true { stop; }'
    script = parse(text)
    assert script.items[0].name == "a"
    assert script.items[1:] == (RawBlock("\nkeep;"),
                                RawBlock(" \x00 # rule:[b]\nif true { stop; }"))
    assert render(script) == text


def test_a_script_built_by_hand_renders_like_one_parsed():
    built = Script((rule(),), None, "")
    assert parse(render(built)).items == (rule(),)
