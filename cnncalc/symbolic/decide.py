"""Exact decisions about predicates on symbolic sizes.

A check of a network ("the output is at least 1", "the branches agree", "the stride tiles
its input") is a predicate over integer symbols: `floor(H/32 + 31/32) - 1 >= 0`,
`Eq(Mod(C, 4), 0)`. `decide` answers it three ways: True (it holds for every value of the
symbols), False (for none) or None (for some, or it cannot tell). Every True and False is
proved, never guessed from samples, by one of two arguments:

* monotonicity: when the expression is nondecreasing in every symbol, its least value is at
  the domain's minimum (H = 1), so one evaluation there decides a lower bound;
* periodicity: the sizes are quasi-affine, e(x + L) = e(x) + s·L for a slope s and a period L
  read off the floors and Mods. With s = 0 the predicate repeats every L values, so L
  evaluations cover all of them; with s ≠ 0 each residue class moves monotonically, so its
  first member decides it.

Both arguments run on `evaluator`, which computes with Python ints (one common denominator
per node) instead of sympy; `sympy.simplify` is never called.
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction
from typing import Callable, NamedTuple, Optional, Union

import sympy
from sympy.core.relational import Relational
from sympy.logic.boolalg import And, BooleanFalse, BooleanTrue, Not, Or

PERIOD_LIMIT = 100_000  # most values checked one by one to prove a periodic predicate
SEARCH_LIMIT = 2**64  # how far a threshold is searched for
WINDOW_LIMIT = 100_000  # most values scanned before a predicate settles into its period
SMALLEST_STEPS = 10**6

_OPS = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, ">": operator.gt,
        "<=": operator.le, "<": operator.lt}
_MIRROR = {"<": ">", "<=": ">="}


class Unsupported(ValueError):
    """An expression node the exact evaluator does not know (a float, sqrt, an unknown
    function, a symbol missing from the argument list)."""


# --- exact evaluation --------------------------------------------------------------------------


def _const(v):
    return lambda env: v


def _times(k, g):
    return g if k == 1 else (lambda env: k * g(env))


def _lcm(*ns):
    return math.lcm(*ns) if ns else 1


def _common(parts):
    """Functions for the parts [(g, d)] brought to their least common denominator."""
    d = _lcm(*(di for _, di in parts))
    return [_times(d // di, g) for g, di in parts], d


def _scaled(expr, index):
    """(g, d) with expr == g(env) / d, d a positive int constant.

    With one denominator per node, sums, floors, Mods and comparisons of the usual sizes run
    on plain ints: floor(H/32 + 31/32) is (H + 31) // 32. Only a negative power makes g return
    a Fraction, and // and % floor Fractions exactly too.
    """
    if expr.is_Rational:
        return _const(int(expr.p)), int(expr.q)
    if expr.is_Symbol:
        if expr not in index:
            raise Unsupported(f"{expr} is not among the evaluator's symbols")
        return operator.itemgetter(index[expr]), 1
    if expr.is_Add:
        c, terms = expr.as_coeff_add()
        parts = [_scaled(t, index) for t in terms]
        d = _lcm(int(c.q), *(di for _, di in parts))
        fs, k = [_times(d // di, g) for g, di in parts], int(c * d)
        if len(fs) == 1:
            (a,) = fs
            return (lambda env: a(env) + k) if k else a, d
        if len(fs) == 2:
            a, b = fs
            return lambda env: a(env) + b(env) + k, d
        return lambda env: sum(f(env) for f in fs) + k, d
    if expr.is_Mul:
        c, factors = expr.as_coeff_mul()
        parts = [_scaled(f, index) for f in factors]
        k, d = int(c.p), int(c.q) * math.prod(di for _, di in parts)
        gs = [g for g, _ in parts]
        if len(gs) == 1:
            return _times(k, gs[0]), d
        if len(gs) == 2:
            a, b = gs
            return lambda env: k * a(env) * b(env), d
        return lambda env: k * math.prod(g(env) for g in gs), d
    if expr.is_Pow:
        base, n = expr.args
        if not n.is_Integer:
            raise Unsupported(f"power with exponent {n}")
        g, d = _scaled(base, index)
        n = int(n)
        if n >= 0:
            return (lambda env: g(env) ** n), d**n
        return (lambda env: Fraction(d, g(env)) ** -n), 1
    if isinstance(expr, sympy.floor):
        g, d = _scaled(expr.args[0], index)
        return (lambda env: g(env) // d), 1
    if isinstance(expr, sympy.ceiling):
        g, d = _scaled(expr.args[0], index)
        return (lambda env: -(-g(env) // d)), 1
    if isinstance(expr, sympy.Mod):
        # Mod(g1/d1, g2/d2) = Mod(g1·d2, g2·d1) / (d1·d2); Python's % and sympy's Mod both
        # take the divisor's sign: a - b·floor(a/b).
        (g1, d1), (g2, d2) = (_scaled(a, index) for a in expr.args)
        a, b = _times(d2, g1), _times(d1, g2)
        return (lambda env: a(env) % b(env)), d1 * d2
    if isinstance(expr, (sympy.Max, sympy.Min)):
        pick = max if isinstance(expr, sympy.Max) else min
        fs, d = _common([_scaled(a, index) for a in expr.args])
        if len(fs) == 2:
            a, b = fs
            return lambda env: pick(a(env), b(env)), d
        return lambda env: pick(f(env) for f in fs), d
    if isinstance(expr, sympy.Abs):
        g, d = _scaled(expr.args[0], index)
        return (lambda env: abs(g(env))), d
    if isinstance(expr, sympy.Piecewise):
        fs, d = _common([_scaled(e, index) for e, _ in expr.args])
        branches = [(f, _truth(c, index)) for f, (_, c) in zip(fs, expr.args)]

        def piecewise(env):
            for f, cond in branches:
                if cond(env):
                    return f(env)
            raise ValueError(f"no branch of {expr} holds")

        return piecewise, d
    raise Unsupported(f"cannot evaluate {type(expr).__name__}: {expr}")


def _truth(pred, index) -> Callable:
    """A predicate as a function of env -> bool."""
    if isinstance(pred, (BooleanTrue, BooleanFalse)):
        return _const(bool(pred))
    if isinstance(pred, Relational):
        # Compare g1/d1 with g2/d2 as g1·d2 with g2·d1: no division, no Fraction.
        (g1, d1), (g2, d2) = _scaled(pred.lhs, index), _scaled(pred.rhs, index)
        a, b, op = _times(d2, g1), _times(d1, g2), _OPS[pred.rel_op]
        return lambda env: op(a(env), b(env))
    if isinstance(pred, (And, Or)):
        fs = [_truth(a, index) for a in pred.args]
        if isinstance(pred, And):
            return lambda env: all(f(env) for f in fs)
        return lambda env: any(f(env) for f in fs)
    if isinstance(pred, Not):
        f = _truth(pred.args[0], index)
        return lambda env: not f(env)
    raise Unsupported(f"cannot evaluate {type(pred).__name__}: {pred}")


def _is_predicate(expr) -> bool:
    return isinstance(expr, (Relational, And, Or, Not, BooleanTrue, BooleanFalse))


def _tidy(v):
    return int(v) if isinstance(v, Fraction) and v.denominator == 1 else v


def evaluator(expr, symbols) -> Callable:
    """A function of the symbols' values (positional ints) computing `expr` exactly: an int,
    a Fraction when not whole, or a bool for a predicate. Raises `Unsupported`."""
    expr = _as_sympy(expr)
    if isinstance(symbols, sympy.Symbol):
        symbols = (symbols,)
    index = {s: i for i, s in enumerate(symbols)}
    if _is_predicate(expr):
        t = _truth(expr, index)
        return lambda *values: t(values)
    g, d = _scaled(expr, index)
    if d == 1:
        return lambda *values: _tidy(g(values))
    return lambda *values: _tidy(Fraction(g(values), d))


def _as_sympy(value):
    if isinstance(value, bool):
        return sympy.true if value else sympy.false
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, sympy.Basic):
        return value
    raise TypeError(f"not a sympy value: {value!r}")


# --- structure: monotonicity, slope, period ----------------------------------------------------


def _domain_min(sym) -> Optional[int]:
    """1 for a positive integer symbol, 0 for a nonnegative one, None otherwise (no least
    value, or not an integer)."""
    if sym.is_integer:
        if sym.is_positive:
            return 1
        if sym.is_nonnegative:
            return 0
    return None


def _agree(dirs) -> Optional[int]:
    seen = set()
    for d in dirs:
        if d is None:
            return None
        seen.add(d)
    seen.discard(0)
    return seen.pop() if len(seen) == 1 else (0 if not seen else None)


def _sign(expr) -> Optional[int]:
    """1 if expr is never negative, -1 if never positive, None unknown. Besides sympy's
    assumptions: an expression nondecreasing in every symbol is least at the domain minimum."""
    if expr.is_nonnegative:
        return 1
    if expr.is_nonpositive:
        return -1
    syms = list(expr.free_symbols)
    mins = [_domain_min(s) for s in syms]
    if not syms or None in mins:
        return None
    dirs = [direction(expr, s) for s in syms]
    if None in dirs:
        return None
    try:
        low = evaluator(expr, syms)(*mins)
    except (Unsupported, ArithmeticError, ValueError):
        return None
    if all(d >= 0 for d in dirs) and low >= 0:
        return 1
    if all(d <= 0 for d in dirs) and low <= 0:
        return -1
    return None


def direction(expr, sym) -> Optional[int]:
    """1 if expr is nondecreasing in `sym`, -1 nonincreasing, 0 independent, None unknown
    (structurally: a proof, never a sample)."""
    expr = _as_sympy(expr)
    if not expr.has(sym):
        return 0
    if expr == sym:
        return 1
    if expr.is_Add or isinstance(expr, (sympy.Max, sympy.Min)):
        return _agree(direction(a, sym) for a in expr.args)
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        return direction(expr.args[0], sym)
    if expr.is_Mul:
        # Write each factor as sign·|factor|: the product is (product of signs) times a
        # product of nonnegative factors, monotone when all of them move the same way.
        c, factors = expr.as_coeff_mul()
        sign = 1 if c > 0 else -1
        dep = [f for f in factors if f.has(sym)]
        for f in factors:
            if f not in dep:
                s = _sign(f)
                if s is None:
                    return None
                sign *= s
        if len(dep) == 1:  # a single moving factor needs no sign of its own
            d = direction(dep[0], sym)
            return None if d is None else sign * d
        moving = 0
        for f in dep:
            d, s = direction(f, sym), _sign(f)
            if d is None or s is None:
                return None
            sign *= s
            if s * d:
                if moving and moving != s * d:
                    return None
                moving = s * d
        return sign * moving
    if expr.is_Pow:
        base, n = expr.args
        if not n.is_Integer or n.has(sym):
            return None
        d = direction(base, sym)
        if d is None:
            return None
        n = int(n)
        if n > 0:
            if n % 2:  # odd powers are increasing on all of the line
                return d
            s = _sign(base)
            return None if s is None else s * d
        return -d if base.is_positive else None
    return None


def _shape(expr, sym):
    """(slope, period) with expr(x + k·period) == expr(x) + k·period·slope for every integer
    x and k, and every floor argument shifting by a whole number (every Mod argument by a
    multiple of its modulus) under that shift; None when the structure gives none."""
    if not expr.has(sym):
        return Fraction(0), 1
    if expr == sym:
        return Fraction(1), 1
    if expr.is_Add:
        shapes = [_shape(a, sym) for a in expr.args]
        if None in shapes:
            return None
        return sum(s for s, _ in shapes), _lcm(*(p for _, p in shapes))
    if expr.is_Mul:
        c, factors = expr.as_coeff_mul()
        if len(factors) != 1:  # a symbolic coefficient or a product of moving factors
            return None
        inner = _shape(factors[0], sym)
        return None if inner is None else (Fraction(int(c.p), int(c.q)) * inner[0], inner[1])
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        # floor(a(x) + n) = floor(a(x)) + n for a whole n: the shift s·L must be whole.
        inner = _shape(expr.args[0], sym)
        if inner is None:
            return None
        s, p = inner
        return s, _lcm(p, s.denominator)
    if isinstance(expr, sympy.Mod):
        # Mod(a + j·m, m) = Mod(a, m): the shift s·L must be a multiple of m. Slope 0.
        a, m = expr.args
        if not m.is_Rational or m == 0:
            return None
        inner = _shape(a, sym)
        if inner is None:
            return None
        s, p = inner
        return Fraction(0), _lcm(p, (s / Fraction(int(m.p), int(m.q))).denominator)
    if isinstance(expr, (sympy.Max, sympy.Min)):
        # max(a + c, b + c) = max(a, b) + c: fine while every argument has the same slope.
        shapes = [_shape(a, sym) for a in expr.args]
        if None in shapes or len({s for s, _ in shapes}) != 1:
            return None
        return shapes[0][0], _lcm(*(p for _, p in shapes))
    return None


def slope(expr, sym) -> Optional[Fraction]:
    """The rational asymptotic slope of expr in `sym` (expr = slope·sym + a bounded periodic
    part), or None when expr is not quasi-affine in `sym`."""
    shape = _shape(_as_sympy(expr), sym)
    return None if shape is None else shape[0]


def period(expr, sym) -> Optional[int]:
    """The least common multiple L of what makes every floor and Mod argument shift by a
    whole step, so that expr(sym + L) - expr(sym) == slope·L for every integer sym."""
    shape = _shape(_as_sympy(expr), sym)
    return None if shape is None else shape[1]


# --- decisions -----------------------------------------------------------------------------------


def decide(pred) -> Optional[bool]:
    """True if `pred` holds for every value of its symbols, False if for none, None if for
    some or it cannot be proved either way."""
    pred = _as_sympy(pred)
    if isinstance(pred, (BooleanTrue, BooleanFalse)):
        return bool(pred)
    if isinstance(pred, Relational):
        try:
            return _decide_relation(pred)
        except (Unsupported, ArithmeticError, ValueError, TypeError):
            return None
    if isinstance(pred, Not):
        v = decide(pred.args[0])
        return None if v is None else not v
    if isinstance(pred, (And, Or)):
        values = [decide(a) for a in pred.args]
        absorbing = isinstance(pred, Or)  # True absorbs an Or, False an And
        if absorbing in values:
            return absorbing
        if None not in values:
            return not absorbing
        return _by_residues(pred)
    return None


def _difference(rel):
    """(e, op): rel as `e op 0` with op one of ==, !=, >=, >."""
    e, op = rel.lhs - rel.rhs, rel.rel_op
    if op in _MIRROR:
        return -e, _MIRROR[op]
    return e, op


def _decide_relation(rel):
    e, op = _difference(rel)
    if op in ("==", "!=") and (e == 0 or sympy.expand(e) == 0):
        return op == "=="
    check = _OPS[op]
    if e.is_Rational:
        return check(e, 0)
    syms = sorted(e.free_symbols, key=str)
    if not all(s.is_integer for s in syms):
        return None
    mins = [_domain_min(s) for s in syms]
    f = evaluator(e, syms)
    dirs = [direction(e, s) for s in syms]

    # Monotone in every symbol: e is least (or greatest) at the domain's corner.
    if None not in dirs and None not in mins:
        corner = f(*mins)
        up, down = all(d >= 0 for d in dirs), all(d <= 0 for d in dirs)
        if op in (">=", ">"):
            if up and check(corner, 0):
                return True  # e >= corner everywhere
            if down and not check(corner, 0):
                return False  # e <= corner everywhere
        elif (up and corner > 0) or (down and corner < 0):
            return op == "!="  # e never reaches 0

    # A threshold search would not help here: finding where a monotone predicate turns only
    # shows that it holds for some values (None); proving "never" needs the slope below.
    # `normalize` does the search, to name the threshold.
    if len(syms) != 1:
        return None
    x, m = syms[0], mins[0]
    start = 0 if m is None else m
    shape = _shape(e, x)
    if shape is None:
        return None
    s, L = shape
    if s == 0 and dirs[0] is not None:
        return check(f(start), 0)  # periodic and monotone: constant
    if L > PERIOD_LIMIT:
        return None
    values = [f(start + r) for r in range(L)]
    if s == 0:
        # e(x + L) = e(x) for every integer x: these L values are all the values e takes.
        return _verdict([check(v, 0) for v in values])
    # s ≠ 0: along residue class r, e(start + r + k·L) = values[r] + k·s·L.
    if op in (">=", ">"):
        if m is None:
            return None  # unbounded both ways: e takes both signs
        if s > 0 and all(check(v, 0) for v in values):
            return True  # each class starts true and only grows
        if s < 0 and not any(check(v, 0) for v in values):
            return False  # each class starts false and only shrinks
        return None
    # == / !=: class r reaches 0 only at k = -values[r]/(s·L), which must be a whole k >= 0.
    zeros = (-Fraction(v) / (s * L) for v in values)
    if not any(k.denominator == 1 and (k >= 0 or m is None) for k in zeros):
        return op == "!="
    return None


def _verdict(truths) -> Optional[bool]:
    if all(truths):
        return True
    if not any(truths):
        return False
    return None


def _only_integer_symbol(pred):
    """The predicate's one free symbol, if it has exactly one and it is an integer."""
    syms = pred.free_symbols
    if len(syms) != 1:
        return None
    (x,) = syms
    return x if x.is_integer else None


