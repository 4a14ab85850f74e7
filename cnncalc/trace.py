"""Traced numbers: a value that remembers how it was computed (micrograd's `Value`, for
formulas instead of gradients).

`explain` runs a layer kind's own rules on traced inputs (the kernel is `F`, the stride `S`,
…), so the formula it prints, the numbers it substitutes and the result are the very
computation the analysis did — no second, hand-written copy of any formula.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any


class Traced:
    """`value` computed by `op` from `args`; a leaf has a `name` (F, S, P …). A leaf with
    `hide_one` (dilation, groups, padding) is left out of a formula where it changes nothing
    — a factor or divisor of 1, a term of 0 — as the course writes (N − F)/S + 1 rather than
    (N − D(F − 1) − 1 + 2P)/S + 1 for an unpadded, undilated convolution."""

    __slots__ = ("value", "op", "args", "name", "hide_one")

    def __init__(self, value, op: str = "leaf", args: tuple = (), name: str | None = None,
                 hide_one: bool = False):
        self.value, self.op, self.args, self.name, self.hide_one = value, op, args, name, hide_one

    def __repr__(self) -> str:
        return f"Traced({self.value!r}, {formula(self)!r})"

    # arithmetic builds the record; comparisons and truth answer with the value
    def __add__(self, o):
        return Traced(self.value + value_of(o), "+", (self, lift(o)))

    def __radd__(self, o):
        return Traced(value_of(o) + self.value, "+", (lift(o), self))

    def __sub__(self, o):
        return Traced(self.value - value_of(o), "-", (self, lift(o)))

    def __rsub__(self, o):
        return Traced(value_of(o) - self.value, "-", (lift(o), self))

    def __mul__(self, o):
        return Traced(self.value * value_of(o), "*", (self, lift(o)))

    def __rmul__(self, o):
        return Traced(value_of(o) * self.value, "*", (lift(o), self))

    def __neg__(self):
        return Traced(-self.value, "neg", (self,))

    def __eq__(self, o):
        return not isinstance(o, str) and self.value == value_of(o)

    def __hash__(self):
        return id(self)

    def __ge__(self, o):
        return self.value >= value_of(o)

    def __gt__(self, o):
        return self.value > value_of(o)

    def __le__(self, o):
        return self.value <= value_of(o)

    def __lt__(self, o):
        return self.value < value_of(o)

    def __bool__(self):
        return bool(self.value)


def value_of(v):
    return v.value if isinstance(v, Traced) else v


def lift(v) -> Traced:
    return v if isinstance(v, Traced) else Traced(v)


def apply(op: str, fn, *args) -> Traced:
    """`fn` (a `numbers` function) on the values, recorded as `op` over the arguments."""
    return Traced(fn(*(value_of(a) for a in args)), op, tuple(lift(a) for a in args))


def exact(t: Traced):
    """The value with every rounded division done exactly: 2.33 where PyTorch floors to 2."""
    from .numbers import exact_div

    if t.op == "leaf":
        return t.value
    a = [exact(x) for x in t.args]
    if t.op in ("floor/", "ceil/", "/"):
        return exact_div(a[0], a[1])
    if t.op == "+":
        return a[0] + a[1]
    if t.op == "-":
        return a[0] - a[1]
    if t.op == "*":
        return a[0] * a[1]
    if t.op == "neg":
        return -a[0]
    return t.value  # max, min, mod: their value as computed


# --- display -------------------------------------------------------------------------------

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "floor/": 2, "ceil/": 4, "mod": 2, "neg": 3,
         "max": 4, "min": 4, "leaf": 4}


def formula(t: Traced) -> str:
    """The formula with the leaves' names: (N − F + 2P)/S + 1."""
    return _text(_tidy(t), names=True)


def substituted(t: Traced) -> str:
    """The same formula with the numbers: (32 − 5 + 2·2)/1 + 1."""
    return _text(_tidy(t), names=False)


def one_step_on(t: Traced) -> str | None:
    """The substituted formula one step on: each operand of the outermost operation that is
    a computation of its own, replaced by its value — (5·5·3 + 1)·10 becomes 76·10, the
    course's "76 per filter, times 10". None when there is no such step."""
    t = _tidy(t)
    if t.op == "leaf" or all(a.op == "leaf" for a in t.args):
        return None
    args = tuple(a if a.op == "leaf" else Traced(a.value) for a in t.args)
    return _text(Traced(t.value, t.op, args), names=False)


