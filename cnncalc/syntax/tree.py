"""The syntax tree: what the user wrote, with positions, before any meaning is given to it.

Values stay unevaluated expressions here; `cnncalc.build` evaluates them and expands defs and
repeats into the IR.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple, Union

from ..errors import Source, Span


# --- values -----------------------------------------------------------------------------

class Num(NamedTuple):
    value: Union[int, Fraction]  # a Fraction only for decimals written with a point (rates)
    span: Span


class Name(NamedTuple):
    name: str
    span: Span


class BinOp(NamedTuple):
    op: str  # + - * / // %
    left: "Expr"
    right: "Expr"
    span: Span


class Neg(NamedTuple):
    operand: "Expr"
    span: Span


class PerAxis(NamedTuple):
    """`3x5`, `1x2`, `3xH`: one value per spatial axis (or per dimension of a shape)."""

    items: tuple["Expr", ...]
    span: Span


class Tuple(NamedTuple):
    """`(3, 3)` or `k3,3`: PyTorch's way to give one value per axis, which this language
    writes `3x3`. Kept so that `build`, which knows the option, can refuse it with the
    spelling to use (`write k3 or k=3x3`)."""

    items: tuple["Expr", ...]
    span: Span


Expr = Union[Num, Name, BinOp, Neg, PerAxis, Tuple]


# --- arguments --------------------------------------------------------------------------

class Bare(NamedTuple):
    """An argument written without `name=`: a positional value, a fused option (`k3`) or a
    flag (`nobias`); which one is for the layer's definition to say."""

    value: Expr
    span: Span


class Named(NamedTuple):
    name: str
    value: Expr
    span: Span
    name_span: Span


Arg = Union[Bare, Named]


# --- statements -------------------------------------------------------------------------

class Apply(NamedTuple):
    """`conv 64 k3 p1`, `basic(64)`, `stem`: a layer, or a call of a def — resolved later."""

    name: str
    args: tuple[Arg, ...]
    span: Span        # the whole statement, shown as its source text
    name_span: Span
    parens: bool      # written `name(...)`


class Group(NamedTuple):
    """`{ … }`, or `[ … ]` whose items are named by position (0, 1, …) as `nn.Sequential`
    numbers its children; a branch of a block may carry a label (`downsample: [ … ]`)."""

    body: tuple["Stmt", ...]
    span: Span
    label: str | None = None
    positional: bool = False


class Block(NamedTuple):
    """`residual {…} [shortcut {…}]`, `add`, `concat`, `mul`, `split` with their branches."""

    kind: str
    branches: tuple[Group, ...]
    shortcut: Group | None
    span: Span
    kind_span: Span


class Repeat(NamedTuple):
    body: "Stmt"
    count: Expr
    span: Span


class Labeled(NamedTuple):
    label: str
    body: "Stmt"
    span: Span


Stmt = Union[Apply, Group, Block, Repeat, Labeled]


class Param(NamedTuple):
    name: str
    default: Expr | None
    span: Span


class Def(NamedTuple):
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    span: Span       # the header `def name(...)`
    name_span: Span


class Input(NamedTuple):
    dims: tuple[Expr, ...]
    options: tuple[Named, ...]
    span: Span


class Assert(NamedTuple):
    """`assert params <= 25M`, `assert layer4.output == 2048x7x7`: a budget the spec states
    for itself; `gate.py` says what the quantity and the value may be."""

    what: str         # a quantity, or PATH.quantity
    op: str           # < <= == >= > !=
    value: str        # as written: 25M, 4.2G, 1e9, 2048x7x7
    span: Span        # the whole statement
    what_span: Span
    value_span: Span


class Spec(NamedTuple):
    source: Source
    defs: tuple[Def, ...]
    input: Input | None
    body: tuple[Stmt, ...]
    asserts: tuple[Assert, ...] = ()
