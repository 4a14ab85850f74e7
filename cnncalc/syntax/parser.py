"""Recursive-descent parser: tokens to a `tree.Spec`.

Grammar (informally; `|` and new lines separate statements):

    spec      := (def | input | assert | statement)*
    assert    := 'assert' QUANTITY ('<' | '<=' | '==' | '>=' | '>' | '!=') VALUE
    def       := 'def' NAME ['(' [param (',' param)*] ')'] '{' statement* '}'
    input     := 'input' shape (NAME '=' value)*
    statement := [LABEL ':'] primary ('*' value)*
    primary   := group | BLOCK branch+ ['shortcut' branch] | NAME ['(' args ')' | arg*]
    group     := '{' statement* '}' | '[' statement* ']'     ([ ] numbers its items 0, 1, …)
    branch    := [LABEL ':'] group
    LABEL     := NAME | a whole number
    value     := expression written without spaces, or anything inside ( )

Keywords (`input`, `def`, the block kinds, `shortcut`) are read in any case (`Input`,
`Residual`); names (labels, defs, parameters, symbols) keep theirs. Layer kinds and options are
matched in any case by `build`, which knows them.

Nesting (braces and parentheses) is capped at MAX_NESTING so that no input can exhaust
Python's stack; real networks nest a handful of levels.
"""

from __future__ import annotations

import re

from ..errors import CnnCalcError, Source, Span
from ..numbers import literal
from . import tree as t
from .lexer import EOF, NEWLINE, OP, WORD, Token, tokenize

MAX_NESTING = 100
BLOCK_KINDS = ("residual", "add", "concat", "mul", "split")
MULTI_BRANCH = ("add", "concat", "mul", "split")
COMPARISONS = ("<", "<=", "==", ">=", ">", "!=")

_INT = re.compile(r"[0-9]+\Z")
_DECIMAL = re.compile(r"(?:[0-9]+\.[0-9]*|\.[0-9]+)\Z")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LABEL = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+)\Z")  # layer2, or 0 as nn.Sequential
_AXIS_SEP = re.compile(r"[x×]")
_NUMBERS_ONLY = re.compile(r"[0-9]+(?:[xX×][0-9]+)+\Z")  # 3X32X32: a capital X between numbers
_SHAPE_WORD = re.compile(r"[0-9][0-9xX×]*\Z")  # 32, 1x4, 3X32: what begins a shape


def parse(source: Source) -> t.Spec:
    if source.text.startswith("\ufeff"):  # a byte-order mark, as a file's is dropped on reading
        source = Source(source.name, source.text[1:])
    return _Parser(source).spec()


def keyword_of(tok: Token) -> str:
    """A word as a keyword: keywords are read in any case (`Input`, `Residual`)."""
    return tok.text.lower() if tok.kind == WORD else ""


def axis_split(text: str) -> list[str]:
    """`3x224x224`, `CxHxW`, `32×32×3` into their parts; in a word of numbers only a capital
    X separates too (`3X32X32`, as course notes write it), elsewhere it is a letter of a name."""
    if _NUMBERS_ONLY.match(text):
        return re.split("[xX×]", text)
    return _AXIS_SEP.split(text)


def parse_input_override(source: Source) -> t.Input:
    """The shape given with --input: `3x320x320`, optionally with layout= / batch=."""
    p = _Parser(source)
    first = p.peek()
    # `--input "input 3x8x8"`, as the spec's own line is written: the keyword is read past
    written = first.kind == WORD and first.text.lower() == "input" and \
        p.peek(1).kind == WORD and p.peek(1).start > first.end
    inp = p.input(keyword=written)
    if p.peek().kind != EOF:
        raise p.error(f"unexpected {p.describe(p.peek())} after the shape", p.peek())
    return inp


