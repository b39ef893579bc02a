"""A Sieve script as Heron edits it: rules, the vacation reply and raw blocks, read from
the script's text and written back so that what was not changed keeps its exact bytes.

    script = parse(text)                  # never raises: what it cannot read is a RawBlock
    script = with_items(script, items)    # reordered, edited, added, removed rules
    text = render(script)                 # == text when nothing changed

An item (or the vacation) equal to one read keeps the text it was read from, comments and
blank lines before it included; a new or changed one is written in Roundcube's format
(writing.py). The require line is recomputed only when something changed: what the rules
and the vacation need, plus everything the script required before while raw blocks remain
(Heron cannot tell what a raw block needs). The vacation keeps its place, or comes first.
"""
from dataclasses import dataclass, field, replace

from . import writing
from .blocks import COMMENTS, cut
from .reading import read_require, read_rule, read_vacation, rule_name
from .rules import VACATION_NAME, RawBlock, Rule, Vacation
from .validation import max_script_bytes, validate_rule, validate_vacation

__all__ = ["Script", "parse", "render", "with_items", "with_vacation", "validate_rule",
           "validate_vacation"]


@dataclass(frozen=True)
class Layout:
    """How the parsed script was laid out, for render() to keep what did not change."""

    items: tuple = ()  # ((item, its text), ...) in script order
    vacation: Vacation | None = None  # as read
    vacation_text: str = ""
    vacation_name: str = VACATION_NAME
    vacation_at: int | None = None  # how many items came before the vacation
    required: tuple[str, ...] = ()  # what the require blocks asked for, in order
    require_text: str = ""  # the require blocks, exactly
    require_lead: str = ""  # the comments and blank lines before the first of them
    tail: str = ""  # what follows the last block: blank lines, comments
    eol: str = "\r\n"


@dataclass(frozen=True)
class Script:
    items: tuple[Rule | RawBlock, ...]  # in script order (the vacation block is not here)
    vacation: Vacation | None
    source: str  # the text parsed
    layout: Layout = field(default=Layout(), compare=False, repr=False)


def parse(text):
    """The script read from text. Never raises: a part it cannot read as a rule (another
    command, an unknown extension, a syntax error and all after it) is a RawBlock, and so
    is the whole of a script over HERON_SIEVE_MAX_BYTES (Heron could not save it back, and
    reading a megabyte of tiny commands takes seconds)."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > max_script_bytes():
        return Script((RawBlock(text),), None, text, Layout(items=((RawBlock(text), text),)))
    blocks, tail_at = cut(data)
    pieces: list[tuple[Rule | RawBlock, str]] = []  # (item, its text)
    vacation, vacation_text, vacation_name, vacation_at = None, "", VACATION_NAME, None
    required: list[str] = []
    require_texts: list[str] = []
    require_lead = None
    for block in blocks:
        piece = data[block.start:block.end].decode("utf-8", "surrogatepass")
        names = None if block.broken or pieces or vacation else read_require(block)
        if names is not None:
            required.extend(name for name in names if name not in required)
            if require_lead is None:
                require_lead = piece[:_chars(data, block.start, _first_command(block))]
            require_texts.append(piece)
            continue
        read = None if block.broken or vacation else read_vacation(block)
        if read is not None:
            vacation, vacation_text, vacation_at = read, piece, len(pieces)
            vacation_name = rule_name(block) or VACATION_NAME
            continue
        rule = None if block.broken else read_rule(block)
        if rule is None:
            pieces.append((RawBlock(piece), piece))
            continue
        # Comments before the "# rule:" line are not the rule's: they stay, raw, before it.
        lead = [token for token in block.tokens if token.start < _first_command(block)]
        if len(lead) > 1:
            before = piece[:_chars(data, block.start, lead[-1].start)]
            pieces.append((RawBlock(before), before))
            piece = piece[len(before):]
        pieces.append((rule, piece))
    layout = Layout(
        items=tuple(pieces), vacation=vacation, vacation_text=vacation_text,
        vacation_name=vacation_name, vacation_at=vacation_at, required=tuple(required),
        require_text="".join(require_texts), require_lead=require_lead or "",
        tail=data[tail_at:].decode("utf-8", "surrogatepass"),
        eol="\n" if text and "\r\n" not in text else "\r\n")
    return Script(tuple(item for item, _text in pieces), vacation, text, layout)


def _first_command(block):
    """The offset of the block's first token that is not a comment."""
    return next(token.start for token in block.tokens if token.kind not in COMMENTS)


def _chars(data, start, end):
    """How many characters the bytes data[start:end] are."""
    return len(data[start:end].decode("utf-8", "surrogatepass"))


def with_items(script, items):
    """The script with these items, in this order; those equal to items read keep their
    text when rendered."""
    return replace(script, items=tuple(items))


def with_vacation(script, vacation):
    """The script with this vacation (None: no vacation block at all)."""
    return replace(script, vacation=vacation)


def render(script):
    """The script's text: its source when nothing changed; else each item read and not
    changed as its exact text, new and changed ones in Roundcube's format."""
    layout = script.layout
    if (script.items == tuple(item for item, _text in layout.items)
            and script.vacation == layout.vacation):
        return script.source
    eol = layout.eol
    unused = list(layout.items)
    texts = []
    for item in script.items:
        texts.append(_text_of(item, unused, eol))
    if script.vacation is not None:
        if script.vacation == layout.vacation:
            text = layout.vacation_text
        else:
            text = writing.vacation_text(script.vacation, layout.vacation_name, eol)
        at = layout.vacation_at if layout.vacation_at is not None else 0
        texts.insert(min(at, len(texts)), text)
    pieces = [_require_piece(script, layout)] + texts
    # A new script ends with a line break; a script read keeps its own ending.
    pieces.append(layout.tail if script.source else eol)
    return _join([piece for piece in pieces if piece], eol)


def _text_of(item, unused, eol):
    for index, (read, text) in enumerate(unused):
        if read == item:
            del unused[index]
            return text
    if isinstance(item, RawBlock):
        return item.text
    return writing.rule_text(item, eol)


def required_now(script, layout):
    """The extensions the script needs as it is now (see the module's docstring)."""
    flags = writing.flags_extension(layout.required)
    needs = set()
    for item in script.items:
        if isinstance(item, Rule):
            needs |= writing.rule_needs(item, flags)
    if script.vacation is not None:
        needs |= writing.vacation_needs(script.vacation)
    if any(isinstance(item, RawBlock) for item in script.items):
        needs |= set(layout.required)
    return needs


def _require_piece(script, layout):
    needs = required_now(script, layout)
    if needs == set(layout.required) and layout.require_text:
        return layout.require_text
    return layout.require_lead + (writing.require_line(needs) if needs else "")


def _join(pieces, eol):
    """The pieces, each beginning a line."""
    out = ""
    for piece in pieces:
        if out and not out.endswith(("\n", "\r")) and not piece.startswith(("\n", "\r")):
            out += eol
        out += piece
    return out
