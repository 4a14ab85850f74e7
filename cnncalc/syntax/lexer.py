"""Tokens of the spec language.

A *word* is a run of letters, digits, `_`, `.` and `×`: `conv`, `64`, `k3x5`, `0.5`, `3x224x224`.
What a word means (a number, a name, a fused option, a shape) depends on where it stands, so
the parser decides that, not the lexer. The lexer does record whether white space came before
each token, because the language uses it: `4*c` is one value, `conv 64 k3 * 2` is a repeat.

Text typed with a Chinese or Japanese input method often holds full-width forms (`｜`, `，`,
`（3，3）`, `ｋ３`) and the ideographic space: each is read as the ASCII character it stands for,
one character for one, so every position still points into the text as written.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import CnnCalcError, Source, Span

WORD, OP, NEWLINE, EOF = "word", "op", "newline", "eof"

_TOKEN = re.compile(
    r"(?P<space>[ \t\f\v\r]+|\\\r?\n)"   # white space; a backslash joins lines
    r"|(?P<comment>\#[^\n]*)"
    r"|(?P<newline>\n|;)"  # `;` separates statements like a line break
    r"|(?P<word>[A-Za-z0-9_.×]+)"
    r"|(?P<op>//|<=|>=|==|!=|[<>]|[{}\[\]()|,=:*/%+\-])"  # comparisons: `assert`
)


# U+FF01..U+FF5E are the full-width forms of ASCII '!'..'~'; U+3000 is the ideographic space.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = ord(" ")


class Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int
    space_before: bool  # white space (or a line start) comes right before this token


def tokenize(source: Source) -> list[Token]:
    text = source.text.translate(_FULL_WIDTH)  # one character for one: positions hold
    tokens: list[Token] = []
    append = tokens.append
    pos, end, space, depth = 0, len(text), True, 0
    match = _TOKEN.match
    while pos < end:
        m = match(text, pos)
        if m is None:
            ch = source.text[pos]  # as written, not as read
            shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
            raise CnnCalcError(f"unexpected character {shown}", Span(source, pos, pos + 1))
        kind = m.lastgroup
        if kind == "space" or kind == "comment":
            space = True
        elif kind == "newline":
            if depth == 0:  # inside ( ) a line break is only white space
                append(Token(NEWLINE, m.group(), pos, pos + 1, space))
            space = True
        else:
            tok_text = m.group()
            if tok_text == "(":
                depth += 1
            elif tok_text == ")" and depth:
                depth -= 1
            append(Token(WORD if kind == "word" else OP, tok_text, pos, m.end(), space))
            space = False
        pos = m.end()
    tokens.append(Token(EOF, "", end, end, True))
    return tokens