def _periodic(pred):
    """(x, start, L) when pred has one integer symbol x and every relation in it has slope 0
    in x with periods dividing L <= PERIOD_LIMIT: then pred(x + L) == pred(x) for all x."""
    x = _only_integer_symbol(pred)
    if x is None:
        return None
    L = 1
    for rel in pred.atoms(Relational):
        shape = _shape(rel.lhs - rel.rhs, x)
        if shape is None or shape[0] != 0:
            return None
        L = _lcm(L, shape[1])
        if L > PERIOD_LIMIT:
            return None
    m = _domain_min(x)
    return x, (0 if m is None else m), L


def _by_residues(pred):
    found = _periodic(pred)
    if found is None:
        return None
    x, start, L = found
    try:
        holds = evaluator(pred, [x])
        return _verdict([holds(start + r) for r in range(L)])
    except (Unsupported, ArithmeticError, ValueError):
        return None


# --- normal forms --------------------------------------------------------------------------------


class Bound(NamedTuple):
    """sym >= value (op '>=') or sym <= value (op '<=')."""

    sym: sympy.Symbol
    op: str
    value: int

    def as_sympy(self):
        return sympy.Ge(self.sym, self.value) if self.op == ">=" else sympy.Le(self.sym, self.value)

    def holds(self, value: int) -> bool:
        return value >= self.value if self.op == ">=" else value <= self.value

    def __str__(self):
        return f"{self.sym} {'≥' if self.op == '>=' else '≤'} {self.value}"


