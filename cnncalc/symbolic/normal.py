"""The normal form of symbolic sizes: one floor where a person would write one.

A chain of strided layers on `H` gives, term by term, floor(floor(floor(H/2 - 1/2)/2 ...)/2)
+ 1; sympy keeps that nest and evaluates each floor slowly. Sizes are integers, so three
identities flatten it as it is built:

  floor((floor(u) + r)/m) = floor((u + r)/m)      r an integer, m a positive integer
  ceiling(a/m)            = floor((a + m - 1)/m)   a an integer (no ceilings are kept)
  floor(c·t + x)          = floor((c - ⌊c⌋)·t + x) + ⌊c⌋·t   t an integer

so every size is `floor(sum of rational multiples of integer terms, constant in [0, 1)) +
integer terms`: ResNet-50's last feature map is floor(H/32 + 31/32), i.e. ⌈H/32⌉, and two
ways of writing the same size come out as the same expression. The printer (`printer`)
chooses between ⌊ ⌋ and ⌈ ⌉ when it writes them.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor as _floor

import sympy
from sympy import Add, Integer, Rational

_FLOOR = sympy.floor


def to_sympy(value):
    if isinstance(value, int):
        return Integer(value)
    if isinstance(value, Fraction):
        return Rational(value.numerator, value.denominator)
    return value


def floor_div(a, b):
    """floor(a/b) in normal form; a integer-valued, b a positive integer (or symbol)."""
    a, b = to_sympy(a), to_sympy(b)
    a = _unnest(a)
    return floor_of(a / b if b.is_Number else sympy.expand(a / b))


def ceil_div(a, b):
    a, b = to_sympy(a), to_sympy(b)
    return floor_div(a + b - 1, b)


def _unnest(a):
    """floor(u) + r over a positive integer divisor is floor of (u + r) over it: the first
    floor with coefficient 1 in the (integer-valued) numerator is opened."""
    if a.is_Add:
        terms = a.args
        for i, t in enumerate(terms):
            if isinstance(t, _FLOOR):
                return Add(t.args[0], *terms[:i], *terms[i + 1:])
    elif isinstance(a, _FLOOR):
        return a.args[0]
    return a


def is_whole(expr) -> bool:
    """expr is an integer for every value of its symbols, as far as can be told term by
    term: each term a whole multiple of an integer-valued product. Not sympy's `is_integer`
    on a quotient: sympy 1.14 takes an even atom over a denominator with one factor 2 for an
    integer (Max(4, 2*H)/6, wrong at H = 1)."""
    for term in Add.make_args(sympy.sympify(expr)):
        coeff, rest = term.as_coeff_Mul()
        if not (coeff.is_Integer and (rest is sympy.S.One or rest.is_integer is True)):
            return False
    return True


def floor_of(arg):
    """floor(arg) with whole parts taken out: the constant inside in [0, 1), each integer
    term's coefficient inside in [0, 1)."""
    if arg.is_Number:
        return Integer(_floor(arg))
    inside, outside = [], []
    for term, coeff in arg.as_coefficients_dict().items():
        whole = _floor(coeff)
        if whole and (term is sympy.S.One or term.is_integer):
            outside.append(whole * term)
            coeff -= whole
        if coeff:
            inside.append(coeff * term)
    rest = Add(*outside)
    inside = Add(*inside)
    if inside.is_Number:  # only a constant in [0, 1) is left: its floor is 0
        return rest + _floor(inside)
    return _FLOOR(inside, evaluate=False) + rest


def equal(a, b):
    """a = b as a sympy predicate; two values in normal form that are the same expression are
    equal without asking sympy."""
    a, b = to_sympy(a), to_sympy(b)
    if a == b:
        return sympy.true
    return sympy.Eq(a, b)


