"""Text for sympy values, written the way a CNN course writes formulas.

sympy's own printer orders terms by its internal sort key and writes every floor literally,
so the output size of a conv layer comes out as `floor((-F + H + 2*P)/S) + 1` and the last
feature map of ResNet-50 as `floor(H/32 + 31/32)`. A course writes `⌊(H − F + 2P)/S⌋ + 1`
and `⌈H/32⌉`. Two flavours share one set of choices:

    to_text(e, order)                 ⌊(H − F + 2P)/S⌋ + 1      (terminal tables)
    to_text(e, order, unicode=False)  floor((H - F + 2*P)/S) + 1  (JSON; sympify reads it back)

Terms follow `order`, the names in the order the user's spec introduces them, so the formula
reads in the spec's own order. Floors are rewritten by the rules in `_Printer._rounding`: a
floor that is really a ceiling is written as one, and whole multiples of the divisor are
moved outside, where they combine with any integer already added to the floor.

The ASCII flavour must parse back to an equal expression (tests check it at many points), so
it only writes names sympy's parser knows: floor, ceiling, Mod, Max, Min, Eq, Ne, And, Or.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import sympy
from sympy import Add, Integer, Mul, Pow, Rational, Symbol

from .normal import is_whole

MINUS = "\u2212"
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

# How tightly a printed form binds: a form sits inside another without parentheses when its
# level is at least the level the place asks for. Unicode `a mod m` binds more loosely than a
# sum, so `(H mod 2) + 1` keeps its parentheses; the ASCII `Mod(H, 2)` is an atom.
_BOOL, _REL, _MOD, _ADD, _MUL, _POW, _ATOM = range(7)

_UNICODE_REL = {"==": "=", "!=": "≠", ">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def to_text(expr, order=(), unicode=True) -> str:
    """`expr` (sympy, int or Fraction) as text; `order` lists symbol names by first use."""
    return _text(_to_sympy(expr), tuple(order), unicode)


@lru_cache(maxsize=4096)
def _text(expr, order: tuple, unicode: bool) -> str:
    # the same size is printed many times over (each row, explain's every step), and a
    # formula with floors takes sympy milliseconds to rewrite each time
    return _Printer(order, unicode).text(expr)


def congruence_text(name, modulus, residues, unicode=True) -> str:
    """`name` ≡ one of `residues` (mod `modulus`), reduced to the smallest modulus that says
    the same: ("H", 4, [0, 2]) is `H even`; ASCII `Eq(Mod(H, 2), 0)`."""
    modulus = int(modulus)
    if modulus < 1:
        raise ValueError(f"modulus must be positive, not {modulus}")
    classes = {int(r) % modulus for r in residues}
    # The smallest divisor m whose classes, taken whole, are exactly the given residues.
    for m in range(1, modulus + 1):
        if modulus % m:
            continue
        reduced = {r % m for r in classes}
        if all((r % m in reduced) == (r in classes) for r in range(modulus)):
            modulus, classes = m, reduced
            break
    if not classes:
        return "false" if unicode else "False"
    if modulus == 1:                       # every integer qualifies
        return "true" if unicode else "True"
    values = sorted(classes)
    if not unicode:
        tests = [f"Eq(Mod({name}, {modulus}), {r})" for r in values]
        return tests[0] if len(tests) == 1 else f"Or({', '.join(tests)})"
    if modulus == 2:
        return f"{name} {'even' if values == [0] else 'odd'}"
    listed = [str(r) for r in values]
    if len(listed) > 1:
        listed = [", ".join(listed[:-1]) + " or " + listed[-1]]
    return f"{name} ≡ {listed[0]} (mod {modulus})"


def _to_sympy(value):
    if isinstance(value, bool):
        return sympy.true if value else sympy.false
    if isinstance(value, int):
        return Integer(value)
    if isinstance(value, Fraction):
        return Rational(value.numerator, value.denominator)
    if isinstance(value, sympy.Basic):
        return value
    # Deliberately no sympify here: on a string it would evaluate arbitrary code.
    raise TypeError(f"cannot print a {type(value).__name__}")


class _Printer:
    def __init__(self, order, unicode):
        self.rank = {}
        for i, name in enumerate(order):
            self.rank.setdefault(str(name), i)
        self.unicode = unicode
        self.minus = MINUS if unicode else "-"
        self.times = "·" if unicode else "*"
        # Each floor is replaced by a stand-in symbol (see _hide_floors): its text and its
        # sort key (the first symbol inside it).
        self.shown = {}

    def text(self, e) -> str:
        return self._p(self._hide_floors(e))[0]

    # --- floors ---------------------------------------------------------------------------

    def _hide_floors(self, e):
        """Replace every floor by `stand-in + outside`, innermost first.

        The stand-in is an integer symbol that prints as the chosen ⌊…⌋ or ⌈…⌉; `outside` is
        what the rules pulled out. Putting the sum back into the expression lets sympy add the
        pulled-out integer to the integer already next to the floor (`floor(H/2 + 3/2) + 2`
        becomes stand-in + 3), and a floor inside a product becomes a parenthesised sum.
        """
        if not e.has(sympy.floor):
            return e
        e = _bottom_up(e, lambda x: _fold_constant(x) if x.is_Add else x, {})
        return _bottom_up(e, lambda x: self._stand_in(x) if isinstance(x, sympy.floor) else x,
                          {})

    def _stand_in(self, f):
        kind, num, div, outside = self._rounding(f.args[0])
        # Only as much as sympy knew about the floor itself: integer when its argument is real.
        # Named by count, so ties between stand-ins sort alike in both flavours (see _key).
        name = f"floor{len(self.shown):06d}"
        stand_in = sympy.Dummy(name, integer=True) if f.is_integer else sympy.Dummy(name)
        self.shown[stand_in] = (self._bracket(kind, num, div), self._first(f.args[0]))
        return stand_in + outside

    def _rounding(self, arg):
        """floor(arg) = kind(num/div) + outside; kind is "floor" or "ceiling".

        Over the common denominator, arg = (X + B)/(M·D): B the integer constant, M a positive
        integer, D the symbolic part of the divisor (1 if none). Terms of X that are integer
        multiples of M·D leave the floor at once. Then, with a numeric divisor:
          1. X integer and M divides B + 1: floor((X + B)/M) = ceiling(X/M) + (B + 1)/M - 1
          2. M divides B:                   floor(X/M) + B/M
          3. |B| < M:                       floor((X + B)/M), as it is
          4. otherwise B = kM + r, 0 <= r < M: floor((X + r)/M) + k
        (only rule 1 needs X to be an integer). With a symbolic divisor the constant stays
        inside, except rule 1 for the one constant sure to be one below a multiple, B = -1:
        floor((X - 1)/D) = ceiling(X/D) - 1, D positive. That is how the normal form writes a
        ceiling with a symbolic stride (the +1 already outside: floor((H - 1)/S) + 1).
        """
        num, den = arg.as_numer_denom()
        if den.could_extract_minus_sign():
            num, den = -num, -den
        m, d = den.as_coeff_Mul()
        b, rest = num.as_coeff_Add()
        if not (m.is_Integer and m > 0 and b.is_Integer):
            return "floor", num, den, Integer(0)
        whole, keep = [], []
        for t in Add.make_args(rest):
            (whole if is_whole(t / den) else keep).append(t)
        x = Add(*keep)
        outside = Add(*[t / den for t in whole])
        integral = x != 0 and is_whole(x)
        b, m = int(b), int(m)
        if d != 1:
            if integral and b == -1 and den.is_positive:
                return "ceiling", x, den, outside - 1
            return "floor", x + b, den, outside
        ceiling = integral and m > 1 and (b + 1) % m == 0
        if ceiling and (b + 1) // m == 1:  # ⌈X/M⌉ with nothing beside it
            return "ceiling", x, den, outside
        if b % m == 0:
            return "floor", x, den, outside + b // m
        if abs(b) < m:  # ⌊(H − 31)/32⌋ rather than ⌈(H − 62)/32⌉ or ⌈H/32⌉ − 1 − …
            return "floor", x + b, den, outside
        if ceiling:
            return "ceiling", x, den, outside + (b + 1) // m - 1
        k, r = divmod(b, m)
        return "floor", x + r, den, outside + k

    def _bracket(self, kind, num, div):
        inner = self._fraction(num, div)
        if not self.unicode:
            return f"{kind}({inner})"
        return f"⌊{inner}⌋" if kind == "floor" else f"⌈{inner}⌉"

    def _fraction(self, num, div):
        if div == 1:
            return self._p(num)[0]
        # A sum is parenthesised, (H − F + 2P)/S; a lone term keeps its sign in front, −H/2.
        neg, top = (False, f"({self._sum(num)})") if num.is_Add else self._signed(num)
        return (self.minus if neg else "") + top + "/" + self._wrap(div, _POW)

    # --- ordering -------------------------------------------------------------------------

    def _symbol_key(self, s):
        if s in self.shown:
            return self.shown[s][1]
        name = s.name
        return (0, self.rank[name], name) if name in self.rank else (1, 0, name)

    def _first(self, e):
        """Sort key of e's first symbol by the user's order; numbers sort last."""
        keys = [self._symbol_key(s) for s in e.free_symbols]
        return min(keys) if keys else (2, 0, "")

    def _key(self, e):
        """Sort key among terms, factors or arguments: the first symbol by the user's order,
        then all of them, then the kind of thing (plain < ⌈⌉⌊⌋ < max/min < mod < the rest).
        Remaining ties go to sympy's sort key rather than to our text, so the two flavours
        (whose texts sort differently: − and -) put terms in the same order."""
        keys = sorted(self._symbol_key(s) for s in e.free_symbols)
        first = keys[0] if keys else (2, 0, "")
        kind = max((self._kind(f) for f in Mul.make_args(e)), default=0)
        return first, tuple(keys), kind, sympy.default_sort_key(e)

    def _kind(self, f):
        if f.is_Pow:
            f = f.base
        if f.is_Number or (isinstance(f, Symbol) and f not in self.shown):
            return 0
        if f in self.shown or isinstance(f, (sympy.floor, sympy.ceiling)):
            return 1
        if isinstance(f, (sympy.Max, sympy.Min)):
            return 2
        return 3 if isinstance(f, sympy.Mod) else 4

    def _plain(self, f):
        """A symbol or a symbol's power: the factors a coefficient is written against (2P)."""
        if f.is_Pow:
            if not (f.exp.is_Integer and f.exp > 0):
                return False
            f = f.base
        return isinstance(f, Symbol) and f not in self.shown

    @staticmethod
    def _degree(t):
        total = 0
        for f in Mul.make_args(t):
            if f.is_Number:
                continue
            total += int(f.exp) if f.is_Pow and f.exp.is_Integer else 1
        return total

    # --- printing -------------------------------------------------------------------------

    def _wrap(self, e, level):
        text, prec = self._p(e)
        return f"({text})" if prec < level else text

    def _p(self, e):
        """(text, binding level) of e."""
        if e in self.shown:
            return self.shown[e][0], _ATOM
        if isinstance(e, Symbol):
            return e.name, _ATOM
        if e.is_Number:
            if e.is_Rational:
                text = str(abs(e.p)) if e.q == 1 else f"{abs(e.p)}/{e.q}"
                if e < 0:
                    return self.minus + text, _ADD
                return text, _ATOM if e.q == 1 else _MUL
            return str(e), _ADD
        if e.is_Add:
            return self._sum(e), _ADD
        if e.is_Mul or (e.is_Pow and e.exp.is_Rational and e.exp.is_negative):
            neg, body = self._signed(e)
            return (self.minus + body, _ADD) if neg else (body, _MUL)
        if e.is_Pow:
            return self._power(e), _POW
        if isinstance(e, sympy.ceiling):         # given as a ceiling: kept one, no rules
            # (floors never get here: _hide_floors has replaced them all)
            num, den = e.args[0].as_numer_denom()
            if den.could_extract_minus_sign():
                num, den = -num, -den
            return self._bracket("ceiling", num, den), _ATOM
        if isinstance(e, sympy.Mod):
            a, m = e.args
            if not self.unicode:
                return f"Mod({self._p(a)[0]}, {self._p(m)[0]})", _ATOM
            return f"{self._wrap(a, _MUL)} mod {self._wrap(m, _POW)}", _MOD
        if isinstance(e, (sympy.Max, sympy.Min)):
            name = type(e).__name__
            texts = self._sorted_texts(e.args, _BOOL)
            name = name.lower() if self.unicode else name
            return f"{name}({', '.join(texts)})", _ATOM
        if isinstance(e, sympy.core.relational.Relational):
            return self._relation(e)
        if isinstance(e, (sympy.And, sympy.Or)):
            texts = self._sorted_texts(e.args, _REL)
            name = type(e).__name__
            if not self.unicode:
                return f"{name}({', '.join(texts)})", _ATOM
            return f" {name.lower()} ".join(texts), _BOOL
        if isinstance(e, sympy.Not):
            if not self.unicode:
                return f"Not({self._p(e.args[0])[0]})", _ATOM
            return f"not {self._wrap(e.args[0], _REL)}", _BOOL
        if isinstance(e, sympy.Piecewise):  # a choice the engine could not make
            pieces = [(self._p(v)[0], self._p(c)[0]) for v, c in e.args]
            if not self.unicode:
                return "Piecewise(" + ", ".join(f"({v}, {c})" for v, c in pieces) + ")", _ATOM
            *first, (last, _) = pieces
            return "; ".join(f"{v} if {c}" for v, c in first) + f"; else {last}", _BOOL
        if e is sympy.true or e is sympy.false:
            text = str(bool(e))
            return (text.lower() if self.unicode else text), _ATOM
        if isinstance(e, sympy.Function):
            args = ", ".join(self._p(a)[0] for a in e.args)
            return f"{type(e).__name__}({args})", _ATOM
        return str(e), _BOOL

    def _sorted_texts(self, args, level):
        return [self._wrap(a, level) for a in sorted(args, key=self._key)]

    def _sum(self, e):
        items = []
        for t in e.args:
            neg, body = self._signed(t)
            first, *rest = self._key(t)
            items.append(((first, -self._degree(t), *rest), neg, body))
        items.sort(key=lambda item: item[0])
        parts = []
        for i, (_, neg, body) in enumerate(items):
            if i == 0:
                parts.append(self.minus + body if neg else body)
            else:
                parts.append(f" {self.minus} " if neg else " + ")
                parts.append(body)
        return "".join(parts)

    def _signed(self, t):
        """(is negative, text of |t|) for t as a summand: `−F` is (True, "F")."""
        if t.is_Number and t.is_Rational:
            return t < 0, self._p(abs(t))[0]
        if t.is_Mul or (t.is_Pow and t.exp.is_Rational and t.exp.is_negative):
            c, rest = t.as_coeff_Mul()
            if c.is_Rational:
                return c < 0, self._product(abs(c), rest)
        return False, self._wrap(t, _MUL)

    def _product(self, c, rest):
        """c·rest with c a positive rational: plain factors by the user's order, then the
        rest (sums, floors, …) by their first symbol; factors with negative exponents form
        the denominator."""
        top, bottom = [], []
        for f in Mul.make_args(rest):
            if f == 1:
                continue
            if f.is_Pow and f.exp.is_Rational and f.exp.is_negative:
                bottom.append(Pow(f.base, -f.exp))
            else:
                top.append(f)
        text = self._factors(c.p, top) or "1"
        under = self._factors(c.q, bottom)
        if not under:
            return text
        if len(bottom) + (c.q != 1) > 1:
            under = f"({under})"
        return f"{text}/{under}"

    def _factors(self, coefficient, factors):
        factors = sorted(factors, key=lambda f: (not self._plain(f), self._key(f)))
        texts = [self._wrap(f, _POW) for f in factors]
        if coefficient == 1:
            return self.times.join(texts)
        # 2P and 3H², but 2·H·W and 9408·⌈H/2⌉: juxtapose only against one plain factor.
        if self.unicode and len(factors) == 1 and self._plain(factors[0]):
            return f"{coefficient}{texts[0]}"
        return self.times.join([str(coefficient)] + texts)

    def _power(self, e):
        base = self._wrap(e.base, _ATOM)
        if e.exp.is_Integer and e.exp > 0:
            exp = str(e.exp)
            return base + (exp.translate(_SUPERSCRIPT) if self.unicode else "**" + exp)
        return base + ("^" if self.unicode else "**") + self._wrap(e.exp, _ATOM)

    def _relation(self, e):
        lhs, rhs = self._wrap(e.lhs, _MOD), self._wrap(e.rhs, _MOD)
        op = e.rel_op
        if self.unicode:
            return f"{lhs} {_UNICODE_REL[op]} {rhs}", _REL
        if op in ("==", "!="):   # sympify reads `a == b` as a Python comparison
            name = "Eq" if op == "==" else "Ne"
            return f"{name}({self._p(e.lhs)[0]}, {self._p(e.rhs)[0]})", _ATOM
        return f"{lhs} {op} {rhs}", _REL