class Congruence(NamedTuple):
    """sym mod modulus is one of residues. Modulus 1 with residues {0} is "always", with no
    residues "never"."""

    sym: sympy.Symbol
    modulus: int
    residues: frozenset

    def as_sympy(self):
        if self.modulus == 1:
            return sympy.true if self.residues else sympy.false
        return sympy.Or(*(sympy.Eq(sympy.Mod(self.sym, self.modulus), r)
                          for r in sorted(self.residues)))

    def holds(self, value: int) -> bool:
        return value % self.modulus in self.residues

    def __str__(self):
        if self.modulus == 1:
            return f"any {self.sym}" if self.residues else f"no {self.sym}"
        rs = ", ".join(map(str, sorted(self.residues)))
        return f"{self.sym} ≡ {rs} (mod {self.modulus})"


class Both(NamedTuple):
    """A bound and a congruence together: H >= 64 and H even."""

    bound: Bound
    congruence: Congruence

    def as_sympy(self):
        return sympy.And(self.bound.as_sympy(), self.congruence.as_sympy())

    def holds(self, value: int) -> bool:
        return self.bound.holds(value) and self.congruence.holds(value)

    def __str__(self):
        return f"{self.bound} and {self.congruence}"


Normal = Union[Bound, Congruence, Both]