def _is_one(t: Traced) -> bool:
    return t.op == "leaf" and t.hide_one and t.value == 1


def _is_nothing(t: Traced) -> bool:
    """A hidden leaf of 0, or a sum or product made only of them (2P with P = 0)."""
    if t.op == "leaf":
        return t.hide_one and t.value == 0
    return t.op in ("+", "*") and all(_is_nothing(a) or _is_const(a, 2) for a in t.args) \
        and any(_is_nothing(a) for a in t.args)


def _is_const(t: Traced, c) -> bool:
    return t.op == "leaf" and t.name is None and t.value == c


def _tidy(t: Traced) -> Traced:
    """The display rules: a hidden factor or divisor of 1 goes, (x − 1) + 1 is x, P + P is
    2P. They change how a formula reads, never its value."""
    if t.op == "leaf":
        return t
    args = tuple(_tidy(a) for a in t.args)
    if t.op == "*":
        if _is_one(args[0]):
            return args[1]
        if _is_one(args[1]):
            return args[0]
    if t.op in ("/", "floor/") and _is_one(args[1]):
        return args[0]
    if t.op in ("+", "-"):
        if _is_nothing(args[1]):
            return args[0]
        if t.op == "+" and _is_nothing(args[0]):
            return args[1]
    if t.op == "+":
        a, b = args
        if a.op == "-" and _is_const(a.args[1], 1) and _is_const(b, 1):
            return a.args[0]
        if a is b or (a.op == b.op == "leaf" and a.name and a.name == b.name):
            return Traced(t.value, "*", (Traced(2), a))
    return Traced(t.value, t.op, args, t.name)


def _leaf_text(t: Traced, names: bool) -> str:
    if names and t.name:
        return t.name
    from .numbers import _compound, decimal_text, show

    v = t.value
    if isinstance(v, Fraction) and v.denominator != 1:
        return decimal_text(v, "g")
    text = show(v)
    return f"({text})" if _compound(text) else text  # a size ⌈H/2⌉ − 1 in a product


def _text(t: Traced, names: bool) -> str:
    op = t.op
    if op == "leaf":
        return _leaf_text(t, names)
    if op == "neg":
        return "−" + _wrap(t.args[0], 3, names)
    a, b = t.args[0], t.args[-1]
    if op == "+":
        right = _text(b, names)
        if right.startswith("−"):
            return f"{_text(a, names)} − {right[1:]}"
        return f"{_text(a, names)} + {right}"
    if op == "-":
        return f"{_text(a, names)} − {_wrap(b, 2, names)}"
    if op == "*":
        left, right = _wrap(a, 2, names), _wrap(b, 2, names)
        # 2P as the course writes it; 2·2 when the numbers are substituted
        if names and a.op == "leaf" and a.name is None and b.op == "leaf" and b.name:
            return f"{left}{right}"
        return f"{left}·{right}"
    if op in ("/", "floor/"):
        return f"{_wrap(a, 4, names)}/{_wrap(b, 4, names)}"
    if op == "ceil/":
        return f"⌈{_wrap(a, 4, names)}/{_wrap(b, 4, names)}⌉"
    if op == "mod":
        return f"{_wrap(a, 3, names)} mod {_wrap(b, 3, names)}"
    if op in ("max", "min"):
        return f"{op}({_text(a, names)}, {_text(b, names)})"
    return _leaf_text(t, names)


def _wrap(t: Traced, level: int, names: bool) -> str:
    text = _text(t, names)
    prec = _PREC.get(t.op, 4)
    if t.op == "*" and names and _text(t, names).isalnum():
        prec = 4  # 2P binds like a name
    return f"({text})" if prec < level else text


def worked(fn, *leaves) -> tuple[str, Any]:
    """`fn` (a formula) on `leaves` (numbers, or Traced leaves to hide), as the numbers
    substituted and the exact value: ("(7 − 3)/3 + 1", 7/3). Warnings and errors quote a
    formula this way, so their text is the formula's own."""
    t = fn(*(lift(v) for v in leaves))
    return substituted(t), exact(t)


def hidden(value) -> Traced:
    """A leaf left out where it changes nothing (padding 0, dilation 1)."""
    return Traced(value_of(value), hide_one=True)