def extremum(a, b, largest: bool):
    """max(a, b) (or min) as one flat Max over terms that differ by more than a constant: a
    constant added to a Max goes inside it, and of `H + 4` and `H + 36` only the larger is
    kept, so a field taken over many branches stays short. Not sympy's own Max, which
    compares its arguments under every assumption it knows (half a second for two sizes)."""
    kind = sympy.Max if largest else sympy.Min
    best: dict = {}   # the non-constant part -> the largest (smallest) constant seen with it
    for v in (to_sympy(a), to_sympy(b)):
        for arg in _flat_args(v, kind):
            const, rest = arg.as_coeff_Add()
            if rest not in best or (const > best[rest] if largest else const < best[rest]):
                best[rest] = const
    args = [rest + const for rest, const in best.items()]
    args = _undominated(args, largest)
    return args[0] if len(args) == 1 else kind(*args, evaluate=False)


def _undominated(args: list, largest: bool) -> list:
    """The arguments no other one always reaches (for a Min: stays below): with K ≥ 1,
    `3K + 447` ≥ `K + 449` (the gap 2K − 2 is never negative), so of the two only
    `3K + 447` is kept; `8K + 425` and `10K + 421` both stay (8K + 425 is larger at K = 1).
    Told by a lower bound of the gap (`_lower`), term by term, never by asking sympy (slow);
    what that bound cannot judge is kept."""
    if len(args) < 3:  # two are left to the caller's decide, which knows more
        return args
    kept = []
    for i, a in enumerate(args):
        beaten = False
        for j, b in enumerate(args):
            if i == j:
                continue
            gap = sympy.expand(b - a if largest else a - b)
            bound = _lower(gap)
            # b covers a; of two equal ones the first is kept
            if bound is not None and bound >= 0 and (gap != 0 or j < i):
                beaten = True
                break
        if not beaten:
            kept.append(i)
    return [args[i] for i in kept]


def _lower(e):
    """A lower bound of `e` over the values its symbols may take (a Fraction), or None."""
    if e.is_Number:
        return Fraction(int(e.p), int(e.q)) if e.is_Rational else None
    if e.is_Symbol:
        return 1 if e.is_positive else 0 if e.is_nonnegative else None
    if e.is_Add:
        total = Fraction(0)
        for term in e.args:
            coeff, rest = term.as_coeff_Mul()
            if rest is sympy.S.One:  # the constant
                total += Fraction(int(coeff.p), int(coeff.q))
                continue
            if coeff < 0:
                return None
            low = _lower(rest)
            if low is None:
                return None
            total += Fraction(int(coeff.p), int(coeff.q)) * low
        return total
    if e.is_Mul:
        coeff, rest = e.as_coeff_Mul()
        if coeff < 0:
            return None
        low = Fraction(1)
        for factor in (rest.args if rest.is_Mul else (rest,)):
            f = _lower(factor)
            if f is None or f < 0:
                return None
            low *= f
        return Fraction(int(coeff.p), int(coeff.q)) * low
    if e.is_Pow and e.exp.is_Integer and e.exp > 0:
        low = _lower(e.base)
        return None if low is None or low < 0 else low ** int(e.exp)
    if isinstance(e, (sympy.floor, sympy.ceiling)):
        low = _lower(e.args[0])
        if low is None:
            return None
        return Fraction(_floor(low)) if isinstance(e, sympy.floor) else Fraction(-_floor(-low))
    if isinstance(e, sympy.Max):
        lows = [low for low in map(_lower, e.args) if low is not None]
        return max(lows) if lows else None
    if isinstance(e, sympy.Min):
        lows = [_lower(arg) for arg in e.args]
        return None if any(low is None for low in lows) else min(lows)
    return None


def _flat_args(v, kind) -> tuple:
    if isinstance(v, kind):
        return v.args
    if v.is_Add:
        inner = [t for t in v.args if isinstance(t, kind)]
        if len(inner) == 1:  # max(x, y) + c = max(x + c, y + c)
            rest = Add(*(t for t in v.args if t is not inner[0]))
            return tuple(arg + rest for arg in _flat_args(inner[0], kind))
    return (v,)


def piecewise(pred, a, b):
    return sympy.Piecewise((to_sympy(a), pred), (to_sympy(b), True))