def _divisors(n):
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def _congruence(sym, L, residues) -> Congruence:
    """The residues mod L as classes of the least modulus M | L that gives the same set:
    {0, 2} mod 4 is {0} mod 2. M works when the set is closed under adding M."""
    residues = frozenset(r % L for r in residues)
    for M in _divisors(L):
        if all((r + M) % L in residues for r in residues):
            return Congruence(sym, M, frozenset(r % M for r in residues))
    raise AssertionError("M = L always works")


def normalize(pred) -> Optional[Normal]:
    """For a predicate with one free symbol, an equivalent Bound, Congruence or Both; None
    when none is found. A decided predicate gives the Congruence mod 1 (any / no value)."""
    pred = _as_sympy(pred)
    x = _only_integer_symbol(pred)
    if x is None:
        return None
    verdict = decide(pred)
    if verdict is not None:
        return Congruence(x, 1, frozenset({0}) if verdict else frozenset())
    try:
        holds = evaluator(pred, [x])
        found = _periodic(pred)
        if found is not None:
            _, start, L = found
            return _congruence(x, L, [v for v in range(start, start + L) if holds(v)])
        m = _domain_min(x)
        if m is None:
            return None
        if isinstance(pred, Relational) and _difference(pred)[1] in (">=", ">"):
            d = direction(_difference(pred)[0], x)
            if d:
                return _threshold(x, m, holds, d)
        return _eventually(pred, x, m, holds)
    except (Unsupported, ArithmeticError, ValueError):
        return None


