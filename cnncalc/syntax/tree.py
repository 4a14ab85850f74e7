"""The syntax tree: what the user wrote, with positions, before any meaning is given to it.

Values stay unevaluated expressions here; `cnncalc.build` evaluates them and expands defs and
repeats into the IR.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Union

from ..errors import Source, Span


# --- values -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Num:
    value: Union[int, Fraction]  # a Fraction only for decimals written with a point (rates)
    span: Span


@dataclass(frozen=True)
class Name:
    name: str
    span: Span


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * / // %
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(frozen=True)
class Neg:
    operand: "Expr"
    span: Span


@dataclass(frozen=True)
class PerAxis:
    """`3x5`, `1x2`, `3xH`: one value per spatial axis (or per dimension of a shape)."""

    items: tuple["Expr", ...]
    span: Span


Expr = Union[Num, Name, BinOp, Neg, PerAxis]


# --- arguments --------------------------------------------------------------------------

@dataclass(frozen=True)
class Bare:
    """An argument written without `name=`: a positional value, a fused option (`k3`) or a
    flag (`nobias`); which one is for the layer's definition to say."""

    value: Expr
    span: Span


@dataclass(frozen=True)
class Named:
    name: str
    value: Expr
    span: Span
    name_span: Span


Arg = Union[Bare, Named]


# --- statements -------------------------------------------------------------------------

@dataclass(frozen=True)
class Apply:
    """`conv 64 k3 p1`, `basic(64)`, `stem`: a layer, or a call of a def — resolved later."""

    name: str
    args: tuple[Arg, ...]
    span: Span        # the whole statement, shown as its source text
    name_span: Span
    parens: bool      # written `name(...)`


@dataclass(frozen=True)
class Group:
    body: tuple["Stmt", ...]
    span: Span


@dataclass(frozen=True)
class Block:
    """`residual {…} [shortcut {…}]`, `add`, `concat`, `mul`, `split` with their branches."""

    kind: str
    branches: tuple[Group, ...]
    shortcut: Group | None
    span: Span
    kind_span: Span


@dataclass(frozen=True)
class Repeat:
    body: "Stmt"
    count: Expr
    span: Span


@dataclass(frozen=True)
class Labeled:
    label: str
    body: "Stmt"
    span: Span


Stmt = Union[Apply, Group, Block, Repeat, Labeled]


@dataclass(frozen=True)
class Param:
    name: str
    default: Expr | None
    span: Span


@dataclass(frozen=True)
class Def:
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    span: Span       # the header `def name(...)`
    name_span: Span


@dataclass(frozen=True)
class Input:
    dims: tuple[Expr, ...]
    options: tuple[Named, ...]
    span: Span


@dataclass(frozen=True)
class Spec:
    source: Source
    defs: tuple[Def, ...]
    input: Input | None
    body: tuple[Stmt, ...]
