"""A Sieve script cut into its top-level blocks, with sievelib's lexer.

A block is one top-level command: from the end of the block before it (so with the blank
lines and comments before it: comments belong to the block that follows them) to its `;`,
or to the `}` that closes it — an `if` with its `elsif`/`else` branches is one block, and a
`require` is a block of its own. What cannot be read (a lexical error, a brace that never
closes) ends the cutting: the rest of the script is one last block, marked broken.
Offsets are of the script's UTF-8 bytes; a block is cut at a token's edge (an ASCII
character), so each piece decodes on its own.
"""
import re
from dataclasses import dataclass
from typing import NamedTuple

from sievelib.parser import Lexer, ParseError, Parser

COMMENTS = ("hash_comment", "bracket_comment")
# Where a multi-line string may end (sievelib's "multiline" token ends at such a line).
_TEXT_END = re.compile(rb"\r?\n\.\r?$", re.MULTILINE)


class Token(NamedTuple):  # a tuple: a 1 MB script has hundreds of thousands of them
    kind: str  # a name of sievelib's Parser.lrules: "identifier", "string", "semicolon"…
    value: bytes
    start: int
    end: int


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    tokens: tuple[Token, ...]  # comments included
    broken: bool = False  # the rest of a script that could not be cut

    def significant(self):
        return [token for token in self.tokens if token.kind not in COMMENTS]


class BoundedLexer(Lexer):
    """sievelib's lexer for its own token rules, in time linear in the script.

    sievelib's one regular expression tries a multi-line string ("text:") at every token
    that starts with "text:", and a failed try reads to the end of the script: a script of
    many "text:x" lines takes minutes. Where no multi-line string can end any more (past
    the last line holding only "."), this lexer tries the same rules without that one, so
    it yields exactly the tokens sievelib's would, each try reading at most to where a
    multi-line string ends."""

    def __init__(self):
        super().__init__(Parser.lrules)
        self.without_text = re.compile(b"|".join(
            b"(?P<%s>%s)" % (name, rule) for name, rule in Parser.lrules
            if name != b"multiline"), re.MULTILINE)

    def scan(self, text):
        ends = [found.start() for found in _TEXT_END.finditer(text)]
        last_end = ends[-1] if ends else -1
        self.pos = 0
        self.text = text
        while self.pos < len(text):
            space = self.wsregexp.match(text, self.pos)
            if space is not None:
                self.pos = space.end()
                continue
            rules = self.regexp if self.pos < last_end else self.without_text
            found = rules.match(text, self.pos)
            if found is None:
                raise ParseError("unknown token")
            name = found.lastgroup or ""
            yield (name, found.group(name))
            self.pos += len(found.group(0))


def tokens_of(data):
    """(the tokens of data, the offset where lexing failed or None)."""
    lexer = BoundedLexer()
    found = []
    try:
        for kind, value in lexer.scan(data):
            found.append(Token(kind, value, lexer.pos, lexer.pos + len(value)))
    except ParseError:
        return found, lexer.pos
    return found, None


def cut(data):
    """(the top-level blocks of data, the offset where the trailing text begins)."""
    tokens, failed_at = tokens_of(data)
    blocks = []
    start = 0  # where the current block begins
    first = 0  # index of its first token
    depth = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "left_cbracket":
            depth += 1
        elif token.kind == "right_cbracket":
            depth -= 1
            if depth < 0:
                break
        closes = ((token.kind == "semicolon" and depth == 0)
                  or (token.kind == "right_cbracket" and depth == 0
                      and not _branch_follows(tokens, index + 1)))
        if closes:
            blocks.append(Block(start, token.end, tuple(tokens[first:index + 1])))
            start, first = token.end, index + 1
        index += 1
    rest = tokens[first:]
    if failed_at is not None or depth != 0 or any(t.kind not in COMMENTS for t in rest):
        blocks.append(Block(start, len(data), tuple(rest), broken=True))
        return blocks, len(data)
    return blocks, start


def _branch_follows(tokens, index):
    """Whether the next token that is not a comment is an elsif or else."""
    for token in tokens[index:]:
        if token.kind in COMMENTS:
            continue
        return token.kind == "identifier" and token.value.lower() in (b"elsif", b"else")
    return False