def _threshold(x, m, holds, d) -> Optional[Bound]:
    """A monotone predicate undecided at m: false then true (d = 1), or true then false.
    Exponential search for a value where it has changed, then binary search for the change."""
    want = d == 1  # the value after the change
    lo, step = m, 1  # holds(lo) != want
    while holds(m + step) != want:
        lo = m + step
        if step > SEARCH_LIMIT:
            return None
        step *= 2
    hi = m + step  # holds(hi) == want
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(mid) == want:
            hi = mid
        else:
            lo = mid
    return Bound(x, ">=", hi) if want else Bound(x, "<=", lo)


def _eventually(pred, x, m, holds) -> Optional[Normal]:
    """A predicate whose relations are quasi-affine in x: a relation with slope s ≠ 0 is
    e = s·x + b(x), b periodic, so beyond the point where |s·x| outweighs b it keeps one
    truth value, and from there on the whole predicate repeats with the lcm of the periods.
    Scan the finite stretch before it; the shape "false, then a congruence" is a Both,
    "true, then never" a Bound."""
    L, settled = 1, m
    for rel in pred.atoms(Relational):
        e = rel.lhs - rel.rhs
        shape = _shape(e, x)
        if shape is None:
            return None
        s, p = shape
        L = _lcm(L, p)
        if L > PERIOD_LIMIT:
            return None
        if s:
            f = evaluator(e, [x])
            rest = [f(v) - s * v for v in range(m, m + p)]  # b over one period
            edge = max(-min(rest) / s, -max(rest) / s)  # beyond it, e has the sign of s·x
            settled = max(settled, math.floor(edge) + 1)
    if settled - m > WINDOW_LIMIT:
        return None
    tail = frozenset(v % L for v in range(settled, settled + L) if holds(v))

    def in_tail(v):
        return v % L in tail

    t0 = settled  # the tail's rule holds from t0 on
    while t0 > m and holds(t0 - 1) == in_tail(t0 - 1):
        t0 -= 1
    head = [holds(v) for v in range(m, t0)]
    cong = _congruence(x, L, tail)
    if not any(head) and tail:
        while not in_tail(t0):  # start the bound at the first value the congruence allows
            t0 += 1
        if t0 == m:
            return cong
        bound = Bound(x, ">=", t0)
        return bound if cong.modulus == 1 else Both(bound, cong)
    if all(head) and not tail:
        return Bound(x, "<=", t0 - 1)
    return None


