"""Writing rules, the vacation and the require line in the format of Roundcube's
managesieve plugin (the format reading.py reads):

    require ["fileinto","imap4flags"];
    # rule:[NAME]
    if allof (header :contains "subject" "x", not size :over 100K)
    {
        fileinto "Folder";      (an action line begins with a tab)
    }

A disabled rule is "if false # TEST". Strings are quoted by sievelib (tools.quote); a
value with line breaks (a reject or vacation message) is a "text:" multi-line string,
dot-stuffed. Each piece is returned without the line break before or after it; script.py
joins them with the script's own line break.
"""
import re

from sievelib import tools

# The extension each action needs (flags: see flags_extension()).
_ACTION_NEEDS = {"move": ("fileinto",), "copy": ("fileinto", "copy"),
                 "forward_copy": ("copy",), "reject": ("reject",),
                 "mark_read": ("FLAGS",), "flag": ("FLAGS",)}
_FLAG_OF = {"mark_read": "\\Seen", "flag": "\\Flagged"}
_COMMAND_OF = {"move": "fileinto", "copy": "fileinto :copy", "forward": "redirect",
               "forward_copy": "redirect :copy", "reject": "reject"}


def flags_extension(required):
    """imap4flags (RFC 5232), or the older imapflags where the script asked for only it."""
    return "imapflags" if "imapflags" in required and "imap4flags" not in required else (
        "imap4flags")


def rule_needs(rule, flags="imap4flags"):
    """The extensions a rule needs."""
    needs: set[str] = set()
    for action in rule.actions:
        needs.update(flags if need == "FLAGS" else need
                     for need in _ACTION_NEEDS.get(action.kind, ()))
    if any(condition.op == "regex" for condition in rule.conditions):
        needs.add("regex")
    return needs


def vacation_needs(vacation):
    needs = {"vacation"}
    if vacation.first_day or vacation.last_day:
        needs.update(("date", "relational"))
    return needs


def sieve_string(value, eol):
    """value as a Sieve string: quoted, or a "text:" multi-line string when it holds a line
    break (which a comment-held test could not hold, so tests never get one)."""
    if "\n" not in value and "\r" not in value:
        return tools.quote(value)
    lines = re.split(r"\r\n|\r|\n", value)
    stuffed = ["." + line if line.startswith(".") else line for line in lines]
    return "text:" + eol + eol.join(stuffed) + eol + "." + eol


def require_line(extensions):
    return "require [" + ",".join(tools.quote(name) for name in sorted(extensions)) + "];"


def _condition(condition):
    prefix = "not " if condition.negate else ""
    if condition.field == "size":
        return f"{prefix}size :{condition.op} {condition.value}"
    header = condition.header if condition.field == "header" else condition.field
    return (f"{prefix}header :{condition.op} {tools.quote(header)} "
            f"{tools.quote(condition.value)}")


def _test(match, tests):
    if len(tests) == 1:
        return tests[0]
    return ("allof" if match == "all" else "anyof") + " (" + ", ".join(tests) + ")"


def _if_line(enabled, test):
    if enabled:
        return "if " + test
    if "\n" in test or "\r" in test:
        raise ValueError("a disabled test must fit on its comment line")
    return "if false # " + test


def _action(action, eol):
    if action.kind in ("discard", "stop"):
        return action.kind
    if action.kind in _FLAG_OF:
        return "addflag " + tools.quote(_FLAG_OF[action.kind])
    return _COMMAND_OF[action.kind] + " " + sieve_string(action.value, eol)


def _block(name, if_line, actions, eol):
    body = "".join("\t" + action + ";" + eol for action in actions)
    name = re.sub(r"[\r\n]+", " ", name)
    return f"# rule:[{name}]{eol}{if_line}{eol}{{{eol}{body}}}"


def rule_text(rule, eol):
    """A rule as Roundcube writes it (validate_rule() first: conditions have no line
    break)."""
    test = _test(rule.match, [_condition(condition) for condition in rule.conditions])
    return _block(rule.name, _if_line(rule.enabled, test),
                  [_action(action, eol) for action in rule.actions], eol)


def vacation_text(vacation, name, eol):
    """The vacation block: its dates as currentdate tests (RFC 5260) in its zone, or "true"."""
    tests = []
    for relation, day in (("ge", vacation.first_day), ("le", vacation.last_day)):
        if day:
            tests.append(f"currentdate :zone {tools.quote(vacation.utc_offset)} :value "
                         f"{tools.quote(relation)} \"date\" {tools.quote(day.isoformat())}")
    test = _test("all", tests) if tests else "true"
    reply = f"vacation :days {int(vacation.days)}"
    if vacation.addresses:
        addresses = [tools.quote(address) for address in vacation.addresses]
        reply += " :addresses " + (addresses[0] if len(addresses) == 1 else
                                   "[" + ",".join(addresses) + "]")
    if vacation.subject:
        reply += " :subject " + tools.quote(vacation.subject)
    if vacation.sender:
        reply += " :from " + tools.quote(vacation.sender)
    reply += " " + sieve_string(vacation.message, eol)
    return _block(name, _if_line(vacation.enabled, test), [reply], eol)
