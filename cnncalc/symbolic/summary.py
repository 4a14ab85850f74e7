"""What a symbolic spec tells about its inputs: its conditions, written simply and without
repeats; the input sizes at which every stride tiles exactly; and the smallest valid input.

The analysis keeps every check it could not decide as a `numbers.Condition`; many say the
same thing more or less strongly (AlexNet's layers need H ≥ 7, H ≥ 15, … H ≥ 63), so a bound
on one symbol keeps only its strongest form, where it arose.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sympy

from ..numbers import is_concrete, plain
from .normal import is_whole
from .decide import Bound, Congruence, combine_congruences, decide, normalize, smallest
from .printer import congruence_text, to_text


class Stated(NamedTuple):
    """One line of the report: `text` as a person reads it, `expr` as sympy parses it."""

    text: str
    expr: str
    path: tuple
    line: int | None


class Summary(NamedTuple):
    conditions: tuple[Stated, ...]
    exact_when: tuple[Stated, ...]    # per symbol: when every strided layer tiles exactly
    min_input: tuple | None            # the smallest valid input shape, if it can be told


def summarize(conditions, tilings, symbols, input_shape) -> Summary:
    order = tuple(s.name for s in symbols)
    return Summary(_conditions(conditions, order), _exact_when(tilings, order),
                   _min_input(conditions, input_shape))


def _simple(pred):
    """The single-symbol form of `pred` (a bound or a congruence), or None."""
    if len(pred.free_symbols) != 1:
        return None
    return normalize(pred)


def _canonical(pred):
    """An inequality as `e ≥ 0`, a floor of it opened and a positive denominator multiplied
    out, so that checks saying the same thing compare equal: a conv's output is at least 1,
    ⌊(H − F + 2P)/S⌋ + 1 ≥ 1, exactly when its kernel fits, H − F + 2P ≥ 0."""
    if isinstance(pred, (sympy.GreaterThan, sympy.StrictGreaterThan)):
        e, strict = pred.lhs - pred.rhs, isinstance(pred, sympy.StrictGreaterThan)
    elif isinstance(pred, (sympy.LessThan, sympy.StrictLessThan)):
        e, strict = pred.rhs - pred.lhs, isinstance(pred, sympy.StrictLessThan)
    else:
        return pred
    if strict and is_whole(e):  # e > 0 is e - 1 ≥ 0 for integers
        e, strict = e - 1, False
    floors = [t for t in sympy.Add.make_args(e) if isinstance(t, sympy.floor)]
    if len(floors) == 1 and is_whole(e - floors[0]):
        e = e - floors[0] + floors[0].args[0]  # ⌊u⌋ + c ≥ 0 ⇔ u + c ≥ 0, for an integer c
    num, den = e.as_numer_denom()
    if den.is_positive:
        e = num
    return e > 0 if strict else e >= 0


def _conditions(conditions, order) -> tuple[Stated, ...]:
    kept: dict[Any, tuple] = {}   # key -> (condition, its simple form), first seen first
    for c in conditions:
        c = c._replace(pred=_canonical(c.pred))
        if c.pred is sympy.true:
            continue
        simple = _simple(c.pred)
        if isinstance(simple, Bound):
            key = (simple.sym, simple.op)
            old = kept.get(key)
            if old is None or _stronger(simple, old[1]):
                kept.pop(key, None)  # the stronger bound is listed where it arose
                kept[key] = (c, simple)
        else:
            key = simple if simple is not None else c.pred
            kept.setdefault(key, (c, simple))
    out = []
    for c, simple in kept.values():
        pred = simple.as_sympy() if simple is not None else c.pred
        if isinstance(simple, Congruence):
            text = congruence_text(simple.sym.name, simple.modulus, simple.residues)
            expr = congruence_text(simple.sym.name, simple.modulus, simple.residues,
                                   unicode=False)
        else:
            text, expr = to_text(pred, order), to_text(pred, order, unicode=False)
        out.append(Stated(text, expr, c.path, c.span.line if c.span is not None else None))
    return tuple(out)


def _stronger(new: Bound, old: Bound) -> bool:
    return new.value > old.value if new.op in (">=", ">") else new.value < old.value


def _exact_when(tilings, order) -> tuple[Stated, ...]:
    by_symbol: dict[Any, list] = {}
    others = []
    out = []
    for t in tilings:
        if decide(t.pred) is False:  # e.g. stride 2 on 2H + 1: it leaves a row at any size
            out.append(Stated(f"never: the stride of line {t.span.line} leaves pixels unused",
                              "False", t.path, t.span.line))
            continue
        free = t.pred.free_symbols
        if len(free) == 1:
            by_symbol.setdefault(next(iter(free)), []).append(t)
        else:
            others.append(t)
    for sym, items in by_symbol.items():
        found = combine_congruences(sym, [t.pred for t in items])
        first = items[0]
        line = first.span.line if first.span is not None else None
        if found is None:
            others.extend(items)
        elif not found.residues:
            out.append(Stated(f"never: no {sym.name} suits every stride", "False",
                              first.path, line))
        else:
            out.append(Stated(congruence_text(sym.name, found.modulus, found.residues),
                              congruence_text(sym.name, found.modulus, found.residues,
                                              unicode=False), first.path, line))
    for t in others:  # written as the course does: (H − F + 2P) mod S = 0
        # unevaluated: sympy 1.14 settles Mod(Max(4, 2*H), 6) as 0 (see normal.is_whole)
        pred = sympy.Eq(sympy.Mod(t.numerator, t.stride, evaluate=False), 0)
        out.append(Stated(to_text(pred, order), to_text(pred, order, unicode=False),
                          t.path, t.span.line if t.span is not None else None))
    return tuple(out)


def _min_input(conditions, input_shape) -> tuple | None:
    """Each input axis that is a bare symbol, at the smallest value every condition on it
    allows; None when an axis is an expression or shares a condition with another symbol."""
    shape = []
    for dim in input_shape:
        if is_concrete(dim):
            shape.append(plain(dim))
            continue
        if not dim.is_Symbol:
            return None
        preds = []
        for c in conditions:
            free = c.pred.free_symbols
            if dim in free:
                if len(free) > 1:
                    return None
                preds.append(c.pred)
        value = smallest(dim, preds)
        if value is None:
            return None
        shape.append(value)
    return tuple(shape)