def _bottom_up(e, fn, done: dict):
    """`fn` applied to every subexpression after its arguments, as sympy's `replace` does,
    but each distinct subexpression once: a size after many strided layers with a symbolic
    stride holds the size before it several times over, and `replace` walks it as a tree,
    which takes time exponential in the depth (minutes for EfficientNet with k and s names)."""
    if e in done:
        return done[e]
    args = e.args
    if args and e.has(sympy.floor):
        new = tuple(_bottom_up(a, fn, done) for a in args)
        out = fn(e.func(*new) if new != args else e)
    else:
        out = fn(e)
    done[e] = out
    return out


def _fold_constant(add):
    """`floor(H/32 + 1/32) - 1` is ⌊(H − 31)/32⌋: an integer beside the only floor of a sum
    goes inside it when that leaves the constant inside smaller than the divisor (the form
    the course writes), unless the floor is a plain ceiling ⌈X/M⌉ already."""
    floors = [t for t in add.args if isinstance(t, sympy.floor)]
    c, _ = add.as_coeff_Add()
    if len(floors) != 1 or not c.is_Integer or c == 0:
        return add
    f = floors[0]
    num, den = f.args[0].as_numer_denom()
    m, d = den.as_coeff_Mul()
    b, _ = num.as_coeff_Add()
    if d != 1 or not (m.is_Integer and m > 1 and b.is_Integer):
        return add
    if (b + 1) % m == 0 and (b + 1) // m == 1 or abs(b + c * m) >= m:
        return add
    rest = [t for t in add.args if t is not f and t != c]
    return Add(sympy.floor(f.args[0] + c, evaluate=False), *rest)
