"""Arithmetic that works the same on Python ints and on sympy expressions.

The formulas in `formulas` are written with these and the ordinary operators (`//` floors
for both), so the concrete path and the symbolic path share one text. Only a value that
already is a sympy object makes this module import sympy.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any


def is_concrete(value: Any) -> bool:
    return isinstance(value, (int, Fraction))


def ceil_div(a, b):
    return -((-a) // b)


def maximum(a, b):
    if is_concrete(a) and is_concrete(b):
        return max(a, b)
    import sympy

    return sympy.Max(a, b)


def product(values, start=1):
    result = start
    for v in values:
        result = result * v
    return result


def symbol(name: str):
    """A spec's unbound name: a positive integer unknown."""
    import sympy

    return sympy.Symbol(name, integer=True, positive=True)


def as_int(value: Any):
    """A Fraction with denominator 1 becomes an int; anything else is returned unchanged."""
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value