def smallest(sym, preds, start=None) -> Optional[int]:
    """The least value of `sym` in its domain (and >= start) satisfying every predicate.

    Normalized predicates give lower and upper bounds and congruences; above the largest
    lower bound the congruences repeat with the lcm of their moduli, so stepping through one
    such stretch is exhaustive and None means there is none. A predicate that cannot be
    normalized is checked by evaluation, and then None means none in SMALLEST_STEPS values."""
    m = _domain_min(sym)
    lo = start if m is None else (m if start is None else max(m, start))
    if lo is None:
        raise ValueError(f"{sym} has no least value: give a start")
    hi, span, checks = None, 1, []
    for pred in preds:
        pred = _as_sympy(pred)
        if not pred.free_symbols:
            v = decide(pred)
            if v is False:
                return None
            if v is True:
                continue
        elif pred.free_symbols - {sym}:
            raise ValueError(f"{pred} has symbols besides {sym}")
        n = normalize(pred)
        if n is None:
            span = SMALLEST_STEPS
            checks.append(evaluator(pred, [sym]))
            continue
        for part in (n if isinstance(n, Both) else (n,)):
            if isinstance(part, Bound):
                if part.op == ">=":
                    lo = max(lo, part.value)
                else:
                    hi = part.value if hi is None else min(hi, part.value)
            else:
                span = min(_lcm(span, part.modulus), SMALLEST_STEPS)
                checks.append(part.holds)
    for v in range(lo, lo + span):
        if hi is not None and v > hi:
            return None
        if all(c(v) for c in checks):
            return v
    return None


def combine_congruences(sym, preds) -> Optional[Congruence]:
    """The residue classes of `sym` for which every (periodic) predicate holds, modulo the
    lcm of their moduli, reduced; None if some predicate is not a congruence. The residues
    may be empty: then no value satisfies them all."""
    congs = []
    for pred in preds:
        pred = _as_sympy(pred)
        if pred.free_symbols:
            n = normalize(pred)
        else:
            v = decide(pred)
            n = None if v is None else Congruence(sym, 1, frozenset({0}) if v else frozenset())
        if not isinstance(n, Congruence) or n.sym != sym:
            return None
        congs.append(n)
    L = _lcm(*(c.modulus for c in congs))
    if L > PERIOD_LIMIT:
        return None
    return _congruence(sym, L, [r for r in range(L) if all(c.holds(r) for c in congs)])