class _Parser:
    def __init__(self, source: Source):
        self.source = source
        self.toks = tokenize(source)
        self.toks.extend([self.toks[-1]] * 3)  # lookahead past the end finds EOF
        self.i = 0
        self.depth = 0

    # --- token helpers --------------------------------------------------------------------

    def peek(self, k: int = 0) -> Token:
        return self.toks[self.i + k]

    def advance(self) -> Token:
        tok = self.toks[self.i]
        if tok.kind != EOF:
            self.i += 1
        return tok

    def span(self, first: Token, last: Token | None = None) -> Span:
        last = last or first
        return Span(self.source, first.start, last.end)

    def prev(self) -> Token:
        return self.toks[self.i - 1]

    @staticmethod
    def is_op(tok: Token, text: str) -> bool:
        return tok.kind == OP and tok.text == text

    def error(self, message: str, tok: Token) -> CnnCalcError:
        return CnnCalcError(message, self.span(tok))

    def describe(self, tok: Token) -> str:
        if tok.kind == EOF:
            return "the end of the spec"
        if tok.kind == NEWLINE:
            return "the end of the line"
        return f"'{tok.text}'"

    def expect_op(self, text: str, what: str) -> Token:
        tok = self.peek()
        if not self.is_op(tok, text):
            raise self.error(f"expected '{text}' {what}, found {self.describe(tok)}", tok)
        return self.advance()

    def enter(self, tok: Token) -> None:
        """One level deeper in the tree: braces, parentheses, and also each operator, minus,
        label and repeat of a chain (each nests the tree one level)."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"nesting is deeper than {MAX_NESTING} levels (braces, "
                             "parentheses, operators, labels or repeats)", tok)

    def skip_newlines(self) -> None:
        while self.peek().kind == NEWLINE:
            self.advance()

    def skip_separators(self) -> None:
        while self.peek().kind == NEWLINE or self.is_op(self.peek(), "|"):
            self.advance()

    def end_statement(self, closing: str | None) -> None:
        """After a statement: a separator, the end of the text, or the closing brace."""
        tok = self.peek()
        if tok.kind == NEWLINE or self.is_op(tok, "|"):
            self.skip_separators()
        elif tok.kind == EOF and closing is None:
            pass
        elif closing and self.is_op(tok, closing):
            pass
        else:
            raise self.error(f"expected '|' or a new line before {self.describe(tok)}", tok)

    def label_token(self) -> Token:
        tok = self.peek()
        if tok.kind != WORD or not _LABEL.match(tok.text):
            raise self.error(f"a label is a name or a whole number (layer1, 0), not "
                             f"{self.describe(tok)}", tok)
        return self.advance()

    def name_token(self, what: str) -> Token:
        tok = self.peek()
        if tok.kind != WORD or not _IDENT.match(tok.text):
            raise self.error(f"expected {what}, found {self.describe(tok)}", tok)
        return self.advance()

    # --- top level ------------------------------------------------------------------------

    def spec(self) -> t.Spec:
        defs: list[t.Def] = []
        body: list[t.Stmt] = []
        inp: t.Input | None = None
        asserts: list[t.Assert] = []
        self.skip_separators()
        while self.peek().kind != EOF:
            tok = self.peek()
            if keyword_of(tok) == "def":
                defs.append(self.define())
            elif keyword_of(tok) == "input" and not self.is_op(self.peek(1), ":"):
                if inp is not None:
                    raise self.error("a spec has one input; this is a second", tok)
                if body:
                    raise self.error("the input must come before the layers", tok)
                inp = self.input()
            elif keyword_of(tok) == "assert" and not self.is_op(self.peek(1), ":"):
                asserts.append(self.assertion())
            else:
                body.append(self.statement())
            self.end_statement(None)
        return t.Spec(self.source, tuple(defs), inp, tuple(body), tuple(asserts))

    def assertion(self) -> t.Assert:
        kw = self.advance()
        what = self.peek()
        if what.kind != WORD:
            raise self.error(f"expected what to assert (params, macs, flops, memory, output, "
                             f"rf, or PATH.output), found {self.describe(what)}", what)
        self.advance()
        op = self.peek()
        if op.kind != OP or op.text not in COMPARISONS:
            hint = " (write == to compare)" if self.is_op(op, "=") else ""
            raise self.error(f"expected a comparison (<, <=, ==, >=, >, !=) after "
                             f"'{what.text}', found {self.describe(op)}{hint}", op)
        self.advance()
        value = self.peek()
        if value.kind != WORD:
            raise self.error(f"expected a value such as 25M, 4.2G or 2048x7x7 after "
                             f"'{op.text}', found {self.describe(value)}", value)
        self.advance()
        return t.Assert(what.text, op.text, value.text, self.span(kw, value),
                        self.span(what), self.span(value))

    def define(self) -> t.Def:
        kw = self.advance()
        name = self.name_token("a name after 'def'")
        params: list[t.Param] = []
        if self.is_op(self.peek(), "("):
            self.advance()
            while not self.is_op(self.peek(), ")"):
                p = self.name_token("a parameter name")
                default = None
                if self.is_op(self.peek(), "="):
                    self.advance()
                    depth = self.depth
                    default = self.expr(tight=False)
                    self.depth = depth
                if any(q.name == p.text for q in params):
                    raise self.error(f"parameter '{p.text}' is listed twice", p)
                params.append(t.Param(p.text, default, self.span(p, self.prev())))
                if not self.is_op(self.peek(), ","):
                    break
                self.advance()
            self.expect_op(")", "to close the parameter list")
        header = self.span(kw, self.prev())
        self.skip_newlines()
        if not self.is_op(self.peek(), "{"):
            raise self.error(f"expected '{{' to open the body of '{name.text}', found "
                             f"{self.describe(self.peek())}", self.peek())
        body = self.group()
        return t.Def(name.text, tuple(params), body.body, header, self.span(name))

    def input(self, keyword: bool = True) -> t.Input:
        kw = self.advance() if keyword else self.peek()
        items: list = []  # tokens (words) or parenthesised expressions
        while True:
            tok = self.peek()
            if tok.kind == WORD and not self.is_op(self.peek(1), "="):
                items.append(self.advance())
            elif self.is_op(tok, "("):
                depth = self.depth
                items.append(self.atom(tight=True))
                self.depth = depth
                after = self.peek()
                if after.kind == WORD and after.start == self.prev().end and \
                        after.text[:1] in "xX×":
                    rest = ", ".join(axis_split(after.text[1:])) or "…"
                    raise self.error(f"after a size in parentheses, separate the sizes with "
                                     f"commas: input {items[-1].span.text}, {rest}", after)
            else:
                raise self.error(f"expected a shape such as 3x224x224 after 'input', found "
                                 f"{self.describe(tok)}", tok)
            if not self.is_op(self.peek(), ","):
                break
            self.advance()
        if len(items) == 1 and isinstance(items[0], Token):
            self.shape_hints(items[0], "input " if keyword else "")
        dims: list[t.Expr] = []
        for item in items:
            if not isinstance(item, Token):
                dims.append(item)
            elif len(items) == 1:  # 3x224x224: split at x
                dims.extend(self.shape_parts(item))
            else:  # 3,H,max_len: commas separate, so a name may hold an x
                value = self.word_value(item)
                if isinstance(value, t.PerAxis):
                    raise CnnCalcError(f"'{item.text}' is several sizes, but commas already "
                                       f"separate this shape's sizes: write it with x "
                                       f"throughout or with commas throughout "
                                       f"({', '.join(axis_split(item.text))}, …)",
                                       value.span)
                dims.append(value)
        options = []
        while self.peek().kind == WORD and self.is_op(self.peek(1), "="):
            option = self.named()
            if any(o.name.lower() == option.name.lower() for o in options):
                raise CnnCalcError(f"'{option.name}' is given twice", option.name_span)
            options.append(option)
        return t.Input(tuple(dims), tuple(options), self.span(kw, self.prev()))

    def shape_hints(self, first: Token, prefix: str) -> None:
        """A shape written as course notes and hurried typing do, refused with the fix:
        `1x4*4` (a product where a size is meant), `32 x 32 x 3` or `32 32 3` (spaces)."""
        tok = self.peek()

        def product_next() -> bool:
            star, word = self.peek(), self.peek(1)
            return (self.is_op(star, "*") and not star.space_before and word.kind == WORD
                    and not word.space_before and bool(_INT.match(word.text)))

        if _SHAPE_WORD.match(first.text) and product_next():
            text = first.text
            while product_next():
                self.advance()
                text += "x" + self.advance().text
            raise self.error(f"in a shape 'x' separates the sizes ('*' multiplies): write "
                             f"{prefix}{text}", tok)
        words, sep = [first.text], False
        while True:
            nxt = self.peek()
            if nxt.kind != WORD or not nxt.space_before or self.is_op(self.peek(1), "="):
                break
            if nxt.text in ("x", "X", "×") and self.peek(1).kind == WORD:
                sep = True
            elif sep or _SHAPE_WORD.match(nxt.text):
                words.append(nxt.text)
                sep = False
            else:
                break
            self.advance()
        if len(words) > 1:
            raise self.error(f"a shape is written without spaces: write "
                             f"{prefix}{'x'.join(words)}", tok)

    def shape_parts(self, tok: Token) -> list[t.Expr]:
        """`3x224x224`, `CxHxW`, `32×32×3`: one value per dimension."""
        parts, pos = [], tok.start
        for piece in axis_split(tok.text):
            span = Span(self.source, pos, pos + len(piece))
            if _INT.match(piece):
                parts.append(t.Num(self._int(piece, span), span))
            elif _IDENT.match(piece):
                parts.append(t.Name(piece, span))
            else:
                hint = ""
                nxt = self.toks[self.toks.index(tok) + 1] if tok in self.toks else None
                if tok.text[-1:] in "xX×" and nxt is not None and self.is_op(nxt, "(") and \
                        nxt.start == tok.end:  # 1x(1+1)
                    hint = (f": with a size in parentheses, separate the sizes with commas "
                            f"(input {', '.join(p for p in axis_split(tok.text) if p)}, (…))")
                raise CnnCalcError(f"cannot read '{piece or tok.text}' as a dimension of a "
                                   f"shape{hint}", span if piece else self.span(tok))
            pos += len(piece) + 1
        return parts

    # --- statements -----------------------------------------------------------------------

    def statement(self) -> t.Stmt:
        depth = self.depth
        tok = self.peek()
        if tok.kind == WORD and self.is_op(self.peek(1), ":"):
            label = self.label_token()
            colon = self.advance()
            shape = self.peek()
            if keyword_of(label) == "input" and shape.kind == WORD \
                    and _SHAPE_WORD.match(shape.text) and not self.is_op(self.peek(1), ":"):
                raise self.error(f"'input' takes its shape without ':': write input "
                                 f"{shape.text}", colon)
            self.enter(label)
            inner = self.statement()
            self.depth = depth
            return t.Labeled(label.text, inner, self.span(label, self.prev()))
        start = tok
        stmt = self.primary()
        while self.is_op(self.peek(), "*"):
            self.enter(self.advance())
            count = self.value()
            stmt = t.Repeat(stmt, count, self.span(start, self.prev()))
        self.depth = depth
        return stmt

    def primary(self) -> t.Stmt:
        tok = self.peek()
        if self.is_op(tok, "{") or self.is_op(tok, "["):
            return self.group()
        word = keyword_of(tok)
        if word in BLOCK_KINDS:
            return self.block()
        if word in ("def", "input", "assert"):
            where = {"def": "at the top level", "input": "once, before the layers",
                     "assert": "at the top level, outside defs and groups"}[word]
            raise self.error(f"'{tok.text}' may only appear {where}", tok)
        if word == "shortcut":
            raise self.error("'shortcut' must follow a 'residual { … }' block", tok)
        if tok.kind == WORD and _IDENT.match(tok.text):
            return self.apply()
        raise self.error(f"expected a layer, found {self.describe(tok)}", tok)

    def group(self, label: str | None = None) -> t.Group:
        open_ = self.advance()
        closing = "]" if open_.text == "[" else "}"
        self.enter(open_)
        body: list[t.Stmt] = []
        self.skip_separators()
        while not self.is_op(self.peek(), closing):
            if self.peek().kind == EOF:
                raise self.error(f"this '{open_.text}' is never closed", open_)
            body.append(self.statement())
            if self.peek().kind == EOF:
                raise self.error(f"this '{open_.text}' is never closed", open_)
            self.end_statement(closing)
        close = self.advance()
        self.depth -= 1
        return t.Group(tuple(body), self.span(open_, close), label, closing == "]")

    def branch(self) -> t.Group:
        """A block's branch: `{ … }` or `[ … ]`, with an optional label (`downsample: [ … ]`)."""
        label = None
        if self.peek().kind == WORD:
            label = self.label_token().text
            self.expect_op(":", "after the branch's label")
        if not (self.is_op(self.peek(), "{") or self.is_op(self.peek(), "[")):
            raise self.error(f"expected '{{' or '[' for a branch, found "
                             f"{self.describe(self.peek())}", self.peek())
        return self.group(label)

    def next_is_brace(self, allow_newlines: bool) -> bool:
        """A branch comes next: `{`, `[`, or a label and ':' before one."""
        j = self.i
        while allow_newlines and self.toks[j].kind == NEWLINE:
            j += 1
        return self.next_is_brace_at(j)

    def next_is_brace_at(self, j: int) -> bool:
        tok = self.toks[j]
        if tok.kind == WORD and self.is_op(self.toks[j + 1], ":"):
            tok = self.toks[j + 2]
        return self.is_op(tok, "{") or self.is_op(tok, "[")

    def block(self) -> t.Block:
        kw = self.advance()
        kind = kw.text.lower()
        branches: list[t.Group] = []
        multi = kind in MULTI_BRANCH
        while self.next_is_brace(allow_newlines=multi and bool(branches)):
            self.skip_newlines()
            branches.append(self.branch())
            if not multi:
                break
        if not branches:
            raise self.error(f"expected '{{' after '{kw.text}', found "
                             f"{self.describe(self.peek())}", self.peek())
        if multi and len(branches) < 2:
            raise self.error(f"'{kw.text}' needs at least two branches, each in {{ }} "
                             "(an empty {} is the identity)", kw)
        shortcut = None
        j = self.i
        while self.toks[j].kind == NEWLINE:
            j += 1
        if keyword_of(self.toks[j]) == "shortcut":
            sc = self.toks[j]
            if kind != "residual":
                raise self.error("'shortcut' belongs to 'residual' blocks only", sc)
            self.i = j + 1
            if not self.next_is_brace(allow_newlines=False):
                raise self.error("expected '{' after 'shortcut'", self.peek())
            shortcut = self.branch()
        elif kind == "residual" and self.next_is_brace(allow_newlines=False):
            raise self.error("'residual' takes one branch, added to its input (or to a "
                             "'shortcut { … }' branch): for two branches added, write "
                             "add { … } { … }", self.peek())
        return t.Block(kind, tuple(branches), shortcut, self.span(kw, self.prev()),
                       self.span(kw))

    def apply(self) -> t.Apply:
        name = self.advance()
        args: list[t.Arg] = []
        paren = self.peek()
        if self.is_op(paren, "(") and not paren.space_before:
            self.advance()
            self.enter(paren)
            while not self.is_op(self.peek(), ")"):
                if self.peek().kind == WORD and self.is_op(self.peek(1), "="):
                    args.append(self.named(tight=False))
                else:
                    first = self.peek()
                    value = self.expr(tight=False)
                    args.append(t.Bare(value, self.span(first, self.prev())))
                if not self.is_op(self.peek(), ","):
                    break
                self.advance()
            self.expect_op(")", f"to close the arguments of '{name.text}'")
            self.depth -= 1
            return t.Apply(name.text, tuple(args), self.span(name, self.prev()),
                           self.span(name), True)
        while True:
            tok = self.peek()
            if tok.kind in (NEWLINE, EOF) or self.is_op(tok, "|") or self.is_op(tok, "}") \
                    or self.is_op(tok, "]"):
                break
            if self.is_op(tok, "*") and (tok.space_before or not args):
                break  # a repeat
            if keyword_of(tok) in BLOCK_KINDS and self.next_is_brace_at(self.i + 1):
                raise self.error(f"'{tok.text}' is a block: put '|' or a new line before it",
                                 tok)
            if tok.kind == WORD and self.is_op(self.peek(1), "=") and not self.peek(1).space_before:
                args.append(self.named())
            elif tok.kind == WORD or self.is_op(tok, "(") or self.is_op(tok, "-"):
                args.append(t.Bare(self.value(), self.span(tok, self.prev())))
            elif self.is_op(tok, ",") and args and self.value_follows(1):
                args.append(self.comma_values(args.pop()))
            elif self.is_op(tok, "{") or self.is_op(tok, "["):
                raise self.error(f"unexpected '{tok.text}' in '{name.text}': put '|' or a new "
                                 f"line before a group", tok)
            else:
                raise self.error(f"unexpected {self.describe(tok)} in '{name.text}'", tok)
        last = self.prev()
        return t.Apply(name.text, tuple(args), self.span(name, last), self.span(name), False)

    def value_follows(self, k: int) -> bool:
        tok = self.peek(k)
        return tok.kind == WORD or self.is_op(tok, "(") or self.is_op(tok, "-")

    def comma_values(self, last: t.Arg) -> t.Arg:
        """`k3,3` or `s=2,2`: values separated by commas, PyTorch's per-axis tuple without
        its parentheses; kept as a `Tuple` for `build` to refuse with the spelling to use."""
        items = [last.value]
        while self.is_op(self.peek(), ",") and self.value_follows(1):
            self.advance()
            items.append(self.value())
        value = t.Tuple(tuple(items), last.value.span.to(self.span(self.prev())))
        if isinstance(last, t.Named):
            return last._replace(value=value, span=last.span.to(value.span))
        return t.Bare(value, last.span.to(value.span))

    def named(self, tight: bool = True) -> t.Named:
        name = self.name_token("an option name")
        self.advance()  # '='
        if tight and self.peek().space_before:
            raise self.error(f"write '{name.text}=value' without spaces", self.peek())
        value = self.expr(tight)
        return t.Named(name.text, value, self.span(name, self.prev()), self.span(name))

    # --- values ---------------------------------------------------------------------------

    def value(self) -> t.Expr:
        return self.expr(tight=True)

    def expr(self, tight: bool) -> t.Expr:
        """`tight`: outside parentheses an operator must touch both operands (`4*c`), so
        that `conv 64 k3 * 2` stays a repeat."""
        left = self.term(tight)
        while self.peek().kind == OP and self.peek().text in "+-" and self.binary_ok(tight):
            op = self.advance()
            self.enter(op)
            right = self.operand(tight, op, self.term)
            left = t.BinOp(op.text, left, right, left.span.to(right.span))
        return left

    def term(self, tight: bool) -> t.Expr:
        left = self.unary(tight)
        while (self.peek().kind == OP and self.peek().text in ("*", "/", "//", "%")
               and self.binary_ok(tight)):
            op = self.advance()
            self.enter(op)
            right = self.operand(tight, op, self.unary)
            left = t.BinOp(op.text, left, right, left.span.to(right.span))
        return left

    def binary_ok(self, tight: bool) -> bool:
        return not (tight and self.peek().space_before)

    def operand(self, tight: bool, op: Token, parse) -> t.Expr:
        if tight and self.peek().space_before:
            raise self.error(f"a value is written without spaces (or inside parentheses): "
                             f"nothing may follow '{op.text}' after a space", op)
        return parse(tight)

    def unary(self, tight: bool) -> t.Expr:
        tok = self.peek()
        if self.is_op(tok, "-"):
            self.advance()
            self.enter(tok)
            operand = self.operand(tight, tok, self.unary)
            return t.Neg(operand, self.span(tok).to(operand.span))
        return self.atom(tight)

    def atom(self, tight: bool) -> t.Expr:
        tok = self.peek()
        if self.is_op(tok, "("):
            self.advance()
            self.enter(tok)
            inner = self.expr(tight=False)
            items = [inner]
            while self.is_op(self.peek(), ","):  # (3, 3): refused by build, with the fix
                self.advance()
                items.append(self.expr(tight=False))
            close = self.expect_op(")", "to close the parenthesis")
            self.depth -= 1
            if len(items) > 1:
                return t.Tuple(tuple(items), self.span(tok, close))
            return _with_span(inner, self.span(tok, close))
        if tok.kind == WORD:
            self.advance()
            return self.word_value(tok)
        raise self.error(f"expected a value, found {self.describe(tok)}", tok)

    def word_value(self, tok: Token) -> t.Expr:
        text, span = tok.text, self.span(tok)
        if _INT.match(text):
            return t.Num(self._int(text, span), span)
        if _DECIMAL.match(text):
            return t.Num(literal(text, span), span)
        if _IDENT.match(text):
            return t.Name(text, span)
        pieces = axis_split(text)
        if len(pieces) > 1 and all(_INT.match(p) or _IDENT.match(p) for p in pieces):
            return t.PerAxis(tuple(self.shape_parts(tok)), span)
        raise CnnCalcError(f"cannot read '{text}' as a value", span)

    @staticmethod
    def _int(text: str, span: Span) -> int:
        return literal(text, span)


def _with_span(expr: t.Expr, span: Span) -> t.Expr:
    """A parenthesised value keeps the parentheses in its span (for carets)."""
    return expr._replace(span=span)
